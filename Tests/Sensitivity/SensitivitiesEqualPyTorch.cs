using System.Text.Json.Nodes;
using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using RobustNode.Tests.Oracles;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity;

/// <summary>
/// An outside oracle: PyTorch (Oracles/pytorch_reference.py, its own transcription of the tableaux) differentiates
/// the same discretized networks once and twice by autograd. The library's J, 𝒥, ∇_{x₀} J, ∇_u J and ∇_u 𝒥 agree with
/// it to 1e-9 for random problems with every fixed-step scheme, both losses and every attack norm, for the nODE and
/// the linear field, with the scheme looked up by name or given inline — on TorchSharp and on the managed engine, both
/// against the same PyTorch answers.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class SensitivitiesEqualPyTorch
{
    private const double Tolerance = 1e-9;
    private const double Epsilon = 0.1;

    private sealed record Case(string Label, JsonObject Problem, SensitivityProblem<Tensor> Library, AugmentedLoss Augmented, string[] ControlNames);

    /// <summary>PyTorch's answers, one Python run for all cases, shared by both engines.</summary>
    private static readonly Lazy<IReadOnlyList<JsonObject>> Answers = new(() =>
    {
        using var scope = NewDisposeScope();
        return PyTorchReference.Solve(Cases().Select(c => c.Problem).ToArray());
    });

    public static TheoryData<string> Engines() => OracleEngine.Names();

    [PyTorchTheory]
    [MemberData(nameof(Engines))]
    public void Discrete_sensitivities_equal_pytorch_autograd(string engine)
    {
        using var scope = NewDisposeScope();
        var cases = Cases();
        var answers = Answers.Value;
        var failures = new List<string>();
        for (int i = 0; i < cases.Count; i++)
            failures.AddRange(Compare(engine, cases[i], answers[i]));
        Assert.True(failures.Count == 0, $"{failures.Count} disagreements with PyTorch on {engine}:\n" + string.Join("\n", failures));
    }

    /// <summary>The cases, drawn from fixed seeds (so each engine's run draws the same ones).</summary>
    private static List<Case> Cases()
    {
        var cases = new List<Case>();
        int seed = 1000;
        foreach (var tableau in Tableaux.All)
            foreach (var loss in new[] { LossKind.CrossEntropy, LossKind.Square })
                foreach (var q in new[] { "inf", "2", "1" })
                    cases.Add(NeuralOde(tableau, loss, q, seed++, stepsPerLayer: seed % 2 + 1, inline: false));
        cases.Add(NeuralOde(Tableaux.Rk4, LossKind.CrossEntropy, "2", seed++, stepsPerLayer: 2, inline: true));
        cases.Add(NeuralOde(Tableaux.DormandPrince, LossKind.Square, "inf", seed++, stepsPerLayer: 1, inline: true));
        foreach (var tableau in new[] { Tableaux.Euler, Tableaux.Heun, Tableaux.Rk4, Tableaux.Tsitouras })
            foreach (var q in new[] { "inf", "2", "1" })
                cases.Add(Linear(tableau, q, seed++));
        return cases;
    }

    private static Case NeuralOde(ButcherTableau tableau, LossKind loss, string q, int seed, int stepsPerLayer, bool inline)
    {
        var rng = new Random(seed);
        var p = NodeProblem.Draw(seed, dim: rng.Next(2, 5), batch: rng.Next(1, 6), layers: rng.Next(1, 4), loss, finalTime: 0.5 + rng.NextDouble());
        var json = Common(tableau, p.Dim, p.Layers, p.FinalTime, stepsPerLayer, p.X0, loss, p.Labels, p.Targets, q, inline);
        json["field"] = "node-tanh";
        json["weights"] = PyTorchReference.ToJson(p.Weights);
        json["biases"] = PyTorchReference.ToJson(p.Biases);
        return new Case($"{tableau.Name}×{stepsPerLayer}{(inline ? " (inline)" : "")}, node-tanh, {loss}, q = {q}", json,
            p.Problem(SolverCatalog.Fixed(tableau, stepsPerLayer)), new AugmentedLoss(Epsilon, AttackNorm.Parse(q)!), ["Weights", "Biases"]);
    }

    private static Case Linear(ButcherTableau tableau, string q, int seed)
    {
        var p = NodeProblem.Draw(seed, dim: 3, batch: 4, layers: 1, LossKind.CrossEntropy);
        using var g = new Generator((ulong)seed);
        var a = randn([3, 3], dtype: float64, generator: g).mul_(0.6);
        const int layers = 2;
        var json = Common(tableau, 3, layers, 1.0, 1, p.X0, LossKind.CrossEntropy, p.Labels, p.Targets, q, inline: false);
        json["field"] = "linear";
        json["A"] = PyTorchReference.ToJson(a);
        var field = LinearField.Create(a, 1.0, layers).Ok();
        return new Case($"{tableau.Name}, linear, q = {q}", json, p.Problem(field, SolverCatalog.Fixed(tableau)),
            new AugmentedLoss(Epsilon, AttackNorm.Parse(q)!), ["A"]);
    }

    private static JsonObject Common(ButcherTableau tableau, int dim, int layers, double finalTime, int stepsPerLayer, Tensor x0,
        LossKind loss, Tensor labels, Tensor targets, string q, bool inline)
    {
        var json = new JsonObject
        {
            ["dim"] = dim,
            ["steps"] = layers,
            ["T"] = finalTime,
            ["solver"] = inline ? "inline-" + tableau.Name : tableau.Name,
            ["stepsPerLayer"] = stepsPerLayer,
            ["x0"] = PyTorchReference.ToJson(x0),
            ["loss"] = loss == LossKind.CrossEntropy ? "cross-entropy" : "square",
            ["epsilon"] = Epsilon,
            ["q"] = q == "inf" ? JsonValue.Create("inf") : JsonValue.Create(int.Parse(q)),
            ["mode"] = "discrete",
        };
        if (loss == LossKind.CrossEntropy) json["labels"] = PyTorchReference.ToJson(labels);
        else json["targets"] = PyTorchReference.ToJson(targets);
        if (inline)
        {
            int s = tableau.Stages;
            json["tableau"] = new JsonObject
            {
                ["A"] = new JsonArray(Enumerable.Range(0, s).Select(i => (JsonNode)new JsonArray(Enumerable.Range(0, s).Select(j => (JsonNode)JsonValue.Create(tableau.A[i, j])!).ToArray())).ToArray()),
                ["b"] = new JsonArray(tableau.B.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
                ["c"] = new JsonArray(tableau.C.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray()),
            };
        }
        return json;
    }

    private static IEnumerable<string> Compare(string engine, Case c, JsonObject answer)
    {
        using var scope = NewDisposeScope();
        var result = OracleEngine.AugmentedGradient(engine, c.Library, c.Augmented, AdjointMode.Discrete);
        var first = result.FirstOrder;
        var checks = new List<(string Name, double Error)>
        {
            ("loss", Close.RelativeError(first.Loss, answer["loss"]!.GetValue<double>())),
            ("augmentedLoss", Close.RelativeError(result.AugmentedLoss, answer["augmentedLoss"]!.GetValue<double>())),
            ("gradX0", Close.RelativeError(first.InputSensitivity / c.Library.BatchSize, PyTorchReference.FromJson(answer["gradX0"]!, first.InputSensitivity.shape))),
        };
        for (int j = 0; j < c.ControlNames.Length; j++)
        {
            var shape = first.ControlGradients[j].shape;
            checks.Add(("grad" + c.ControlNames[j], Close.RelativeError(first.ControlGradients[j], PyTorchReference.FromJson(answer["grad" + c.ControlNames[j]]!, shape))));
            checks.Add(("augmentedGrad" + c.ControlNames[j],
                Close.RelativeError(result.AugmentedControlGradients[j], PyTorchReference.FromJson(answer["augmentedGrad" + c.ControlNames[j]]!, shape))));
        }
        return checks.Where(x => !(x.Error <= Tolerance)).Select(x => $"{c.Label}: {x.Name} relative error {x.Error:E2}").ToArray();
    }
}

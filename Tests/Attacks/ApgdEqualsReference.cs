using System.Diagnostics;
using System.Text.Json.Nodes;
using RobustNode.Core.Engines;
using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Sampling;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Tests.Attacks.Support;
using RobustNode.Tests.Oracles;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Attacks;

/// <summary>
/// One APGD run against the authors' implementation (fra31/auto-attack, transcribed in Oracles/apgd_reference.py) from the
/// same starting point on the same network, in float64: the same best points and losses, and the same samples fooled —
/// on TorchSharp and on the managed engine (the same trained parameters), both against one run of the reference.
/// </summary>
public sealed class ApgdEqualsReference(StandardNetworks networks) : IClassFixture<StandardNetworks>
{
    private static readonly TorchEngine E = TorchEngine.Instance;

    public static string Script => Path.Combine(AppContext.BaseDirectory, "Oracles", "apgd_reference.py");

    [PyTorchFact]
    public void Cross_entropy_runs_match_in_the_max_norm() => Compare(networks.MoonsModel, networks.Moons.Test.X, networks.Moons.Test.Labels, AttackNorm.Infinity, 0.25, 40, targeted: false, box: null);

    [PyTorchFact]
    public void Cross_entropy_runs_match_in_the_two_norm() => Compare(networks.MoonsModel, networks.Moons.Test.X, networks.Moons.Test.Labels, AttackNorm.Two, 0.3, 40, targeted: false, box: null);

    [PyTorchFact]
    public void Cross_entropy_runs_match_in_a_box() =>
        Compare(networks.MoonsModel, networks.Moons.Test.X.Clamped(-0.9, 1.9), networks.Moons.Test.Labels, AttackNorm.Infinity, 0.3, 30, targeted: false, box: new InputBox(-0.9, 1.9));

    [PyTorchFact]
    public void Targeted_dlr_runs_match() => Compare(networks.BlobsModel, networks.Blobs.Test.X, networks.Blobs.Test.Labels, AttackNorm.Infinity, 0.5, 50, targeted: true, box: null);

    [PyTorchFact]
    public void Targeted_dlr_runs_match_in_the_two_norm() => Compare(networks.BlobsModel, networks.Blobs.Test.X, networks.Blobs.Test.Labels, AttackNorm.Two, 0.6, 30, targeted: true, box: null);

    private static void Compare(Network<Tensor> model, Tensor x, Tensor labels, AttackNorm norm, double eps, int iterations, bool targeted, InputBox? box)
    {
        using var scope = NewDisposeScope();
        // Only samples classified correctly are attacked (for the targeted loss the second-highest score is then not the label).
        var correct = Ok(Inference.Output(model, x)).argmax(1).eq(labels).nonzero().squeeze(1);
        (x, labels) = (x.index_select(0, correct), labels.index_select(0, correct));
        var attack = new Apgd(eps, norm, iterations, Box: box);
        var start = attack.Start(E, x, new SplitMix64(17));
        var y = labels.data<long>().Select(v => (int)v).ToArray();
        int[]? targets = null;
        ILoss<Tensor> loss = CrossEntropyLoss.Create(labels);
        if (targeted)
        {
            // The second-highest clean score, as APGD-T's first target.
            var order = Ok(Inference.Output(model, x)).argsort(1, descending: true);
            targets = order[.., 1].data<long>().Select(v => (int)v).ToArray();
            loss = new DifferenceOfLogitsRatioLoss<Tensor>(E, labels, targets);
        }
        var onTorch = Ok(attack.Run(model, x, loss, y, start));
        var ours = new Outcome(onTorch.Fooled, onTorch.Best, onTorch.BestLoss);
        var managed = ManagedRun(model, attack, x, labels, y, targets, start);

        var ode = (OdeBlock<Tensor>)model.Blocks[1];
        var field = (NeuralOdeField<Tensor>)ode.Field;
        var readout = (LinearBlock<Tensor>)model.Blocks[2];
        var input = new JsonObject
        {
            ["weights"] = PyTorchReference.ToJson(field.Weights), ["biases"] = PyTorchReference.ToJson(field.Biases),
            ["readoutWeight"] = PyTorchReference.ToJson(readout.Weight), ["readoutBias"] = PyTorchReference.ToJson(readout.Bias),
            ["T"] = field.Grid.FinalTime, ["x"] = PyTorchReference.ToJson(x), ["y"] = PyTorchReference.ToJson(labels),
            ["xInit"] = PyTorchReference.ToJson(x.Plus(start)), ["eps"] = eps, ["norm"] = double.IsPositiveInfinity(norm.Q) ? "Linf" : "L2",
            ["iterations"] = iterations, ["loss"] = targeted ? "dlr-targeted" : "ce",
            ["targets"] = targets is null ? null : new JsonArray(targets.Select(t => (JsonNode)t).ToArray()),
            ["box"] = box is null ? null : new JsonArray(box.Min, box.Max),
        };
        var answer = Oracle(input);
        var referenceBest = PyTorchReference.FromJson(answer["xBest"]!, x.shape);
        var referenceLoss = answer["lossBest"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var referenceFooled = answer["fooled"]!.AsArray().Select(v => v!.GetValue<bool>()).ToArray();
        // Rounding differs (sums in another order), so where two iterates have nearly equal losses the strict comparison may
        // keep the other one as best, and the sign of a vanishing gradient component may differ near an interior maximum:
        // the losses agree to 10⁻⁶, the best points to 10⁻³ (ε ≥ 0.25), not to the bit.
        foreach (var (engine, run) in new[] { ("torch", ours), ("managed", managed) })
        {
            Assert.True(referenceFooled.SequenceEqual(run.Fooled), $"{engine}: other samples fooled than the reference's");
            for (int i = 0; i < y.Length; i++)
                Assert.True(Math.Abs(referenceLoss[i] - run.BestLoss[i]) <= 1e-6 * (1 + Math.Abs(referenceLoss[i])), $"{engine}, sample {i}: loss {run.BestLoss[i]:R}, reference {referenceLoss[i]:R}");
            Assert.True(MaxAbsDifference(run.Best, referenceBest) < 1e-3, $"{engine}: best points differ by {MaxAbsDifference(run.Best, referenceBest):G3}");
        }
        Assert.True(ours.Fooled.Any(f => f) && ours.Fooled.Any(f => !f), "the case should fool some samples and not others");
    }

    /// <summary>What a run found: the samples fooled, the best points (as TorchSharp tensors) and their losses.</summary>
    private sealed record Outcome(bool[] Fooled, Tensor Best, double[] BestLoss);

    /// <summary>The same run on the managed engine in float64, from the same start, on the same trained parameters.</summary>
    private static Outcome ManagedRun(Network<Tensor> model, Apgd attack, Tensor x, Tensor labels, int[] y, int[]? targets, Tensor start)
    {
        var e = new ManagedEngine<double>();
        using var scope = e.OpenScope();
        var managedModel = StandardNetworks.On(e, model);
        ILoss<ManagedTensor<double>> loss = targets is null
            ? new CrossEntropyLoss<ManagedTensor<double>>(e, e.FromTensor(labels))
            : new DifferenceOfLogitsRatioLoss<ManagedTensor<double>>(e, e.FromTensor(labels), targets);
        var run = Ok(attack.Run(managedModel, e.FromTensor(x), loss, y, e.FromTensor(start)));
        return new Outcome(run.Fooled, e.ToTensor(run.Best), run.BestLoss);
    }

    private static JsonObject Oracle(JsonObject input)
    {
        var folder = Directory.CreateTempSubdirectory("robustnode-apgd-");
        try
        {
            var inputPath = Path.Combine(folder.FullName, "input.json");
            var outputPath = Path.Combine(folder.FullName, "output.json");
            File.WriteAllText(inputPath, input.ToJsonString());
            using var process = Process.Start(new ProcessStartInfo(PyTorchFactAttribute.Python, [Script, inputPath, outputPath])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"the APGD oracle failed ({process.ExitCode}): {stderr}{stdout.Result}");
            return JsonNode.Parse(File.ReadAllText(outputPath))!.AsObject();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}

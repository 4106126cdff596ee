using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>The two terminal losses of DESIGN §1.</summary>
public enum LossKind { CrossEntropy, Square }

/// <summary>
/// A neural-ODE problem x' = W_k tanh(x) + b_k drawn from a seed, in float64: W [N, d, d] scaled by
/// <c>scale/√d</c>, b [N, d], inputs x₀ [B, d], class labels [B] in [0, d) and regression targets [B, d].
/// </summary>
public sealed record NodeProblem(Tensor Weights, Tensor Biases, Tensor X0, Tensor Labels, Tensor Targets, double FinalTime, LossKind Loss)
{
    public int Layers => (int)Weights.shape[0];
    public int Dim => (int)Weights.shape[1];
    public long Batch => X0.shape[0];

    public static NodeProblem Draw(long seed, int dim, int batch, int layers, LossKind loss, double finalTime = 1.0, double scale = 1.0)
    {
        using var generator = new Generator((ulong)seed);
        var w = randn([layers, dim, dim], dtype: float64, generator: generator).mul_(scale / Math.Sqrt(dim));
        var b = randn([layers, dim], dtype: float64, generator: generator).mul_(0.5);
        var x0 = randn([batch, dim], dtype: float64, generator: generator);
        var labels = randint(0, dim, [batch], dtype: int64, generator: generator);
        var targets = randn([batch, dim], dtype: float64, generator: generator);
        return new NodeProblem(w, b, x0, labels, targets, finalTime, loss);
    }

    /// <summary>The library's field W_k tanh(x) + b_k (closed-form derivatives).</summary>
    public NeuralOdeField<Tensor> Field() => NeuralOdeField.Create(Weights, Biases, FinalTime).Ok();

    /// <summary>The same field as a plain function of (x, [W_k, b_k]): derivatives by the single-step autograd fallback.</summary>
    public FunctionField FunctionField() =>
        new((_, x, u) => x.tanh().matmul(u[0].t()).add(u[1]), Dim, new LayerGrid(Layers, FinalTime),
            [new ControlParameter<Tensor>("weights", Weights, true), new ControlParameter<Tensor>("biases", Biases, true)]);

    /// <summary>The library's loss with these labels or targets.</summary>
    public ILoss<Tensor> LossFunction() => Loss == LossKind.CrossEntropy ? CrossEntropyLoss.Create(Labels) : SquaredErrorLoss.Create(Targets);

    /// <summary>Per-sample loss written directly with torch operations (for autograd references).</summary>
    public Tensor PerSample(Tensor xT) => Loss == LossKind.CrossEntropy
        ? nn.functional.cross_entropy(xT, Labels, reduction: nn.Reduction.None)
        : (xT - Targets).square().sum(1);

    public SensitivityProblem<Tensor> Problem(IVectorField<Tensor> field, OdeSolver solver, Tensor? x0 = null) =>
        new(field, x0 ?? X0, LossFunction(), solver);

    public SensitivityProblem<Tensor> Problem(OdeSolver solver) => Problem(Field(), solver);

    /// <summary>The same problem with other weights and biases.</summary>
    public NodeProblem WithControls(Tensor weights, Tensor biases) => this with { Weights = weights, Biases = biases };
}

/// <summary>Unwraps the library's error values inside tests: a failure is a test failure with its message.</summary>
public static class Outcome
{
    public static T Ok<T>(this Validation<Error, T> v) =>
        v.Match(x => x, errors => throw new Xunit.Sdk.XunitException(string.Join("; ", errors.Map(e => e.Message))));

    public static T Ok<T>(this Fin<T> f) =>
        f.Match(x => x, e => throw new Xunit.Sdk.XunitException(e.Message));
}

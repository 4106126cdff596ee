using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Models;

/// <summary>
/// The network of the seed talk's point-cloud example as a configuration value:
/// <c>Network([ZeroPaddingBlock(inputs, d), OdeBlock(W σ(x) + b on N layers over [0, T], solver, adjoint), LinearBlock(d → classes)])</c>.
/// The inputs are lifted into R^d by zero padding (augmented neural ODEs, so the flow can untangle the classes),
/// transported by the discretized neural ODE, and read out as class logits. Parameters, in the order
/// <see cref="IBlock{T}.Parameters"/> lists them: W [N, d, d], b [N, d], read-out weight [classes, d], read-out bias [classes].
/// </summary>
/// <param name="Dim">State dimension d ≥ inputs.</param>
/// <param name="Layers">Number of layers N (piecewise-constant controls).</param>
/// <param name="FinalTime">Final time T.</param>
/// <param name="Classes">Number of classes (logits).</param>
/// <param name="Inputs">Input dimension (2 for point clouds).</param>
/// <param name="WeightScale">Initial W_k entries are N(0, 1/d) times this scale.</param>
/// <param name="BiasScale">Initial b_k entries are N(0, 1) times this scale (0: zero biases).</param>
public sealed record PointCloudModel(
    int Dim = 4,
    int Layers = 10,
    double FinalTime = 1.0,
    int Classes = 2,
    int Inputs = 2,
    double WeightScale = 1.0,
    double BiasScale = 0.0)
{
    /// <summary>Activation σ of the field (default tanh).</summary>
    public Activation Activation { get; init; } = Activation.Tanh;

    /// <summary>The solver that discretizes the flow (default: explicit Euler, one step per layer — a ResNet).</summary>
    public OdeSolver Solver { get; init; } = SolverCatalog.Fixed(Tableaux.Euler);

    /// <summary>The adjoint strategy of the ODE block (default: the exact discrete adjoint).</summary>
    public IAdjointMethod Adjoint { get; init; } = AdjointMode.Discrete;

    /// <summary>
    /// Gradient-flow layers s_k A_kᵀσ(A_k x + b_k) in place of the neural-ODE field (null: W_k σ(x) + b_k). They need constant
    /// steps; the network is built on its step rule (A_k projected) and training keeps it there.
    /// </summary>
    public GradientFlowLayers? GradientFlow { get; init; }

    /// <summary>Checks the configuration, reporting every problem at once.</summary>
    public Fin<PointCloudModel> Validate() => TrainingErrors.All(Problems()).Map(_ => this);

    private IEnumerable<Error> Problems()
    {
        if (Inputs < 1) yield return TrainingErrors.InvalidConfiguration("model.inputs", $"must be at least 1, got {Inputs}");
        if (Dim < Inputs) yield return TrainingErrors.InvalidConfiguration("model.dim", $"the state dimension must be at least the input dimension {Inputs}, got {Dim}");
        if (Layers < 1) yield return TrainingErrors.InvalidConfiguration("model.layers", $"must be at least 1, got {Layers}");
        if (!(FinalTime > 0) || !double.IsFinite(FinalTime)) yield return TrainingErrors.InvalidConfiguration("model.T", $"must be positive and finite, got {FinalTime}");
        if (Classes < 2) yield return TrainingErrors.InvalidConfiguration("model.classes", $"must be at least 2, got {Classes}");
        if (!(WeightScale >= 0) || !double.IsFinite(WeightScale)) yield return TrainingErrors.InvalidConfiguration("model.weightScale", $"must be finite and non-negative, got {WeightScale}");
        if (!(BiasScale >= 0) || !double.IsFinite(BiasScale)) yield return TrainingErrors.InvalidConfiguration("model.biasScale", $"must be finite and non-negative, got {BiasScale}");
        foreach (var e in Solver.Validate().Match(Succ: _ => [], Fail: errors => errors.ToArray())) yield return e;
        if (GradientFlow is { } flow)
        {
            foreach (var e in flow.Problems(Layers)) yield return e;
            if (Solver.Controller.IsAdaptive)
                yield return TrainingErrors.InvalidConfiguration("model.solver", "gradient-flow layers keep a step-size rule, so they need constant steps, not adaptive ones");
        }
    }

    /// <summary>
    /// A freshly initialised float64 network on TorchSharp (CPU unless a device is given); the same seed gives the same
    /// parameters. The tensors belong to the caller's dispose scope, if any.
    /// </summary>
    public Fin<Network<Tensor>> Build(long seed, Device? device = null) => Build(TorchEngine.Instance, seed, device);

    /// <summary>
    /// A freshly initialised float64 network on any engine; the same seed gives the same parameters on every engine and
    /// device. W_k ~ N(0, 1/d)·scale, b_k ~ N(0, 1)·biasScale, the read-out as PyTorch's nn.Linear (uniform in ±1/√d),
    /// drawn on the CPU by TorchSharp's generator, moved to <paramref name="device"/> (TorchSharp) and handed to the
    /// engine. The values belong to the caller's scope, if any.
    /// </summary>
    public Fin<Network<T>> Build<T>(IEngine<T> engine, long seed, Device? device = null) => Validate().Bind(_ =>
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)Seeds.Derive(seed, Seeds.Initialisation)));
        var weights = randn([Layers, Dim, Dim], dtype: ScalarType.Float64, generator: generator).TimesInPlace(WeightScale / Math.Sqrt(Dim));
        var biases = BiasScale > 0
            ? randn([Layers, Dim], dtype: ScalarType.Float64, generator: generator).TimesInPlace(BiasScale)
            : zeros([Layers, Dim], dtype: ScalarType.Float64);
        var readout = LinearBlock.Initialised(Dim, Classes, generator);
        // Values the engine holds: on TorchSharp the tensors themselves (moved out of this scope), elsewhere copies.
        T Enter(Tensor t) => engine.FromTensor((device is null ? t : t.to(device)).MoveToOuterDisposeScope());
        if (GradientFlow is { } flow) return BuildGradientFlow(engine, flow, generator, readout, Enter);
        return TrainingErrors.Collect(NeuralOdeField.Create(engine, Enter(weights), Enter(biases), FinalTime, Activation)).Map(field =>
            new Network<T>([
                new ZeroPaddingBlock<T>(engine, Inputs, Dim),
                new OdeBlock<T>(field, Solver, Adjoint),
                new LinearBlock<T>(engine, Enter(readout.Weight), Enter(readout.Bias))]));
    });

    // A [N, m, d] ~ N(0, 1/d)·scale and b [N, m] ~ N(0, 1)·biasScale drawn after the neural-ODE parameters (so the read-out is
    // drawn as for the neural ODE), then projected onto the step rule.
    private Fin<Network<T>> BuildGradientFlow<T>(IEngine<T> engine, GradientFlowLayers flow, Generator generator, LinearBlock<Tensor> readout, Func<Tensor, T> enter)
    {
        int rows = flow.Rows ?? Dim;
        var a = randn([Layers, rows, Dim], dtype: ScalarType.Float64, generator: generator).TimesInPlace(WeightScale / Math.Sqrt(Dim));
        var b = BiasScale > 0
            ? randn([Layers, rows], dtype: ScalarType.Float64, generator: generator).TimesInPlace(BiasScale)
            : zeros([Layers, rows], dtype: ScalarType.Float64);
        return TrainingErrors.Collect(GradientFlowField.Create(engine, enter(a), enter(b), FinalTime, flow.Activation, flow.Directions(Layers), flow.Rule(Layers)))
            .Bind(field =>
            {
                var network = new Network<T>([
                    new ZeroPaddingBlock<T>(engine, Inputs, Dim),
                    new OdeBlock<T>(field, Solver, Adjoint),
                    new LinearBlock<T>(engine, enter(readout.Weight), enter(readout.Bias))]);
                return StepConstraints.Restore(network).Map(_ => network);
            });
    }

    /// <summary>A canonical description of every setting (for reports and configuration fingerprints).</summary>
    public string Describe() => GradientFlow is { } flow
        ? FormattableString.Invariant(
            $"point-cloud-{flow.Describe()[..^1]}, inputs={Inputs}, dim={Dim}, layers={Layers}, T={FinalTime:R}, classes={Classes}, solver={DescribeSolver(Solver)}, adjoint={Adjoint.Name}, weightScale={WeightScale:R}, biasScale={BiasScale:R})")
        : FormattableString.Invariant(
            $"point-cloud-node(inputs={Inputs}, dim={Dim}, layers={Layers}, T={FinalTime:R}, classes={Classes}, activation={Activation.Name}, solver={DescribeSolver(Solver)}, adjoint={Adjoint.Name}, weightScale={WeightScale:R}, biasScale={BiasScale:R})");

    /// <summary>A solver as text: "rk4/fixed(1 step per layer)", "dopri5/adaptive(rtol=1E-06, atol=1E-08)".</summary>
    internal static string DescribeSolver(OdeSolver solver) => solver.Tableau.Name + "/" + solver.Controller switch
    {
        ConstantSteps { StepSize: { } h } => FormattableString.Invariant($"fixed(h<={h:R})"),
        ConstantSteps c => FormattableString.Invariant($"fixed({c.StepsPerLayer} per layer)"),
        PIController pi => FormattableString.Invariant($"adaptive(rtol={pi.RelativeTolerance:R}, atol={pi.AbsoluteTolerance:R}, maxSteps={pi.MaxSteps})"),
        var other => other.ToString(),
    };
}

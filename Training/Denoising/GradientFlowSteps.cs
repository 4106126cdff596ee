using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using static LanguageExt.Prelude;
using Tensor = TorchSharp.torch.Tensor;

namespace RobustNode.Training.Denoising;

/// <summary>
/// N explicit Euler steps x ↦ x − h A_kᵀσ(A_k x + b_k) of the convolutional gradient-flow field
/// (<see cref="ConvolutionGradientFlowField"/>, all layers contractive) on grey images [B, 1, H, W] of any size: each
/// input size gets the field of that size over the same kernels K [N, m, C, k, k] and biases b [N, m], so the network
/// trained on patches denoises whole images; derivatives come from the field's closed forms through the discrete adjoint.
/// With C &gt; 1 state channels the image is lifted, E y = (y, 0, …, 0), and the output is channel 0 of the final state,
/// Eᵀx(T); the adjoint of the lifting reads channel 0 of a cotangent, that of the read-out pads it with zeros.
/// </summary>
/// <param name="Kernels">K [N, m, C, k, k].</param>
/// <param name="Biases">b [N, m].</param>
/// <param name="StepSize">h (the field runs on [0, N·h], one Euler step per layer).</param>
/// <param name="Activation">σ = γ' with γ convex (monotone).</param>
/// <param name="Rule">The step rule the layers keep (h·sup σ'·‖A_k‖₂² ≤ 2θ).</param>
internal sealed record GradientFlowSteps(Tensor Kernels, Tensor Biases, double StepSize, Activation Activation, GradientFlowStepRule Rule) : IBlock<Tensor>
{
    /// <inheritdoc/>
    public IEngine<Tensor> Engine => TorchEngine.Instance;

    /// <inheritdoc/>
    public string Name => "gradient-flow-steps";

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters => [Kernels, Biases];

    /// <inheritdoc/>
    public IBlock<Tensor> WithParameters(IReadOnlyList<Tensor> values) => this with { Kernels = values[0], Biases = values[1] };

    /// <inheritdoc/>
    public Fin<long[]> OutputShape(long[] inputShape) =>
        inputShape.Length == 4 && inputShape[1] == 1 && inputShape[2] >= 1 && inputShape[3] >= 1
            ? FinSucc(inputShape)
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("gradient-flow denoiser input", "[B, 1, H, W]", ShapeText.Of(inputShape)));

    /// <summary>C, the state channels.</summary>
    public long Channels => Kernels.shape[2];

    /// <inheritdoc/>
    public Fin<IForwardSweep<Tensor>> Forward(Tensor input) =>
        Channels == 1
            ? OutputShape(input.shape).Bind(shape => At(shape[2], shape[3])).Bind(block => block.Forward(input))
            : OutputShape(input.shape).Bind(shape => At(shape[2], shape[3])).Bind(block => block.Forward(Lift(input)))
                .Map(sweep => (IForwardSweep<Tensor>)new LiftedSweep(this, sweep));

    // E y = (y, 0, …, 0) on the channel axis (EᵀE = I, so the lifted map keeps the steps' averagedness).
    private Tensor Lift(Tensor image) =>
        TorchSharp.torch.nn.functional.pad(image, [0, 0, 0, 0, 0, Channels - 1]);

    // Eᵀx: channel 0, as its own tensor (the sweep's final state is freed apart from the output).
    private static Tensor ReadOut(Tensor state) => state.narrow(1, 0, 1).contiguous();

    /// <summary>The ODE block of the steps on H×W images (views of the same kernels and biases).</summary>
    public Fin<OdeBlock<Tensor>> At(long height, long width) =>
        ConvolutionGradientFlowField.Create(Kernels, Biases, height, width, Kernels.shape[0] * StepSize, Activation, [FlowDirection.Contractive], Rule)
            .Match(
                Succ: field => FinSucc(new OdeBlock<Tensor>(field, SolverCatalog.Fixed(Tableaux.Euler), AdjointMode.Discrete)),
                Fail: errors => FinFail<OdeBlock<Tensor>>(errors.Head));

    // The sweeps of D = Eᵀ Φ E from those of Φ on the lifted state: cotangents are padded (Eᵀ's adjoint is E) before the
    // reverse sweeps and read at channel 0 (E's adjoint is Eᵀ) after them; tangents are lifted and read the same way.
    private sealed class LiftedSweep(GradientFlowSteps block, IForwardSweep<Tensor> inner) : IForwardSweep<Tensor>
    {
        public Tensor Final { get; } = ReadOut(inner.Final);
        public Solvers.Integration.SolveStatistics Statistics => inner.Statistics;

        public Fin<ReverseResult<Tensor>> Reverse(Tensor lambdaT, bool withControls) =>
            inner.Reverse(block.Lift(lambdaT), withControls).Map(r => r with { Lambda0 = ReadOut(r.Lambda0) });

        public Fin<ITangentSweep<Tensor>> Tangent(Tensor sigma0) =>
            inner.Tangent(block.Lift(sigma0)).Map(t => (ITangentSweep<Tensor>)new LiftedTangent(block, t));

        public void Dispose() => inner.Dispose();
    }

    private sealed class LiftedTangent(GradientFlowSteps block, ITangentSweep<Tensor> inner) : ITangentSweep<Tensor>
    {
        public Tensor Final { get; } = ReadOut(inner.Final);
        public Solvers.Integration.SolveStatistics Statistics => inner.Statistics;

        public Fin<SecondOrderReverseResult<Tensor>> Reverse(Tensor lambdaT, Tensor muT) =>
            inner.Reverse(block.Lift(lambdaT), block.Lift(muT)).Map(r => r with { Lambda0 = ReadOut(r.Lambda0), Mu0 = ReadOut(r.Mu0) });

        public void Dispose() => inner.Dispose();
    }
}

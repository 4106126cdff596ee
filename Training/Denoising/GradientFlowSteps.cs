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
/// input size gets the field of that size over the same kernels K [N, m, 1, k, k] and biases b [N, m], so the network
/// trained on patches denoises whole images; derivatives come from the field's closed forms through the discrete adjoint.
/// </summary>
/// <param name="Kernels">K [N, m, 1, k, k].</param>
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
        inputShape.Length == 4 && inputShape[1] == Kernels.shape[2] && inputShape[2] >= 1 && inputShape[3] >= 1
            ? FinSucc(inputShape)
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("gradient-flow denoiser input", $"[B, {Kernels.shape[2]}, H, W]", ShapeText.Of(inputShape)));

    /// <inheritdoc/>
    public Fin<IForwardSweep<Tensor>> Forward(Tensor input) =>
        OutputShape(input.shape).Bind(shape => At(shape[2], shape[3])).Bind(block => block.Forward(input));

    /// <summary>The ODE block of the steps on H×W images (views of the same kernels and biases).</summary>
    public Fin<OdeBlock<Tensor>> At(long height, long width) =>
        ConvolutionGradientFlowField.Create(Kernels, Biases, height, width, Kernels.shape[0] * StepSize, Activation, [FlowDirection.Contractive], Rule)
            .Match(
                Succ: field => FinSucc(new OdeBlock<Tensor>(field, SolverCatalog.Fixed(Tableaux.Euler), AdjointMode.Discrete)),
                Fail: errors => FinFail<OdeBlock<Tensor>>(errors.Head));
}

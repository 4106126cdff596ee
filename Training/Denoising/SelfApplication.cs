using RobustNode.Core.Engines;
using LanguageExt;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>One application k ≥ 1 of a denoiser to its own output, per image.</summary>
/// <param name="Application">k: x_k = D(x_{k−1}).</param>
/// <param name="Drift">‖x_k − x_{k−1}‖₂ of each image.</param>
/// <param name="Psnr">PSNR of x_k against the clean image.</param>
public sealed record SelfApplicationStep(int Application, double[] Drift, double[] Psnr);

/// <summary>The iterates' record and the last one (in the caller's dispose scope).</summary>
public sealed record SelfApplicationResult(IReadOnlyList<SelfApplicationStep> Steps, double[] StartPsnr, Tensor Final);

/// <summary>
/// A denoiser applied to its own output again and again, x_k = D(x_{k−1}) from a noisy image x₀: the blog's figure of
/// an unconstrained network drifting away while a non-expansive one settles. For an averaged D the drifts never
/// increase (‖x_{k+1} − x_k‖ = ‖Dx_k − Dx_{k−1}‖ ≤ ‖x_k − x_{k−1}‖).
/// </summary>
/// <remarks>Sherry et al., "Designing stable neural networks using convex analysis and ODEs", arXiv:2306.17332, 2023.</remarks>
public static class SelfApplication
{
    /// <summary>Applies D <paramref name="applications"/> times to <paramref name="start"/>, recording drift and PSNR against <paramref name="clean"/>.</summary>
    public static Fin<SelfApplicationResult> Run(Denoiser denoiser, Tensor start, Tensor clean, int applications)
    {
        if (applications < 1) return FinFail<SelfApplicationResult>(RobustNodeErrors.InvalidArgument("applications", $"must be at least 1, got {applications}"));
        if (!start.shape.SequenceEqual(clean.shape))
            return FinFail<SelfApplicationResult>(RobustNodeErrors.ShapeMismatch("clean images", "[" + string.Join(", ", start.shape) + "]", "[" + string.Join(", ", clean.shape) + "]"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = start.alias();
        var steps = new List<SelfApplicationStep>();
        for (int k = 1; k <= applications; k++)
        {
            using var step = NewDisposeScope();
            var applied = denoiser.Apply(x);
            if (applied.IsFail) return applied.Map(_ => default(SelfApplicationResult)!);
            var next = (Tensor)applied;
            if (!next.isfinite().all().item<bool>())
                return FinFail<SelfApplicationResult>(RobustNodeErrors.InvalidArgument("self-application",
                    $"application {k} of denoiser '{denoiser.Name}' gave NaN or infinite values"));
            var drift = (next - x).to(ScalarType.Float64).flatten(1).pow(TorchScalars.Two).sum([1L]).sqrt().data<double>().ToArray();
            steps.Add(new SelfApplicationStep(k, drift, Psnr.PerImage(next, clean)));
            var kept = next.MoveToOuterDisposeScope();
            x.Dispose();
            x = kept;
        }
        return new SelfApplicationResult(steps, Psnr.PerImage(start, clean), x.MoveToOuterDisposeScope());
    }
}

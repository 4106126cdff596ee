using RobustNode.Core.Engines;
using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Training.Denoising;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Reconstruction;

/// <summary>Settings of Plug-and-Play forward–backward splitting.</summary>
/// <param name="StepSize">γ, with 0 &lt; γ &lt; 2/L (L the Lipschitz constant of ∇f).</param>
/// <param name="MaxIterations">Most iterations (≥ 1).</param>
/// <param name="Tolerance">Stop once ‖x_{k+1} − x_k‖ ≤ tolerance for every image (≥ 0; 0 runs every iteration).</param>
public sealed record PnpOptions(double StepSize, int MaxIterations = 300, double Tolerance = 1e-6)
{
    /// <summary>Checks the settings against a problem's L, naming each problem.</summary>
    public Fin<PnpOptions> Validate(double lipschitz)
    {
        var problems = new List<string>();
        if (!(StepSize > 0) || !double.IsFinite(StepSize)) problems.Add($"step size γ must be positive, got {StepSize}");
        else if (!(StepSize * lipschitz < 2)) problems.Add($"step size γ = {StepSize} must be below 2/L = {2 / lipschitz} for this problem (L = {lipschitz})");
        if (MaxIterations < 1) problems.Add($"iterations must be at least 1, got {MaxIterations}");
        if (!(Tolerance >= 0) || !double.IsFinite(Tolerance)) problems.Add($"tolerance must be finite and non-negative, got {Tolerance}");
        return problems.Count == 0 ? FinSucc(this) : FinFail<PnpOptions>(RobustNodeErrors.InvalidArgument("plug-and-play", string.Join("; ", problems)));
    }
}

/// <summary>One iteration k ≥ 1 of Plug-and-Play, per image of the batch.</summary>
/// <param name="Iteration">k.</param>
/// <param name="Residual">The fixed-point residual ‖x_k − x_{k−1}‖₂ of each image (over its pixels).</param>
/// <param name="Psnr">PSNR of x_k against the clean image, when it is known (else empty).</param>
public sealed record PnpIteration(int Iteration, double[] Residual, double[] Psnr);

/// <summary>What a Plug-and-Play run produced.</summary>
/// <param name="Reconstruction">The last iterate [B, 1, H, W] (in the caller's dispose scope).</param>
/// <param name="Iterations">Every iteration's residuals and PSNRs.</param>
/// <param name="Converged">True when every residual reached the tolerance.</param>
/// <param name="StartPsnr">PSNR of the starting point x₀ = Aᵀy, when the clean image is known.</param>
public sealed record PnpResult(Tensor Reconstruction, IReadOnlyList<PnpIteration> Iterations, bool Converged, double[] StartPsnr);

/// <summary>
/// Plug-and-Play forward–backward splitting: x_{k+1} = D(x_k − γ∇f(x_k)) with a denoiser D in place of the proximal
/// map of a regulariser, started from x₀ = Aᵀy. When D is α-averaged and 0 &lt; γ &lt; 2/L, the gradient step is
/// γL/2-averaged, so their composition T is averaged: its residuals ‖x_{k+1} − x_k‖ never increase and the iterates
/// converge to a fixed point of T whenever it has one. An unconstrained D gives no such guarantee.
/// </summary>
/// <remarks>
/// Venkatakrishnan, Bouman, Wohlberg, "Plug-and-Play priors for model based reconstruction", GlobalSIP 2013;
/// convergence of averaged compositions: Combettes &amp; Yamada, "Compositions and convex combinations of averaged
/// nonexpansive operators", J. Math. Anal. Appl. 425, 2015; Sherry et al., "Designing stable neural networks using
/// convex analysis and ODEs", arXiv:2306.17332, 2023.
/// </remarks>
public static class PlugAndPlay
{
    /// <summary>
    /// Runs the iteration until every image's residual is at most the tolerance or the iterations run out. Fails,
    /// naming the iteration, when an iterate stops being finite or the denoiser fails; bad settings and shapes are
    /// refused first.
    /// </summary>
    /// <param name="problem">The inverse problem (A, y).</param>
    /// <param name="denoiser">D.</param>
    /// <param name="options">γ, iterations, tolerance.</param>
    /// <param name="clean">The clean images, for the PSNR of every iterate (optional).</param>
    /// <param name="progress">Reports every iteration as it finishes (optional).</param>
    public static Fin<PnpResult> Solve(InverseProblem problem, Denoiser denoiser, PnpOptions options, Tensor? clean = null,
        IProgress<PnpIteration>? progress = null)
    {
        var observed = problem.Observation.shape;
        var checks =
            from o in options.Validate(problem.Lipschitz)
            from a in problem.Operator.Accepts(observed)
            from c in clean is null || clean.shape.SequenceEqual(observed)
                ? FinSucc(unit)
                : FinFail<Unit>(RobustNodeErrors.ShapeMismatch("clean images", "[" + string.Join(", ", observed) + "]", "[" + string.Join(", ", clean.shape) + "]"))
            select o;
        return checks.Bind(o => Iterate(problem, denoiser, o, clean, progress));
    }

    private static Fin<PnpResult> Iterate(InverseProblem problem, Denoiser denoiser, PnpOptions options, Tensor? clean, IProgress<PnpIteration>? progress)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = problem.Start();
        var startPsnr = clean is null ? [] : Psnr.PerImage(x, clean);
        var iterations = new List<PnpIteration>();
        bool converged = false;
        for (int k = 1; k <= options.MaxIterations && !converged; k++)
        {
            using var step = NewDisposeScope();
            var forward = x - problem.DataGradient(x).TimesInPlace(options.StepSize);
            var denoised = denoiser.Apply(forward);
            if (denoised.IsFail) return FinFail<PnpResult>(Error(k, denoised.Match(Succ: _ => "", Fail: e => e.Message)));
            var next = (Tensor)denoised;
            if (!next.isfinite().all().item<bool>())
                return FinFail<PnpResult>(Error(k, $"the iterate of denoiser '{denoiser.Name}' became NaN or infinite"));
            var residual = (next - x).to(ScalarType.Float64).flatten(1).pow(TorchScalars.Two).sum([1L]).sqrt().data<double>().ToArray();
            var iteration = new PnpIteration(k, residual, clean is null ? [] : Psnr.PerImage(next, clean));
            iterations.Add(iteration);
            progress?.Report(iteration);
            converged = residual.All(r => r <= options.Tolerance);
            var kept = next.MoveToOuterDisposeScope();
            x.Dispose();
            x = kept;
        }
        return new PnpResult(x.MoveToOuterDisposeScope(), iterations, converged, startPsnr);
    }

    private static LanguageExt.Common.Error Error(int iteration, string message) =>
        LanguageExt.Common.Error.New(RobustNodeErrors.NonFiniteStateCode, $"plug-and-play iteration {iteration}: {message}");
}

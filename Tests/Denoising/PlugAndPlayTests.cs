using LanguageExt;
using RobustNode.Training.Denoising;
using RobustNode.Training.Reconstruction;
using Xunit;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Tests.Denoising;

/// <summary>
/// Plug-and-Play forward–backward splitting with denoisers whose averagedness is known: the residuals
/// ‖x_{k+1} − x_k‖ never increase and reach the tolerance; bad settings are refused before any iteration.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public class PlugAndPlayTests
{
    private static T Get<T>(Fin<T> value) => value.Match(v => v, e => throw new InvalidOperationException(e.Message));

    private static Tensor Clean() => rand([1, 1, 16, 16], float64, generator: new Generator(8));

    private static void AssertNonIncreasing(IReadOnlyList<PnpIteration> iterations)
    {
        for (int k = 1; k < iterations.Count; k++)
            Assert.True(iterations[k].Residual[0] <= iterations[k - 1].Residual[0] * (1 + 1e-9) + 1e-15,
                $"residual rose from {iterations[k - 1].Residual[0]:E3} to {iterations[k].Residual[0]:E3} at iteration {iterations[k].Iteration}");
    }

    [Fact]
    public void Deblurring_with_a_contractive_denoiser_converges_with_decreasing_residual()
    {
        using var scope = NewDisposeScope();
        var clean = Clean();
        var problem = Get(InverseProblem.Observe(Get(GaussianBlur.Create(1.0)), clean, 0.01, seed: 3));
        var denoiser = Get(Denoiser.ScaledIdentity(0.9));

        var result = Get(PlugAndPlay.Solve(problem, denoiser, new PnpOptions(StepSize: 1.0, MaxIterations: 1000, Tolerance: 1e-6), clean));

        Assert.True(result.Converged, $"last residual {result.Iterations[^1].Residual[0]:E3} after {result.Iterations.Count} iterations");
        Assert.True(result.Iterations[^1].Residual[0] <= 1e-6);
        Assert.True(result.Iterations.Count < 1000);
        AssertNonIncreasing(result.Iterations);
        Assert.All(result.Iterations, i => Assert.True(double.IsFinite(i.Psnr[0])));
        Assert.Equal(clean.shape, result.Reconstruction.shape);
    }

    [Fact]
    public void Inpainting_with_soft_thresholding_converges_with_decreasing_residual()
    {
        using var scope = NewDisposeScope();
        var clean = Clean();
        var mask = Get(PixelMask.Random(16, 16, 0.5, seed: 4));
        var problem = Get(InverseProblem.Observe(mask, clean, 0.0, seed: 5));
        var denoiser = Get(Denoiser.SoftThreshold(0.02));

        var result = Get(PlugAndPlay.Solve(problem, denoiser, new PnpOptions(StepSize: 1.0, MaxIterations: 500, Tolerance: 1e-6), clean));

        Assert.True(result.Converged);
        AssertNonIncreasing(result.Iterations);
        // The fixed point: observed pixels are soft-thresholded observations, missing ones have decayed to 0.
        var expected = nn.functional.softshrink(problem.Observation, 0.02);
        Assert.True((result.Reconstruction - expected).abs().max().item<double>() <= 1e-6);
    }

    [Fact]
    public void A_batch_stops_only_when_every_image_has_converged()
    {
        using var scope = NewDisposeScope();
        var clean = rand([3, 1, 12, 12], float64, generator: new Generator(2));
        var problem = Get(InverseProblem.Observe(Get(GaussianBlur.Create(0.8)), clean, 0.02, seed: 1));
        var result = Get(PlugAndPlay.Solve(problem, Get(Denoiser.ScaledIdentity(0.8)), new PnpOptions(1.9, 2000, 1e-8), clean));
        Assert.True(result.Converged);
        Assert.All(result.Iterations[^1].Residual, r => Assert.True(r <= 1e-8));
        Assert.Contains(result.Iterations[^2].Residual, r => r > 1e-8);
        Assert.Equal(3, result.StartPsnr.Length);
    }

    [Fact]
    public void Step_sizes_of_two_over_L_or_more_are_refused()
    {
        using var scope = NewDisposeScope();
        var problem = Get(InverseProblem.Observe(Get(GaussianBlur.Create(1.0)), Clean(), 0.01, seed: 3));
        var denoiser = Get(Denoiser.ScaledIdentity(0.5));
        var message = PlugAndPlay.Solve(problem, denoiser, new PnpOptions(2.0, 0, -1)).Match(_ => "", e => e.Message);
        Assert.Contains("must be below 2/L = 2", message);
        Assert.Contains("iterations must be at least 1", message);
        Assert.Contains("tolerance must be finite and non-negative", message);
        Assert.Contains("clean images", PlugAndPlay.Solve(problem, denoiser, new PnpOptions(1.0), zeros(1, 1, 8, 8, float64)).Match(_ => "", e => e.Message));
    }

    [Fact]
    public void A_denoiser_that_returns_NaN_stops_the_iteration_with_its_number()
    {
        using var scope = NewDisposeScope();
        var problem = Get(InverseProblem.Observe(Get(GaussianBlur.Create(1.0)), Clean(), 0.01, seed: 3));
        int calls = 0;
        var broken = new Denoiser("broken", x => FinSucc(++calls < 3 ? x.mul(0.5) : x.mul(double.NaN)));
        var message = PlugAndPlay.Solve(problem, broken, new PnpOptions(1.0)).Match(_ => "", e => e.Message);
        Assert.Contains("plug-and-play iteration 3", message);
        Assert.Contains("NaN", message);
    }

    [Fact]
    public void Self_application_of_an_averaged_denoiser_drifts_less_and_less()
    {
        using var scope = NewDisposeScope();
        var clean = Clean();
        var noisy = Get(GaussianNoise.Add(clean, 0.1, seed: 1));
        var result = Get(SelfApplication.Run(Get(Denoiser.SoftThreshold(0.02)), noisy, clean, 100));
        Assert.Equal(100, result.Steps.Count);
        for (int k = 1; k < result.Steps.Count; k++) Assert.True(result.Steps[k].Drift[0] <= result.Steps[k - 1].Drift[0] + 1e-15);
        Assert.Equal(0.0, result.Steps[^1].Drift[0]);   // everything has been thresholded to 0 after 100 × 0.02
    }
}

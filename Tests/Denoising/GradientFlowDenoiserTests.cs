using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Spectral;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Denoising;
using RobustNode.Training.Reconstruction;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Tests.Denoising;

/// <summary>
/// The convergent denoiser, averaged Euler steps of convolutional gradient flows: the norm bound it keeps holds on
/// images of every size; the denoiser is averaged with its proven α (the defining inequality on random pairs, on
/// patches and on larger images); Plug-and-Play with it reaches a fixed-point residual of 1e-6 on every test image,
/// deblurring and inpainting, with residuals that never rise; its gradient equals autograd's; training keeps the rule;
/// its description rebuilds it; bad settings are named.
/// </summary>
public class GradientFlowDenoiserTests
{
    private static T Get<T>(Fin<T> value) => value.Match(v => v, e => throw new InvalidOperationException(e.Message));

    private static readonly GradientFlowDenoiser Small = new(Steps: 4, Filters: 6, Theta: 0.9);

    /// <summary>The small denoiser on the image lifted to three state channels.</summary>
    private static readonly GradientFlowDenoiser Lifted = new(Steps: 4, Filters: 6, Theta: 0.9, Channels: 3);

    private static GradientFlowDenoiser WithChannels(int channels) => channels == 1 ? Small : Lifted with { Channels = channels };

    /// <summary>The small denoiser with random biases (so that ReLU regions vary), its kernels on the rule's boundary.</summary>
    private static TrainedDenoiser Trained(ulong seed, GradientFlowDenoiser? architecture = null)
    {
        architecture ??= Small;
        var network = Get(architecture.Build(seed, ScalarType.Float64));
        using var generator = new Generator(seed + 100);
        var biases = randn([architecture.Steps, architecture.Filters], float64, generator: generator).Times(0.2).DetachFromDisposeScope();
        var kernels = network.Parameters[0].Times(10.0).DetachFromDisposeScope();
        architecture.Constrain([kernels, biases]);
        return new TrainedDenoiser("gradient-flow", architecture, network.WithParameters([kernels, biases]));
    }

    /// <summary>Three 16×16 test images: two smooth ones and one of random pixels.</summary>
    private static Tensor TestImages()
    {
        var pixels = new double[3 * 16 * 16];
        for (int i = 0; i < 2; i++)
            for (int r = 0; r < 16; r++)
                for (int c = 0; c < 16; c++)
                    pixels[(i * 16 + r) * 16 + c] = 0.5 + 0.4 * Math.Sin((r + 3 * i) / 3.0) * Math.Cos((c - i) / 4.0);
        var random = new Random(5);
        for (int k = 2 * 256; k < 3 * 256; k++) pixels[k] = random.NextDouble();
        return tensor(pixels, [3, 1, 16, 16], float64);
    }

    [Theory]
    [InlineData(1, 3, 1)]
    [InlineData(4, 1, 3)]
    [InlineData(6, 2, 5)]
    public void The_norm_bound_holds_on_images_of_every_size(int filters, int channels, int side)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)(filters * 31 + side));
        var kernel = randn([filters, channels, side, side], float64, generator: generator);
        double bound = ConvolutionSpectrum.UpperBoundOnAnyImage(kernel);
        foreach (var (h, w) in new[] { (1, 1), (3, 5), (8, 8), (16, 11), (40, 40), (96, 64) })
        {
            double onImage = ConvolutionSpectrum.UpperBound(kernel, h, w);   // the exact norm of the circular convolution, ≥ the true norm
            var (estimate, _) = ConvolutionSpectrum.PowerIteration(kernel, h, w, tolerance: 1e-9, maxIterations: 500);
            Assert.True(estimate <= bound, $"power iteration {estimate:R} above the any-size bound {bound:R} on {h}×{w}");
            Assert.True(onImage / (1 + ConvolutionSpectrum.RoundingMargin) <= bound * (1 + 1e-12) || onImage <= bound * 1.0001,
                $"{h}×{w}: circular norm {onImage:R}, any-size bound {bound:R}");
        }
        // Tight up to the grid's spacing: on a fine grid, within 10 % of the norm on a large image.
        double fine = ConvolutionSpectrum.UpperBoundOnAnyImage(kernel, grid: 1024);
        Assert.True(fine <= 1.1 * ConvolutionSpectrum.UpperBound(kernel, 128, 128), $"bound {fine:R} loose");
    }

    [Theory]
    [InlineData(6, 2, 3, "moduli")]
    [InlineData(16, 4, 3, "moduli")]
    [InlineData(32, 8, 3, "moduli")]
    [InlineData(5, 3, 5, "moduli")]
    [InlineData(4, 1, 3, "moduli")]
    [InlineData(6, 2, 3, "eigenvalues")]
    [InlineData(16, 4, 3, "eigenvalues")]
    [InlineData(32, 8, 3, "eigenvalues")]
    [InlineData(5, 3, 5, "eigenvalues")]
    [InlineData(4, 1, 3, "eigenvalues")]
    public void The_gram_bounds_hold_on_images_of_every_size_and_are_close_to_the_norm(int filters, int channels, int side, string form)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)(filters * 17 + channels));
        var kernel = randn([filters, channels, side, side], float64, generator: generator);
        double moduli = ConvolutionGramBound.UpperBoundOnAnyImage(kernel);
        double bound = form == "moduli" ? moduli : ConvolutionGramBound.EigenvalueBoundOnAnyImage(kernel);
        foreach (var (h, w) in new[] { (1, 1), (3, 5), (8, 8), (16, 11), (40, 40), (96, 64) })
        {
            // The circular norm on the padded grid is the maximum of σ₁(K̂) over that grid's frequencies, never above sup_ω.
            double circular = ConvolutionSpectrum.UpperBound(kernel, h, w) / (1 + ConvolutionSpectrum.RoundingMargin);
            var (estimate, _) = ConvolutionSpectrum.PowerIteration(kernel, h, w, tolerance: 1e-9, maxIterations: 500);
            Assert.True(estimate <= bound, $"power iteration {estimate:R} above the {form} bound {bound:R} on {h}×{w}");
            Assert.True(circular <= bound, $"{h}×{w}: circular norm {circular:R} above the {form} bound {bound:R}");
        }
        double exact = ConvolutionSpectrum.UpperBoundOnAnyImage(kernel, grid: 512);
        if (form == "moduli")
        {
            // Never far above the exact any-size bound (random kernels, whose Gram phases do not align).
            Assert.True(bound <= 1.25 * exact, $"Gram bound {bound:R}, exact-per-frequency bound {exact:R}");
            // One channel: |G| = G is a number per frequency, so the bound is the exact norm up to the grid's slack.
            if (channels == 1) Assert.True(bound <= 1.06 * exact, $"one channel: {bound:R} against {exact:R}");
            return;
        }
        // The eigenvalues keep no entrywise slack: never above the moduli bound, within 3 % of the exact one.
        Assert.True(bound <= moduli, $"eigenvalue bound {bound:R} above the moduli bound {moduli:R}");
        Assert.True(bound <= 1.03 * exact, $"eigenvalue bound {bound:R}, exact-per-frequency bound {exact:R}");
        // A kernel with a non-finite entry has no bound (and no call into LAPACK).
        kernel[0, 0, 0, 0] = tensor(double.NaN, float64);
        Assert.True(double.IsNaN(ConvolutionGramBound.EigenvalueBoundOnAnyImage(kernel)));
    }

    [Theory]
    [InlineData(12, 1)]
    [InlineData(20, 1)]
    [InlineData(12, 3)]
    [InlineData(20, 4)]
    public void The_denoiser_is_averaged_with_its_proven_alpha_on_random_pairs(int side, int channels)
    {
        using var scope = NewDisposeScope();
        var denoiser = Trained(3, WithChannels(channels)).In(ScalarType.Float64);
        double alpha = denoiser.Averagedness.Match(a => a, () => throw new InvalidOperationException("no averagedness proven"));
        Assert.True(alpha < 1, $"α = {alpha:R}");
        Assert.Equal(1.0, denoiser.LipschitzBound.IfNone(double.NaN));
        var (x, y) = Averagedness.RandomPairs([48, 1, side, side], seed: side);
        var check = Get(Averagedness.Check(denoiser.Apply, alpha, x, y, tolerance: 1e-10));
        Assert.True(check.Holds, $"{check}");
        Assert.True(check.LargestRatio <= 1 + 1e-12, $"ratio {check.LargestRatio:R}");
        Assert.True(check.SmallestAlpha <= alpha * (1 + 1e-9), $"pairs need α ≥ {check.SmallestAlpha:R}, proven {alpha:R}");
    }

    [Theory]
    [InlineData("deblur", 1)]
    [InlineData("inpaint", 1)]
    [InlineData("deblur", 3)]
    public void Plug_and_play_reaches_a_residual_of_1e_6_on_every_test_image(string kind, int channels)
    {
        using var scope = NewDisposeScope();
        var denoiser = Trained(7, WithChannels(channels)).In(ScalarType.Float64);
        var clean = TestImages();
        ILinearOperator operation = kind == "deblur" ? Get(GaussianBlur.Create(1.0)) : Get(PixelMask.Random(16, 16, 0.5, seed: 4));
        var problem = Get(InverseProblem.Observe(operation, clean, 0.01, seed: 3));

        var result = Get(PlugAndPlay.Solve(problem, denoiser, new PnpOptions(StepSize: 1.0, MaxIterations: 4000, Tolerance: 1e-6), clean));

        Assert.True(result.Converged, $"residuals {string.Join(", ", result.Iterations[^1].Residual.Select(r => r.ToString("E2")))} after {result.Iterations.Count} iterations");
        Assert.All(result.Iterations[^1].Residual, r => Assert.True(r <= 1e-6));
        for (int image = 0; image < 3; image++)
            for (int k = 1; k < result.Iterations.Count; k++)
                Assert.True(result.Iterations[k].Residual[image] <= result.Iterations[k - 1].Residual[image] * (1 + 1e-9) + 1e-15,
                    $"image {image}: residual rose from {result.Iterations[k - 1].Residual[image]:E3} to {result.Iterations[k].Residual[image]:E3} at iteration {k + 1}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Its_gradient_equals_autograd(int channels)
    {
        using var scope = NewDisposeScope();
        var architecture = WithChannels(channels);
        var trained = Trained(11, architecture);
        var network = trained.Network;
        using var generator = new Generator(9);
        var clean = rand([2, 1, 6, 7], float64, generator: generator);
        var noisy = clean.Plus(randn([2, 1, 6, 7], float64, generator: generator).Times(0.1));

        var adjoint = Get(LossDerivatives.Gradient(network, noisy, new PixelSquaredError(clean)));

        var p = network.Parameters.Select(t => t.detach().clone().requires_grad_(true)).ToArray();
        var z = cat([noisy, zeros([2, channels - 1, 6, 7], float64)], 1);   // E y
        for (int k = 0; k < architecture.Steps; k++)
            z = z.Plus(nn.functional.conv_transpose2d(nn.functional.relu(nn.functional.conv2d(z, p[0][k], p[1][k], padding: [1, 1])), p[0][k], padding: [1, 1]), -architecture.StepSize);
        z = z[.., ..1];   // Eᵀ x(T)
        var loss = (z - clean).pow(TorchScalars.Two).mean();
        var grads = autograd.grad([loss], p);

        Assert.Equal(loss.item<double>(), adjoint.Loss, 12);
        for (int i = 0; i < p.Length; i++) Close.Equal(grads[i], adjoint.ControlGradients[i], 1e-10, $"parameter {i}");
        Close.Equal(z.detach(), adjoint.FinalState, 1e-12, "D(y)");
        Assert.Equal(architecture.ParameterCount, network.Parameters.Sum(t => t.numel()));
    }

    [Fact]
    public void The_lifted_denoiser_keeps_the_rule_and_is_rebuilt_from_its_description()
    {
        using var scope = NewDisposeScope();
        var trained = Trained(5, Lifted);
        var alphas = Lifted.StepAlphas(trained.Network).Match(a => a, () => throw new InvalidOperationException("no step averagedness proven"));
        Assert.All(alphas, a => Assert.True(a <= Lifted.Theta, $"step α = {a:R} above θ = {Lifted.Theta}"));
        Assert.Equal([Lifted.Steps, Lifted.Filters, 3L, Lifted.Kernel, Lifted.Kernel], trained.Network.Parameters[0].shape);
        Assert.Equal(Lifted, Get(DenoiserArchitectures.FromDescription(Lifted.Describe())));
        // A description without the channels entry is one channel, the grey image.
        var older = Small.Describe().Where(e => e.Key != "architecture.channels");
        Assert.Equal(Small, Get(DenoiserArchitectures.FromDescription(older)));
        // The Gram bound is written only when it is not the default, and read back.
        Assert.DoesNotContain(Lifted.Describe(), e => e.Key == "architecture.gramBound");
        var eigen = Lifted with { GramBound = "eigenvalues" };
        Assert.Equal(eigen, Get(DenoiserArchitectures.FromDescription(eigen.Describe())));
        Assert.Contains("gram bound", Assert.Throws<InvalidOperationException>(() => Get((Lifted with { GramBound = "svd" }).Validate())).Message);
    }

    [Fact]
    public void Training_keeps_the_rule_and_the_description_rebuilds_the_architecture()
    {
        using var scope = NewDisposeScope();
        var images = Enumerable.Range(0, 2).Select(i =>
        {
            var pixels = new double[24 * 24];
            for (int r = 0; r < 24; r++)
                for (int c = 0; c < 24; c++)
                    pixels[r * 24 + c] = 0.5 + 0.4 * Math.Sin((r + 3 * i) / 5.0) * Math.Cos((c - i) / 7.0);
            return Get(GreyImage.Create($"waves{i}", 24, 24, pixels));
        }).ToArray();
        var patches = Get(PatchSet.Sample("waves", images, 8, 12, seed: 1));
        var options = new DenoiserTrainingOptions(new RobustNode.Training.Optimization.Adam(3e-2), [25 / 255.0], 2, BatchSize: 8, Seed: 6);
        using var state = Get(DenoiserTrainer.Start(Get(Small.Build(3, ScalarType.Float32)), options));
        var epochs = DenoiserTrainer.Epochs(state, Small, patches, options).Select(Get).ToArray();
        Assert.Equal(2, epochs.Length);
        var alphas = Small.StepAlphas(state.Model).Match(a => a, () => throw new InvalidOperationException("the rule was broken by training"));
        Assert.All(alphas, a => Assert.True(a <= Small.Theta, $"step α = {a:R} above θ = {Small.Theta}"));

        var rebuilt = Get(DenoiserArchitectures.FromDescription(Small.Describe()));
        Assert.Equal(Small, rebuilt);
    }

    [Fact]
    public void Bad_settings_are_named()
    {
        var message = new GradientFlowDenoiser(Steps: 0, Filters: 0, Kernel: 2, StepSize: -1, Theta: 1, ActivationName: "gelu", Channels: 0).Validate().Match(_ => "", e => e.Message);
        Assert.Contains("channels must be at least 1, got 0", message);
        Assert.Contains("steps must be at least 1, got 0", message);
        Assert.Contains("filters must be at least 1, got 0", message);
        Assert.Contains("kernel must be odd and positive, got 2", message);
        Assert.Contains("step size must be positive and finite, got -1", message);
        Assert.Contains("theta must lie in (0, 1)", message);
        Assert.Contains("'gelu' is not monotone, so it is not the derivative of a convex potential", message);
        var shape = Get(Small.Build(1, ScalarType.Float64)).OutputShape([2, 3, 8, 8]).Match(_ => "", e => e.Message);
        Assert.Contains("[B, 1, H, W]", shape);
        var lifted = Get(Lifted.Build(1, ScalarType.Float64)).OutputShape([2, 3, 8, 8]).Match(_ => "", e => e.Message);
        Assert.Contains("[B, 1, H, W]", lifted);
    }
}

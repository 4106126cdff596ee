using LanguageExt;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Denoising;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Tests.Denoising;

/// <summary>
/// The residual CNN denoiser is trained through its blocks' adjoint sweeps: its gradient equals autograd's, training
/// lowers the error, and a run is reproducible and resumable bit for bit.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public class DenoiserTrainingTests
{
    private static T Get<T>(Fin<T> value) => value.Match(v => v, e => throw new InvalidOperationException(e.Message));

    [Fact]
    public void Residual_cnn_gradient_equals_autograd()
    {
        using var scope = NewDisposeScope();
        var architecture = new ResidualCnn(Width: 3, Depth: 3);
        var network = Get(architecture.Build(5, ScalarType.Float64));
        var generator = new Generator(9);
        var clean = rand([2, 1, 6, 7], float64, generator: generator);
        var noisy = clean + 0.1 * randn([2, 1, 6, 7], float64, generator: generator);

        var adjoint = Get(LossDerivatives.Gradient(network, noisy, new PixelSquaredError(clean)));

        var p = network.Parameters.Select(t => t.detach().clone().requires_grad_(true)).ToArray();
        var z = noisy;
        z = nn.functional.relu(nn.functional.conv2d(z, p[0], p[1], padding: [1, 1]));
        z = nn.functional.relu(nn.functional.conv2d(z, p[2], p[3], padding: [1, 1]));
        var denoised = noisy - nn.functional.conv2d(z, p[4], p[5], padding: [1, 1]);
        var loss = (denoised - clean).square().mean();
        var grads = autograd.grad([loss], p);

        Assert.Equal(loss.item<double>(), adjoint.Loss, 12);
        for (int i = 0; i < p.Length; i++) Close.Equal(grads[i], adjoint.ControlGradients[i], 1e-10, $"parameter {i}");
        Close.Equal(denoised.detach(), adjoint.FinalState, 1e-12, "D(y)");
        Assert.Equal(architecture.ParameterCount, network.Parameters.Sum(t => t.numel()));
    }

    private static PatchSet Patches()
    {
        var images = Enumerable.Range(0, 3).Select(i =>
        {
            // Smooth test images: a few low-frequency waves.
            var pixels = new double[32 * 32];
            for (int r = 0; r < 32; r++)
                for (int c = 0; c < 32; c++)
                    pixels[r * 32 + c] = 0.5 + 0.4 * Math.Sin((r + 3 * i) / 5.0) * Math.Cos((c - i) / 7.0);
            return Get(GreyImage.Create($"waves{i}", 32, 32, pixels));
        }).ToArray();
        return Get(PatchSet.Sample("waves", images, 12, 16, seed: 1));
    }

    private static DenoiserTrainingOptions Options(int epochs) => new(new Adam(3e-3), [25 / 255.0], epochs, BatchSize: 8, Seed: 6);

    [Fact]
    public void Training_lowers_the_error_below_the_noise()
    {
        using var scope = NewDisposeScope();
        var architecture = new ResidualCnn(Width: 8, Depth: 4);
        var patches = Patches();
        using var state = Get(DenoiserTrainer.Start(Get(architecture.Build(3, ScalarType.Float32)), Options(6)));
        var epochs = DenoiserTrainer.Epochs(state, architecture, patches, Options(6)).Select(Get).ToArray();
        Assert.Equal(6, epochs.Length);
        Assert.True(epochs[^1].Loss < epochs[0].Loss, $"{epochs[0].Loss} → {epochs[^1].Loss}");
        Assert.True(epochs[^1].Psnr > epochs[^1].NoisyPsnr, $"denoised {epochs[^1].Psnr:F2} dB, noisy {epochs[^1].NoisyPsnr:F2} dB");
    }

    [Fact]
    public void A_resumed_run_ends_bit_identical_to_an_uninterrupted_one()
    {
        using var scope = NewDisposeScope();
        var architecture = new ResidualCnn(Width: 4, Depth: 3);
        var patches = Patches();
        var fingerprint = new ConfigurationFingerprint([.. architecture.Describe(), new("data", patches.Name), .. Options(3).Describe()]);

        using var straight = Get(DenoiserTrainer.Start(Get(architecture.Build(3, ScalarType.Float32)), Options(3)));
        foreach (var e in DenoiserTrainer.Epochs(straight, architecture, patches, Options(3))) Get(e);

        using var first = Get(DenoiserTrainer.Start(Get(architecture.Build(3, ScalarType.Float32)), Options(1)));
        Get(DenoiserTrainer.RunEpoch(first, architecture, patches, Options(1)));
        var bytes = CheckpointSerializer.Serialize(Checkpoint.Capture(first, fingerprint));
        using var resumed = Get(Get(CheckpointSerializer.Deserialize(bytes)).Restore(Get(architecture.Build(99, ScalarType.Float32)), 
            new TrainingOptions(new StandardObjective(), Options(3).Optimizer), fingerprint));
        foreach (var e in DenoiserTrainer.Epochs(resumed, architecture, patches, Options(3))) Get(e);

        Assert.Equal(3, resumed.Epoch);
        for (int i = 0; i < straight.Parameters.Count; i++)
            Assert.True(straight.Parameters[i].eq(resumed.Parameters[i]).all().item<bool>(), $"parameter {i} differs");
    }

    [Fact]
    public void An_architecture_is_rebuilt_from_its_description()
    {
        var architecture = new ResidualCnn(Width: 16, Depth: 5, Kernel: 5);
        var rebuilt = Get(DenoiserArchitectures.FromDescription(architecture.Describe()));
        Assert.Equal(architecture, rebuilt);
        Assert.Contains("unknown denoiser architecture 'unet'", DenoiserArchitectures.FromDescription([new("architecture", "unet")]).Match(_ => "", e => e.Message));
        Assert.Contains("depth must be at least 2", new ResidualCnn(4, 1).Validate().Match(_ => "", e => e.Message));
        Assert.Contains("kernel must be odd", new ResidualCnn(4, 3, 4).Validate().Match(_ => "", e => e.Message));
    }

    [Fact]
    public void A_trained_denoiser_runs_in_float64_with_the_same_output()
    {
        using var scope = NewDisposeScope();
        var architecture = new ResidualCnn(Width: 4, Depth: 3);
        var trained = new TrainedDenoiser("tiny", architecture, Get(architecture.Build(2, ScalarType.Float32)));
        var x = rand([1, 1, 10, 10], float32, generator: new Generator(1));
        var single = Get(trained.In(ScalarType.Float32).Apply(x));
        var dbl = Get(trained.In(ScalarType.Float64).Apply(x.to(float64)));
        Assert.True((single.to(float64) - dbl).abs().max().item<double>() < 1e-5);
        Assert.True(trained.In(ScalarType.Float64).LipschitzBound.IsNone);
    }

    [Fact]
    public void Training_and_plug_and_play_leave_no_tensors_alive()
    {
        using var scope = NewDisposeScope();
        long Live() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var architecture = new ResidualCnn(Width: 4, Depth: 3);
        var patches = Patches();
        using var state = Get(DenoiserTrainer.Start(Get(architecture.Build(3, ScalarType.Float32)), Options(4)));
        Get(DenoiserTrainer.RunEpoch(state, architecture, patches, Options(4)));
        long afterOne = Live();
        foreach (var e in DenoiserTrainer.Epochs(state, architecture, patches, Options(4))) Get(e);
        Assert.Equal(afterOne, Live());

        var denoiser = new TrainedDenoiser("tiny", architecture, state.Model).In(ScalarType.Float64);
        var clean = rand([1, 1, 12, 12], float64, generator: new Generator(3));
        var problem = Get(RobustNode.Training.Reconstruction.InverseProblem.Observe(Get(RobustNode.Training.Reconstruction.GaussianBlur.Create(1.0)), clean, 0.01, 2));
        long before = Live();
        using (NewDisposeScope())
        {
            Get(RobustNode.Training.Reconstruction.PlugAndPlay.Solve(problem, denoiser, new RobustNode.Training.Reconstruction.PnpOptions(1.0, 20, 0), clean));
            Get(SelfApplication.Run(denoiser, clean, clean, 20));
        }
        Assert.Equal(before, Live());
    }
}

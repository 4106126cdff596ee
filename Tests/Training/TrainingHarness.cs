using RobustNode.Core.Engines;
using LanguageExt;
using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers.Control;
using RobustNode.Training;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Trainers;
using RobustNode.Training.Data;
using RobustNode.Training.Models;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

/// <summary>Shared values for the training and attack tests: small point-cloud problems and an autograd oracle.</summary>
internal static class TrainingHarness
{
    static TrainingHarness()
    {
        // Tiny tensors: intra-op threads only add synchronisation (and stall badly on a busy two-core machine).
        set_num_threads(1);
    }

    /// <summary>Call first in every test class using torch, so the thread setting above is applied.</summary>
    public static void Initialise() { }

    public static T Ok<T>(Fin<T> fin) => fin.Match(Succ: v => v, Fail: e => throw new Xunit.Sdk.XunitException($"expected success, got: {e.Message}"));

    public static LanguageExt.Common.Error Failure<T>(Fin<T> fin) =>
        fin.Match(Succ: _ => throw new Xunit.Sdk.XunitException("expected an error value, got success"), Fail: e => e);

    /// <summary>Moons split 70/30 with the given seed.</summary>
    public static DatasetSplit Moons(int count, long seed, double noise = 0.1) =>
        Ok(new Moons(noise).Generate(count, seed).Bind(d => d.Split(0.3, seed)));

    /// <summary>A small point-cloud network: d = 3, N = 5, Euler unless told otherwise.</summary>
    public static Network<Tensor> SmallNetwork(long seed, PointCloudModel? config = null) =>
        Ok((config ?? new PointCloudModel(Dim: 3, Layers: 5)).Build(seed));

    /// <summary>Same dtype, shape and bit pattern of every value.</summary>
    public static bool BitIdentical(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) &&
        a.to(ScalarType.Float64).data<double>().ToArray().Select(BitConverter.DoubleToInt64Bits)
            .SequenceEqual(b.to(ScalarType.Float64).data<double>().ToArray().Select(BitConverter.DoubleToInt64Bits));

    public static bool BitIdentical(IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> b) =>
        a.Count == b.Count && Enumerable.Range(0, a.Count).All(i => BitIdentical(a[i], b[i]));

    public static double MaxAbsDifference(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a - b).abs().max().item<double>();
    }

    /// <summary>
    /// The augmented loss 𝒥 = mean ℓᵢ + w mean ‖∇_{x₀ᵢ}ℓᵢ‖_{q*} of a point-cloud network (zero padding, ODE block with a
    /// fixed-step explicit Runge–Kutta scheme, linear read-out) and its parameter gradient by plain double
    /// backpropagation through an autograd graph of every stage — the independent oracle for the second-order adjoint.
    /// </summary>
    public static (double Value, Tensor[] Gradients) AugmentedByDoubleBackprop(Network<Tensor> network, Tensor x0, Tensor labels, double weight, AttackNorm norm)
    {
        var padding = (ZeroPaddingBlock<Tensor>)network.Blocks[0];
        var ode = (OdeBlock<Tensor>)network.Blocks[1];
        var readout = (LinearBlock<Tensor>)network.Blocks[2];
        var field = (NeuralOdeField<Tensor>)ode.Field;
        var steps = (ConstantSteps)ode.Solver.Controller;
        var tableau = ode.Solver.Tableau;
        Assert.Null(steps.StepSize);
        using var scope = NewDisposeScope();
        using var enable = enable_grad();
        var w = field.Weights.detach().clone().requires_grad_(true);
        var b = field.Biases.detach().clone().requires_grad_(true);
        var r = readout.Weight.detach().clone().requires_grad_(true);
        var c = readout.Bias.detach().clone().requires_grad_(true);
        var x0r = x0.detach().clone().requires_grad_(true);
        var x = nn.functional.pad(x0r, [0, padding.Dim - padding.Inputs]);
        int m = steps.StepsPerLayer;
        double h = field.Grid.LayerWidth / m;
        for (int k = 0; k < field.Grid.Layers; k++)
            for (int step = 0; step < m; step++)
            {
                var stages = new Tensor[tableau.Stages];
                for (int i = 0; i < tableau.Stages; i++)
                {
                    var y = x;
                    for (int j = 0; j < i; j++)
                        if (tableau.A[i, j] != 0) y = y + h * tableau.A[i, j] * stages[j];
                    stages[i] = nn.functional.linear(TorchEngine.Instance.Activate(field.Activation, y), w[k], b[k]);
                }
                var next = x;
                for (int i = 0; i < tableau.Stages; i++)
                    if (tableau.B[i] != 0) next = next + h * tableau.B[i] * stages[i];
                x = next;
            }
        var logits = nn.functional.linear(x, r, c);
        var perSample = logits.logsumexp(1) - logits.gather(1, labels.unsqueeze(1)).squeeze(1);
        var p0 = autograd.grad([perSample.sum()], [x0r], create_graph: true, retain_graph: true)[0];
        var objective = perSample.mean() + weight * TorchEngine.Instance.DualNorm(norm, p0).mean();
        var grads = autograd.grad([objective], [w, b, r, c]);
        return (objective.item<double>(), grads.Select(g => g.detach().MoveToOuterDisposeScope()).ToArray());
    }

    /// <summary>
    /// Trains a network of <paramref name="config"/> for all epochs, and again for two, checkpointed, restored into a
    /// differently initialised network and trained on: the losses, accuracies, parameters and optimizer state must be
    /// bit-identical.
    /// </summary>
    public static void ResumesBitIdentically<T>(IEngine<T> engine, PointCloudModel config, long modelSeed, Dataset train, TrainingOptions options)
    {
        var fingerprint = ConfigurationFingerprint.For(config, modelSeed, train, options);
        var uninterrupted = Ok(Trainer.Start(Ok(config.Build(engine, modelSeed)), options));
        var full = Ok(Trainer.Run(uninterrupted, train, options));

        var interrupted = Ok(Trainer.Start(Ok(config.Build(engine, modelSeed)), options));
        Ok(Trainer.Run(interrupted, train, options with { Epochs = 2 }));
        var bytes = CheckpointSerializer.Serialize(Checkpoint.Capture(interrupted, fingerprint));
        var resumed = Ok(Ok(CheckpointSerializer.Deserialize(bytes)).Restore(Ok(config.Build(engine, seed: 999)), options, fingerprint));
        Assert.Equal(2, resumed.Epoch);
        var rest = Ok(Trainer.Run(resumed, train, options));

        Assert.Equal(full.Epochs.Skip(2).Select(m => m.Loss), rest.Epochs.Select(m => m.Loss));
        Assert.Equal(full.Epochs.Skip(2).Select(m => m.TrainAccuracy), rest.Epochs.Select(m => m.TrainAccuracy));
        for (int i = 0; i < uninterrupted.Parameters.Count; i++)
            Assert.True(engine.ToArray(uninterrupted.Parameters[i]).AsSpan().SequenceEqual(engine.ToArray(resumed.Parameters[i])),
                $"{engine.Name}: parameter {i} differs after resuming");
        Assert.Equal(uninterrupted.Optimizer.Steps, resumed.Optimizer.Steps);
        for (int k = 0; k < uninterrupted.Optimizer.Slots.Count; k++)
            for (int i = 0; i < uninterrupted.Optimizer.Slots[k].Count; i++)
                Assert.True(engine.ToArray(uninterrupted.Optimizer.Slots[k][i]).AsSpan().SequenceEqual(engine.ToArray(resumed.Optimizer.Slots[k][i])),
                    $"{engine.Name}: optimizer slot {k} of parameter {i} differs after resuming");
    }
}

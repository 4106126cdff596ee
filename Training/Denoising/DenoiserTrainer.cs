using System.Diagnostics;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Sampling;
using RobustNode.Sensitivity.Networks;

using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>One epoch of denoiser training: the mean squared error over its patches and what it took.</summary>
/// <param name="Epoch">The epoch's index (0-based).</param>
/// <param name="Loss">Mean over the patches of the per-pixel squared error of the denoised noisy patch.</param>
/// <param name="NoisyLoss">The same for the noisy patch itself (what the denoiser improves on).</param>
/// <param name="LearningRate">The learning rate used.</param>
/// <param name="Batches">Mini-batches.</param>
/// <param name="Samples">Patches.</param>
/// <param name="WallTime">Time the epoch took.</param>
public sealed record DenoisingEpoch(int Epoch, double Loss, double NoisyLoss, double LearningRate, int Batches, int Samples, TimeSpan WallTime)
{
    /// <summary>PSNR of the denoised patches, 10 log₁₀(1/MSE) dB.</summary>
    public double Psnr => Denoising.Psnr.FromMeanSquaredError(Loss);

    /// <summary>PSNR of the noisy patches.</summary>
    public double NoisyPsnr => Denoising.Psnr.FromMeanSquaredError(NoisyLoss);
}

/// <summary>
/// Trains a denoising network by regression: on each mini-batch of clean patches x, noise of a level drawn per patch
/// gives y = x + σε, and the optimizer follows the gradient of the mean squared error |D(y) − x|²/n computed by the
/// network's own adjoint sweeps (<see cref="LossDerivatives.Gradient"/>), the same path for every architecture. After
/// each step the architecture restores its constraint (<see cref="IDenoiserArchitecture.Constrain"/>).
/// </summary>
/// <remarks>
/// Reproducibility as for <see cref="Trainer"/>: epoch e shuffles with <c>Seeds.Derive(seed, Seeds.Shuffle, e)</c> and
/// batch b of it draws its noise from <c>Seeds.Derive(seed, Seeds.Objective, e, b)</c>, so a state restored at an epoch
/// boundary continues bit-identically. Every batch runs in its own dispose scope and the optimizer updates in place, so
/// memory stays flat.
/// </remarks>
public static class DenoiserTrainer
{
    /// <summary>A run's initial state: the network as it is, a fresh optimizer state, epoch 0.</summary>
    public static Fin<TrainingState<Tensor>> Start(IBlock<Tensor> network, DenoiserTrainingOptions options) =>
        options.Validate().Map(o => new TrainingState<Tensor>(network, o.Optimizer.Initialize(TorchEngine.Instance, network.Parameters), 0));

    /// <summary>Checks that the network maps a patch to a patch of the same shape and shares the patches' type.</summary>
    public static Fin<Unit> Check(IBlock<Tensor> network, PatchSet patches)
    {
        long[] input = [1, 1, patches.Size, patches.Size];
        var shape = network.OutputShape(input);
        if (shape.IsFail) return shape.Map(_ => unit);
        if (!((long[])shape).SequenceEqual(input))
            return FinFail<Unit>(TrainingErrors.InvalidConfiguration("denoiser", $"maps a patch [{string.Join(", ", input)}] to [{string.Join(", ", (long[])shape)}]; a denoiser keeps the shape"));
        var first = network.Parameters.FirstOrDefault();
        if (first is not null && first.dtype != patches.Clean.dtype)
            return FinFail<Unit>(TrainingErrors.InvalidConfiguration("denoiser", $"parameters are {first.dtype}, the patches {patches.Clean.dtype}"));
        return FinSucc(unit);
    }

    /// <summary>
    /// Runs epoch <see cref="TrainingState{T}.Epoch"/> over the patches and advances the state. On failure (a non-finite
    /// loss, a shape error) the error names the epoch and batch; the parameters hold the last successful step.
    /// </summary>
    public static Fin<DenoisingEpoch> RunEpoch(TrainingState<Tensor> state, IDenoiserArchitecture architecture, PatchSet patches, DenoiserTrainingOptions options,
        IProgress<BatchProgress>? batches = null) =>
        options.Validate().Bind(_ => Check(state.Model, patches)).Bind(_ =>
        {
            using var epochScope = NewDisposeScope();
            int epoch = state.Epoch, count = (patches.Count + options.BatchSize - 1) / options.BatchSize;
            double learningRate = options.LearningRateAt(epoch), lossSum = 0, noisySum = 0;
            var parameters = state.Model.Parameters;
            var clock = Stopwatch.StartNew();
            var order = new SplitMix64(Seeds.Derive(options.Seed, Seeds.Shuffle, epoch)).Permutation(patches.Count);
            for (int b = 0, start = 0; start < patches.Count; b++, start += options.BatchSize)
            {
                using var scope = NewDisposeScope();
                int size = Math.Min(options.BatchSize, patches.Count - start);
                var clean = patches.Take(order, start, size);
                var step =
                    from noisy in GaussianNoise.AddMixed(clean, options.NoiseLevels, Seeds.Derive(options.Seed, Seeds.Objective, epoch, b))
                    from gradient in LossDerivatives.ControlGradient(state.Model, noisy, new PixelSquaredError(clean))
                    select (noisy, gradient);
                if (step.IsFail) return FinFail<DenoisingEpoch>(At(step.Match(Succ: _ => Error.New(""), Fail: e => e), epoch, b));
                var (noisyBatch, g) = ((Tensor, Sensitivity.Problems.LossGradient<Tensor>))step;
                if (!double.IsFinite(g.Loss))
                    return FinFail<DenoisingEpoch>(At(TrainingErrors.InvalidConfiguration("training",
                        $"the squared error became {g.Loss}; lower the learning rate"), epoch, b));
                options.Optimizer.Step(state.Optimizer, parameters, g.ControlGradients, learningRate);
                architecture.Constrain(parameters);
                lossSum += g.Loss * size;
                noisySum += (noisyBatch - clean).pow(TorchScalars.Two).mean().to(ScalarType.Float64).item<double>() * size;
                batches?.Report(new BatchProgress(epoch, b, count, g.Loss, g.Loss));
            }
            state.Epoch = epoch + 1;
            return FinSucc(new DenoisingEpoch(epoch, lossSum / patches.Count, noisySum / patches.Count, learningRate, count, patches.Count, clock.Elapsed));
        });

    /// <summary>The remaining epochs, one per item (run when enumerated), so a host can checkpoint between them.</summary>
    public static IEnumerable<Fin<DenoisingEpoch>> Epochs(TrainingState<Tensor> state, IDenoiserArchitecture architecture, PatchSet patches,
        DenoiserTrainingOptions options, IProgress<BatchProgress>? batches = null)
    {
        while (state.Epoch < options.Epochs)
        {
            var metrics = RunEpoch(state, architecture, patches, options, batches);
            yield return metrics;
            if (metrics.IsFail) yield break;
        }
    }

    private static Error At(Error e, int epoch, int batch) => Error.New(e.Code, $"epoch {epoch}, batch {batch}: {e.Message}");
}

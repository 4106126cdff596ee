using System.Diagnostics;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Data;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Trainers;

/// <summary>
/// The training engine: epochs of shuffled mini-batches; on each batch the objective strategy
/// (<see cref="ITrainingObjective"/>) gives the value and parameter gradient of what is minimised, and the optimizer
/// updates the parameters in place. Nothing in the engine depends on which objective runs.
/// </summary>
/// <remarks>
/// Reproducibility: epoch e shuffles with <c>Seeds.Derive(seed, Seeds.Shuffle, e)</c> and batch b of it gives the
/// objective <c>Seeds.Derive(seed, Seeds.Objective, e, b)</c>; the learning rate and the augmented penalty's warm-up
/// depend on e only. So the same model, data and options give bit-identical parameters, and a state restored at an
/// epoch boundary continues exactly as the uninterrupted run. Memory: every batch runs in its own dispose scope and
/// the optimizer updates tensors in place, so memory stays flat however long the run.
/// </remarks>
public static class Trainer
{
    /// <summary>A run's initial state: the model as it is, a fresh optimizer state, epoch 0.</summary>
    public static Fin<TrainingState> Start(IBlock model, TrainingOptions options) =>
        options.Validate().Map(o => new TrainingState(model, o.Optimizer.Initialize(model.Parameters), 0));

    /// <summary>Checks that a model maps the data set's inputs to one logit per class and shares its dtype.</summary>
    public static Fin<Unit> Check(IBlock model, Dataset data)
    {
        var shape = model.OutputShape([1, .. data.SampleShape]);
        if (shape.IsFail) return shape.Map(_ => unit);
        var output = (long[])shape;
        if (output.Length != 2 || output[1] != data.Classes)
            return FinFail<Unit>(TrainingErrors.InvalidConfiguration("model",
                $"outputs [{string.Join(", ", output)}] for one sample, but the data set '{data.Name}' has {data.Classes} classes"));
        var first = model.Parameters.FirstOrDefault();
        if (first is not null && first.dtype != data.X.dtype)
            return FinFail<Unit>(TrainingErrors.InvalidConfiguration("model", $"parameters are {first.dtype}, the data set's inputs {data.X.dtype}"));
        return FinSucc(unit);
    }

    /// <summary>
    /// Runs epoch <see cref="TrainingState.Epoch"/> over the data set and advances the state to the next epoch. On
    /// failure (invalid settings, a solver error, a non-finite objective) the error names the epoch and batch; the
    /// parameters then hold the last successful step and the epoch is not advanced.
    /// </summary>
    public static Fin<EpochMetrics> RunEpoch(TrainingState state, Dataset data, TrainingOptions options, IProgress<BatchProgress>? batches = null) =>
        options.Validate().Bind(_ => Check(state.Model, data)).Bind(_ =>
        {
            using var epochScope = NewDisposeScope();
            int epoch = state.Epoch, count = data.BatchCount(options.BatchSize);
            double learningRate = options.LearningRateAt(epoch), lossSum = 0, objectiveSum = 0, reference = double.NaN;
            long correct = 0, samples = 0;
            var parameters = state.Model.Parameters;
            var clock = Stopwatch.StartNew();
            using var enumerator = data.Batches(options.BatchSize, Seeds.Derive(options.Seed, Seeds.Shuffle, epoch)).GetEnumerator();
            while (true)
            {
                using var scope = NewDisposeScope();
                if (!enumerator.MoveNext()) break;
                var batch = enumerator.Current;
                var context = new ObjectiveContext(epoch, batch.Index, Seeds.Derive(options.Seed, Seeds.Objective, epoch, batch.Index));
                var evaluated = options.Objective.Evaluate(state.Model, batch.X, new CrossEntropyLoss(batch.Labels), context);
                if (evaluated.IsFail) return FinFail<EpochMetrics>(At(evaluated.Match(Succ: _ => Error.New(""), Fail: e => e), epoch, batch.Index));
                var result = (ObjectiveResult)evaluated;
                if (double.IsNaN(reference)) reference = result.Objective;
                if (options.Divergence.Check(options.Objective.Name, reference, result.Objective).Case is Error diverged)
                    return FinFail<EpochMetrics>(At(diverged, epoch, batch.Index));
                if (result.Gradients.Count != parameters.Count)
                    return FinFail<EpochMetrics>(At(TrainingErrors.InvalidConfiguration("objective",
                        $"returned {result.Gradients.Count} gradients for {parameters.Count} parameters"), epoch, batch.Index));
                options.Optimizer.Step(state.Optimizer, parameters, result.Gradients, learningRate);
                long size = batch.X.shape[0];
                samples += size;
                lossSum += result.Loss * size;
                objectiveSum += result.Objective * size;
                correct += result.Logits.argmax(1).eq(batch.Labels).sum().item<long>();
                batches?.Report(new BatchProgress(epoch, batch.Index, count, result.Loss, result.Objective));
            }
            state.Epoch = epoch + 1;
            return FinSucc(new EpochMetrics(epoch, lossSum / samples, objectiveSum / samples, (double)correct / samples, learningRate, count, (int)samples, clock.Elapsed));
        });

    /// <summary>
    /// The remaining epochs of a run, one at a time: each item runs the next epoch when it is enumerated, so a host can
    /// save checkpoints or stop between epochs. Ends after <see cref="TrainingOptions.Epochs"/> or at the first failure.
    /// </summary>
    public static IEnumerable<Fin<EpochMetrics>> Epochs(TrainingState state, Dataset data, TrainingOptions options, IProgress<BatchProgress>? batches = null)
    {
        while (state.Epoch < options.Epochs)
        {
            var metrics = RunEpoch(state, data, options, batches);
            yield return metrics;
            if (metrics.IsFail) yield break;
        }
    }

    /// <summary>
    /// Runs the remaining epochs (from <see cref="TrainingState.Epoch"/> to <see cref="TrainingOptions.Epochs"/>), reporting
    /// each epoch's metrics. Cancellation is honoured between epochs, so the state is always at an epoch boundary and can
    /// be checkpointed and resumed. Progress is reported synchronously from the training thread.
    /// </summary>
    public static Fin<TrainingHistory> Run(TrainingState state, Dataset data, TrainingOptions options,
        IProgress<EpochMetrics>? progress = null, CancellationToken cancel = default, IProgress<BatchProgress>? batches = null)
    {
        var history = new List<EpochMetrics>();
        while (state.Epoch < options.Epochs)
        {
            if (cancel.IsCancellationRequested) return new TrainingHistory(history, true);
            var metrics = RunEpoch(state, data, options, batches);
            if (metrics.IsFail) return metrics.Map(_ => default(TrainingHistory)!);
            var m = (EpochMetrics)metrics;
            history.Add(m);
            progress?.Report(m);
        }
        return new TrainingHistory(history, false);
    }

    private static Error At(Error e, int epoch, int batch) => Error.New(e.Code, $"epoch {epoch}, batch {batch}: {e.Message}");
}

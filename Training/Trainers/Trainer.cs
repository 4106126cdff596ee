using System.Diagnostics;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Data;
using static LanguageExt.Prelude;

namespace RobustNode.Training.Trainers;

/// <summary>
/// The training loop, on the model's engine: epochs of shuffled mini-batches; on each batch the objective strategy
/// (<see cref="ITrainingObjective"/>) gives the value and parameter gradient of what is minimised, and the optimizer
/// updates the parameters in place. Nothing in the loop depends on which objective or engine runs. Models with
/// gradient-flow blocks are projected back onto their step rules after every step and, with the proven norm, at the end
/// of every epoch (<see cref="StepConstraints"/>).
/// </summary>
/// <remarks>
/// Reproducibility: epoch e shuffles with <c>Seeds.Derive(seed, Seeds.Shuffle, e)</c> and batch b of it gives the
/// objective <c>Seeds.Derive(seed, Seeds.Objective, e, b)</c> (and its images' random shifts, if any,
/// <c>Seeds.Derive(seed, Seeds.Shift, e, b)</c>); the learning rate and the augmented penalty's warm-up
/// depend on e only. So the same model, data and options give bit-identical parameters, and a state restored at an
/// epoch boundary continues exactly as the uninterrupted run. Data: the TorchSharp data set is converted into the
/// engine's form once per run (<see cref="EngineDataset{T}"/>) and batches are gathered from it. Memory: every batch runs
/// in its own engine scope and the optimizer updates in place, so memory stays flat however long the run.
/// </remarks>
public static class Trainer
{
    /// <summary>A run's initial state: the model as it is, a fresh optimizer state, epoch 0.</summary>
    public static Fin<TrainingState<T>> Start<T>(IBlock<T> model, TrainingOptions options) =>
        options.Validate().Map(o => new TrainingState<T>(model, o.Optimizer.Initialize(model.Engine, model.Parameters), 0));

    /// <summary>Checks that a model maps the data set's inputs to one logit per class and shares its element type and device.</summary>
    public static Fin<Unit> Check<T>(IBlock<T> model, Dataset data) => Check(model, EngineDataset<T>.From(model.Engine, data));

    private static Fin<Unit> Check<T>(IBlock<T> model, EngineDataset<T> data)
    {
        var source = data.Source;
        var shape = model.OutputShape([1, .. source.SampleShape]);
        if (shape.IsFail) return shape.Map(_ => unit);
        var output = (long[])shape;
        if (output.Length != 2 || output[1] != source.Classes)
            return FinFail<Unit>(TrainingErrors.InvalidConfiguration("model",
                $"outputs [{string.Join(", ", output)}] for one sample, but the data set '{source.Name}' has {source.Classes} classes"));
        var parameters = model.Parameters;
        if (parameters.Count > 0 && model.Engine.Incompatibility(parameters[0], data.X) is { } problem)
            return FinFail<Unit>(TrainingErrors.InvalidConfiguration("model", $"the data set's inputs do not fit the parameters: {problem}"));
        return FinSucc(unit);
    }

    // A random shift must describe the data's images: [C, H, W] samples, or C·H·W pixels a dense network sees.
    private static Fin<Unit> CheckShift(TrainingOptions options, Dataset data) =>
        !options.Shifts || options.Shift!.Fits(data.SampleShape)
            ? FinSucc(unit)
            : FinFail<Unit>(TrainingErrors.InvalidConfiguration("training.randomShift",
                $"moves images of [{options.Shift!.Channels}, {options.Shift.Height}, {options.Shift.Width}], but the data set '{data.Name}' has samples of shape [{string.Join(", ", data.SampleShape)}]"));

    /// <summary>
    /// Runs epoch <see cref="TrainingState{T}.Epoch"/> over the data set and advances the state to the next epoch. On
    /// failure (invalid settings, a solver error, a non-finite objective) the error names the epoch and batch; the
    /// parameters then hold the last successful step and the epoch is not advanced.
    /// </summary>
    public static Fin<EpochMetrics> RunEpoch<T>(TrainingState<T> state, Dataset data, TrainingOptions options, IProgress<BatchProgress>? batches = null) =>
        RunEpoch(state, EngineDataset<T>.From(state.Engine, data), options, batches);

    /// <summary>Runs one epoch over a data set already in the engine's form.</summary>
    public static Fin<EpochMetrics> RunEpoch<T>(TrainingState<T> state, EngineDataset<T> data, TrainingOptions options, IProgress<BatchProgress>? batches = null) =>
        options.Validate().Bind(_ => Check(state.Model, data)).Bind(_ => CheckShift(options, data.Source)).Bind(_ =>
        {
            var engine = state.Engine;
            using var epochScope = engine.OpenScope();
            int epoch = state.Epoch, size = options.BatchSize, count = data.Source.BatchCount(size);
            double learningRate = options.LearningRateAt(epoch), lossSum = 0, objectiveSum = 0, reference = double.NaN;
            long correct = 0, samples = 0;
            var parameters = state.Model.Parameters;
            var clock = Stopwatch.StartNew();
            var cpu = Environment.CpuUsage.TotalTime;
            var order = data.Source.Order(Seeds.Derive(options.Seed, Seeds.Shuffle, epoch));
            bool constrained = StepConstraints.Any(state.Model);
            for (int b = 0, start = 0; start < data.Count; b++, start += size)
            {
                using var scope = engine.OpenScope();
                var rows = order.AsSpan(start, Math.Min(size, data.Count - start));
                var (x, labels) = options.Shifts ? data.Gather(rows, options.Shift!, Seeds.Derive(options.Seed, Seeds.Shift, epoch, b)) : data.Gather(rows);
                var context = new ObjectiveContext(epoch, b, Seeds.Derive(options.Seed, Seeds.Objective, epoch, b));
                var evaluated = options.Objective.Evaluate(state.Model, x, new CrossEntropyLoss<T>(engine, labels), context);
                if (evaluated.IsFail) return FinFail<EpochMetrics>(At(evaluated.Match(Succ: _ => Error.New(""), Fail: e => e), epoch, b));
                var result = (ObjectiveResult<T>)evaluated;
                if (double.IsNaN(reference)) reference = result.Objective;
                if (options.Divergence.Check(options.Objective.Name, reference, result.Objective).Case is Error diverged)
                    return FinFail<EpochMetrics>(At(diverged, epoch, b));
                if (result.Gradients.Count != parameters.Count)
                    return FinFail<EpochMetrics>(At(TrainingErrors.InvalidConfiguration("objective",
                        $"returned {result.Gradients.Count} gradients for {parameters.Count} parameters"), epoch, b));
                // Normalised layers: the optimizer follows the gradient through the normalisation (StepRuleEnforcement).
                var gradients = constrained ? StepConstraints.FreeParameterGradients(state.Model, result.Gradients) : result.Gradients;
                options.Optimizer.Step(state.Optimizer, parameters, gradients, learningRate);
                if (constrained)
                {
                    var restored = StepConstraints.Restore(state.Model, ConstraintNorm.Tracked);
                    if (restored.IsFail) return FinFail<EpochMetrics>(At(restored.Match(Succ: _ => Error.New(""), Fail: e => e), epoch, b));
                }
                long batch = engine.BatchSize(x);
                samples += batch;
                lossSum += result.Loss * batch;
                objectiveSum += result.Objective * batch;
                correct += engine.CountEqual(engine.ArgMax(result.Logits), labels);
                batches?.Report(new BatchProgress(epoch, b, count, result.Loss, result.Objective));
            }
            // The proven projection at the epoch boundary: checkpoints and finished models keep the step rules exactly.
            if (constrained && StepConstraints.Restore(state.Model, ConstraintNorm.Proven) is { IsFail: true } failed)
                return FinFail<EpochMetrics>(failed.Match(Succ: _ => Error.New(""), Fail: e => e));
            state.Epoch = epoch + 1;
            return FinSucc(new EpochMetrics(epoch, lossSum / samples, objectiveSum / samples, (double)correct / samples, learningRate, count, (int)samples, clock.Elapsed)
                { CpuTime = Environment.CpuUsage.TotalTime - cpu });
        });

    /// <summary>
    /// The remaining epochs of a run, one at a time: each item runs the next epoch when it is enumerated, so a host can
    /// save checkpoints or stop between epochs. Ends after <see cref="TrainingOptions.Epochs"/> or at the first failure.
    /// </summary>
    public static IEnumerable<Fin<EpochMetrics>> Epochs<T>(TrainingState<T> state, Dataset data, TrainingOptions options, IProgress<BatchProgress>? batches = null)
    {
        var converted = EngineDataset<T>.From(state.Engine, data);
        while (state.Epoch < options.Epochs)
        {
            var metrics = RunEpoch(state, converted, options, batches);
            yield return metrics;
            if (metrics.IsFail) yield break;
        }
    }

    /// <summary>
    /// Runs the remaining epochs (from <see cref="TrainingState{T}.Epoch"/> to <see cref="TrainingOptions.Epochs"/>), reporting
    /// each epoch's metrics. Cancellation is honoured between epochs, so the state is always at an epoch boundary and can
    /// be checkpointed and resumed. Progress is reported synchronously from the training thread.
    /// </summary>
    public static Fin<TrainingHistory> Run<T>(TrainingState<T> state, Dataset data, TrainingOptions options,
        IProgress<EpochMetrics>? progress = null, CancellationToken cancel = default, IProgress<BatchProgress>? batches = null)
    {
        var converted = EngineDataset<T>.From(state.Engine, data);
        var history = new List<EpochMetrics>();
        while (state.Epoch < options.Epochs)
        {
            if (cancel.IsCancellationRequested) return new TrainingHistory(history, true);
            var metrics = RunEpoch(state, converted, options, batches);
            if (metrics.IsFail) return metrics.Map(_ => default(TrainingHistory)!);
            var m = (EpochMetrics)metrics;
            history.Add(m);
            progress?.Report(m);
        }
        return new TrainingHistory(history, false);
    }

    private static Error At(Error e, int epoch, int batch) => Error.New(e.Code, $"epoch {epoch}, batch {batch}: {e.Message}");
}

using System.Diagnostics;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using Microsoft.Extensions.Logging;
using RobustNode.Host.Composition;
using RobustNode.Host.Experiments;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Runs;

/// <summary>A trainer ready to run on an engine: its options, fingerprint, state (fresh or restored) and the epochs already done.</summary>
/// <param name="Trainer">The trainer's settings.</param>
/// <param name="Options">Its training options.</param>
/// <param name="Fingerprint">The configuration its checkpoints carry.</param>
/// <param name="State">The state to continue from.</param>
/// <param name="History">Metrics of the epochs already done (from the history file when resuming).</param>
/// <param name="ResumedFrom">Epochs done before this process (0 for a fresh start).</param>
internal sealed record PreparedTrainer<T>(
    TrainerSettings Trainer,
    TrainingOptions Options,
    ConfigurationFingerprint Fingerprint,
    TrainingState<T> State,
    IReadOnlyList<EpochMetrics> History,
    int ResumedFrom)
{
    /// <summary>True when no epoch is left to run.</summary>
    public bool Finished => State.Epoch >= Options.Epochs;
}

/// <summary>
/// The training part of <c>robustnode train</c>, on the experiment's engine: prepares every enabled trainer (from
/// scratch, or from its last checkpoint with <c>--resume</c>; all checkpoints are checked before anything trains), then
/// runs each one's remaining epochs, writing its checkpoint and history atomically after every epoch (off the training
/// thread, <see cref="CheckpointQueue"/>; all written before the trainer's result is returned). Models are built
/// on the configured device, where the data already is.
/// </summary>
internal sealed class TrainingRun<T>(IEngine<T> engine, Device device, ExperimentSettings experiment, ExperimentData data, RunFolder folder,
    HostConsole console, ILogger log)
{
    /// <summary>
    /// Every trainer's starting state. With <paramref name="resume"/>, a trainer with a checkpoint continues from it
    /// (a corrupted checkpoint, one of another configuration, or one with more epochs than the run asks for is an
    /// error naming the file); a trainer without one starts afresh.
    /// </summary>
    public Validation<Error, IReadOnlyList<PreparedTrainer<T>>> Prepare(bool resume) =>
        Prepared(experiment.Training.Trainers.Select(t => Prepare(t, resume)));

    /// <summary>Every trainer's preparation, or all their problems in trainer order.</summary>
    public static Validation<Error, IReadOnlyList<PreparedTrainer<T>>> Prepared(IEnumerable<Validation<Error, PreparedTrainer<T>>> trainers) =>
        trainers.Sequence().Map(list => (IReadOnlyList<PreparedTrainer<T>>)list.ToArray());

    /// <summary>One trainer's starting state (see <see cref="Prepare(bool)"/>), made on the calling thread, which is to train it.</summary>
    public Validation<Error, PreparedTrainer<T>> Prepare(TrainerSettings trainer, bool resume)
    {
        var options = Objectives.Options(experiment, trainer, data);
        var fingerprint = ExperimentModel.Fingerprint(experiment, data.Train, options);
        var template = ExperimentModel.Build(engine, experiment.Model, data.Train, device).ToValidation();
        string checkpoint = folder.Checkpoint(trainer.Name);
        if (!resume || !File.Exists(checkpoint))
        {
            if (resume) log.LogInformation("{Trainer}: no checkpoint at {Path}; training from the start", trainer.Name, checkpoint);
            return template.Bind(model => Trainer.Start(model, options).ToValidation())
                .Map(state => new PreparedTrainer<T>(trainer, options, fingerprint, state, [], 0));
        }
        return (template, CheckpointFile.Read(checkpoint))
            .Apply((model, saved) => (model, saved))
            .Bind(x => x.saved.Restore(x.model, options, fingerprint).ToValidation().MapFail(e => HostErrors.File(checkpoint, e.Message)))
            .Bind(state => state.Epoch <= options.Epochs
                ? Success<Error, TrainingState<T>>(state)
                : Fail<Error, TrainingState<T>>(HostErrors.File(checkpoint,
                    $"the checkpoint is at epoch {state.Epoch}, beyond the {options.Epochs} epochs this run asks for (Training:Epochs)")))
            .Map(state => new PreparedTrainer<T>(trainer, options, fingerprint, state, History(trainer.Name, state.Epoch), state.Epoch));
    }

    /// <summary>The recorded metrics of the epochs before <paramref name="epoch"/>; a missing or unreadable history only costs the curve.</summary>
    private IReadOnlyList<EpochMetrics> History(string trainer, int epoch)
    {
        var path = folder.History(trainer);
        if (!File.Exists(path))
        {
            log.LogWarning("{Trainer}: no training history at {Path}; the report shows the epochs trained from now on", trainer, path);
            return [];
        }
        return EpochHistory.Read(path).Match(
            Succ: epochs => epochs.Where(m => m.Epoch < epoch).ToArray(),
            Fail: errors =>
            {
                log.LogWarning("{Trainer}: {Problem}; the report shows the epochs trained from now on", trainer, errors.Head.Message);
                return (IReadOnlyList<EpochMetrics>)[];
            });
    }

    /// <summary>
    /// Runs the trainer's remaining epochs, drawing progress and checkpointing after each. Fails with a
    /// library error (its code kept, the trainer named) when training fails, or with a file error when a
    /// checkpoint cannot be written. When <paramref name="stop"/> says so at the end of an epoch (another trainer
    /// failed), the epochs done are written and the trainer stops with <see cref="Stopped"/>. With
    /// <paramref name="sideBySide"/> (other trainers write to the console at the same time) progress is one whole line per epoch.
    /// </summary>
    public Fin<PreparedTrainer<T>> Train(PreparedTrainer<T> prepared, Func<bool>? stop = null, bool sideBySide = false)
    {
        var (trainer, options, state) = (prepared.Trainer, prepared.Options, prepared.State);
        if (prepared.Finished)
        {
            log.LogInformation("{Trainer}: finished ({Epochs} epochs in its checkpoint); not retrained", trainer.Name, state.Epoch);
            return prepared;
        }
        log.LogInformation("{Trainer}: {Objective}, epochs {From} to {To}, {Batches} batches of {BatchSize} per epoch",
            trainer.Name, options.Objective.Describe(), state.Epoch + 1, options.Epochs, data.Train.BatchCount(options.BatchSize), options.BatchSize);
        var history = prepared.History.ToList();
        var progress = new EpochProgress(console, trainer.Name, options.Epochs, sideBySide);
        var clock = Stopwatch.StartNew();
        var writing = new Stopwatch();
        int first = state.Epoch;
        // The files are made here, at the end of each epoch, and written by the queue while the next epochs train.
        var files = new CheckpointQueue();
        Fin<PreparedTrainer<T>> Unwritable(Exception ex) =>
            FinFail<PreparedTrainer<T>>(HostErrors.File(folder.Checkpoints, $"cannot write the checkpoint of {trainer.Name}: {ex.Message}"));
        // Side by side, the process's processor time over an epoch counts the other trainers' too: an epoch's is its thread's
        // (what it spends between the end of the previous epoch's checkpointing and the end of the epoch).
        var threadCpu = sideBySide ? CpuClock.Thread() : null;
        foreach (var ran in Trainer.Epochs(state, data.Train, options, progress))
        {
            var epoch = threadCpu is { } before && CpuClock.Thread() is { } after ? ran.Map(m => m with { CpuTime = after - before }) : ran;
            if (epoch.IsFail)
            {
                // The epochs before the failure are on disk before the run reports it.
                try { files.Drain(); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return Unwritable(ex); }
                // The library's code (non-finite state 300, divergence 502, …) is kept, so the message names it.
                return FinFail<PreparedTrainer<T>>(epoch.Match(Succ: _ => Error.New(""), Fail: e => Error.New(e.Code, $"{trainer.Name}: {e.Message}")));
            }
            var metrics = (EpochMetrics)epoch;
            progress.Epoch(metrics);
            history.Add(metrics);
            log.LogDebug("{Trainer}: epoch {Epoch}: loss {Loss:G5}, objective {Objective:G5}, train accuracy {Accuracy:F4}, {Seconds:F3} s",
                trainer.Name, metrics.Epoch + 1, metrics.Loss, metrics.Objective, metrics.TrainAccuracy, metrics.WallTime.TotalSeconds);
            writing.Start();
            try
            {
                files.Submit([(folder.History(trainer.Name), EpochHistory.ToJson(history)),
                    (folder.Checkpoint(trainer.Name), CheckpointFile.Bytes(state, prepared.Fingerprint))]);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Unwritable(ex);
            }
            finally
            {
                writing.Stop();
            }
            if (threadCpu is not null) threadCpu = CpuClock.Thread();
            if (stop?.Invoke() == true && state.Epoch < options.Epochs)
            {
                try { files.Drain(); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return Unwritable(ex); }
                log.LogInformation("{Trainer}: stopped after epoch {Epoch}, because another trainer failed", trainer.Name, state.Epoch);
                return FinFail<PreparedTrainer<T>>(Stopped);
            }
        }
        var waiting = Stopwatch.StartNew();
        try { files.Drain(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return Unwritable(ex); }
        log.LogInformation("{Trainer}: trained {Epochs} epochs in {Seconds:F2} s, of which {Writing:F2} s making checkpoints and {Waiting:F2} s waiting for the last one",
            trainer.Name, options.Epochs - first, clock.Elapsed.TotalSeconds, writing.Elapsed.TotalSeconds, waiting.Elapsed.TotalSeconds);
        return prepared with { History = history };
    }

    /// <summary>The outcome of a trainer stopped because another failed (never reported: the other trainer's failure is).</summary>
    public static Error Stopped { get; } = Error.New("stopped because another trainer failed");

    /// <summary>True when the trainer stopped because another failed (<see cref="Stopped"/>).</summary>
    public static bool IsStopped(Fin<PreparedTrainer<T>> result) => result.Match(Succ: _ => false, Fail: e => ReferenceEquals(e, Stopped));
}

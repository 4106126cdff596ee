using System.Diagnostics;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RobustNode.Core.Engines;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Host.IO;
using RobustNode.Host.Reports;
using RobustNode.Host.Runs;
using RobustNode.Host.Sweeps;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Evaluation;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode train [--experiment NAME] [--name RUN] [--resume]</c>, the default verb: trains every enabled trainer
/// of the experiment (standard, augmented, PGD), checkpointing each after every epoch, evaluates the models' clean
/// and attacked test accuracy versus ε, and writes <c>&lt;Output:Folder&gt;/&lt;run&gt;/</c>: report.json, report.md,
/// models/&lt;trainer&gt;.ckpt and the plots. Problems with the configuration, data, output folder or checkpoints exit
/// with 2 before anything is trained; a failed training or evaluation exits with 3. Reports, plots and models are
/// written only at the end, all at once (<see cref="RunPublication"/>), so a failed run never clobbers the previous run's
/// results. Everything computes on the experiment's engine (<c>Model:Engine</c>, <c>Engine:Name</c>), the data and the
/// models on the configured device (<c>Torch:Device</c>).
/// </summary>
internal sealed class TrainVerb(
    ExperimentCatalog experiments,
    OutputSettings output,
    IConfiguration configuration,
    TorchRuntime runtime,
    EngineCatalog engines,
    HostConsole console,
    ILogger<TrainVerb> log) : IVerb
{
    private readonly VerbConsole _console = new(Descriptor.Name, console);

    /// <inheritdoc/>
    public static VerbDescriptor Descriptor { get; } = new("train", "train standard, augmented and PGD models of an experiment, attack them and write a report (the default verb)",
    [
        new VerbOption("experiment", "NAME", $"an experiment of the Experiments section (default: {ExperimentCatalog.DefaultExperiment})"),
        new VerbOption("name", "RUN", "the run's folder under Output:Folder (default: the experiment's name)"),
        new VerbOption("resume", null, "continue from the run's last checkpoints; finished trainers are not retrained"),
        new VerbOption(LifelineOption, null, "stop when standard input ends (how sweep runs its seeds, so that they stop with it)"),
    ]);

    /// <summary>The flag that ties the run to its standard input (<see cref="StandardInputLifeline"/>).</summary>
    public const string LifelineOption = "exit-on-eof";

    /// <inheritdoc/>
    public int Run(VerbArguments arguments)
    {
        var clock = Stopwatch.StartNew();
        bool resume = arguments.Has("resume") && arguments["resume"] == "true";
        if (arguments[LifelineOption] == "true") StandardInputLifeline.Start(console, Descriptor.Name);
        var setup =
            from e in experiments.Find(arguments["experiment"] ?? ExperimentCatalog.DefaultExperiment)
            from f in RunFolder.For(output.Folder, arguments["name"] ?? e.Name)
            select (e, f);
        if (setup.IsFail) return _console.Invalid("invalid command line", setup.FailToSeq());
        var (experiment, folder) = ((ExperimentSettings, RunFolder))setup.SuccessToSeq().Head;
        SavedModel.UseThreads(experiment.Threads);
        log.LogInformation("Run {Run}: experiment {Experiment} ({Trainers}), {Epochs} epochs, {Threads} thread(s){Resume}",
            Path.GetFileName(folder.Path), experiment.Name, string.Join(", ", experiment.Training.Trainers.Select(t => t.Name)),
            experiment.Training.Epochs, experiment.Threads, resume ? ", resuming" : "");

        var loaded = ExperimentData.Load(experiment.Data, experiment.Model);
        if (loaded.IsFail) return _console.Invalid($"cannot load the data of experiment '{experiment.Name}'", loaded.FailToSeq());
        var data = ((ExperimentData)loaded.SuccessToSeq().Head).On(runtime.Device);
        log.LogInformation("Data: {Train} training and {Test} test samples ({Name})", data.Train.Count, data.Test.Count, data.Train.Name);
        var shift = Objectives.CheckShift(experiment, data);
        if (shift.IsFail) return _console.Invalid($"cannot start run '{Path.GetFileName(folder.Path)}'", shift.FailToSeq());

        int cleaned = RunPublication.Clean(folder);
        if (cleaned > 0) log.LogInformation("Removed {Count} temporary file(s) or folder(s) an interrupted run left in or beside {Folder}", cleaned, folder.Path);
        var writable = folder.EnsureWritable();
        if (writable.IsFail) return _console.Invalid("cannot write the run", writable.FailToSeq());

        var engine = engines.Create(experiment.Model.Engine, new EngineRequest(ExperimentModel.DType(experiment.Model), runtime.Device, experiment.Threads));
        log.LogInformation("Engine: {Engine} on {Device}", engine.Name, runtime.Device);
        return engine.Run(new Job(this, experiment, data, folder, resume, clock));
    }

    /// <summary>The rest of the run, on the experiment's engine.</summary>
    private sealed record Job(TrainVerb Verb, ExperimentSettings Experiment, ExperimentData Data, RunFolder Folder, bool Resume, Stopwatch Clock) : IEngineUser<int>
    {
        public int Use<T>(IEngine<T> engine) => Verb.Train(engine, Experiment, Data, Folder, Resume, Clock);
    }

    private int Train<T>(IEngine<T> engine, ExperimentSettings experiment, ExperimentData data, RunFolder folder, bool resume, Stopwatch clock)
    {
        var run = new TrainingRun<T>(engine, runtime.Device, experiment, data, folder, console, log);
        var trainers = experiment.Training.Trainers;
        using var threads = new TrainerThreads(trainers.Count, Lanes(engine, experiment));
        if (threads.SideBySide) log.LogInformation("Trainers side by side: {Lanes} at a time, each on a thread of its own", threads.Lanes);
        var prepared = TrainingRun<T>.Prepared(threads.Run(trainers.Count, i => run.Prepare(trainers[i], resume)));
        if (prepared.IsFail) return _console.Invalid($"cannot {(resume ? "resume" : "start")} run '{Path.GetFileName(folder.Path)}'", prepared.FailToSeq());
        var ready = (IReadOnlyList<PreparedTrainer<T>>)prepared.SuccessToSeq().Head;

        var timings = new RunTimings(clock.Elapsed);
        timings.Mark("set-up");
        var families = ModelEvaluation.Families(experiment.Evaluation, data.Scale, AttackSelection.All, data.Train.Classes);
        // As in a run of one trainer after another: the first failure in trainer order is reported, and no trainer after
        // it trains on (those running stop at the end of their epoch, their epochs done written).
        int firstFailed = int.MaxValue, training = ready.Count;
        var results = threads.Run(ready.Count, i =>
        {
            var result = Volatile.Read(ref firstFailed) < i
                ? FinFail<PreparedTrainer<T>>(TrainingRun<T>.Stopped)
                : run.Train(ready[i], () => Volatile.Read(ref firstFailed) < i, threads.SideBySide);
            if (result.IsFail && !TrainingRun<T>.IsStopped(result))
                for (int seen = Volatile.Read(ref firstFailed); i < seen; seen = Volatile.Read(ref firstFailed))
                    if (Interlocked.CompareExchange(ref firstFailed, i, seen) == seen) break;
            // The training phase ends when the last trainer is done.
            if (Interlocked.Decrement(ref training) == 0)
            {
                timings.Training = clock.Elapsed - timings.SetUp;
                timings.Mark("training");
            }
            // Side by side a lane evaluates its model as soon as it is trained, while other lanes may still train: the
            // evaluations then fill the time a lane would wait for the slowest trainer.
            Fin<ModelScores>? scores = threads.SideBySide && result.IsSucc && Volatile.Read(ref firstFailed) == int.MaxValue
                ? (Fin<ModelScores>?)Score(experiment.Evaluation, data, families, (PreparedTrainer<T>)result)
                : null;
            return (Trained: result, Scores: scores);
        });
        var trained = new List<PreparedTrainer<T>>();
        foreach (var (result, _) in results)
        {
            if (result.IsFail) return Failed("training failed", result);
            trained.Add((PreparedTrainer<T>)result);
        }
        var scored = threads.SideBySide
            ? results.Select(r => r.Scores!.Value).ToArray()
            : threads.Run(trained.Count, i => Score(experiment.Evaluation, data, families, trained[i]));
        timings.Evaluation = clock.Elapsed - timings.SetUp - timings.Training;
        timings.Mark("evaluation");
        return Finish(engine, experiment, data, folder, trained, scored, clock, timings);
    }

    /// <summary>A trained model's scores under the experiment's attack suite (on the calling thread, the trainer's).</summary>
    private Fin<ModelScores> Score<T>(EvaluationSettings ev, ExperimentData data, IReadOnlyList<SuiteAttack> families, PreparedTrainer<T> t)
    {
        var watch = Stopwatch.StartNew();
        var scores = ModelEvaluation.Evaluate(t.State.Model, data.Test, families, ev.Epsilons, data.Scale, ev, ev.Certify ? ev.Norm : null);
        if (scores.IsSucc)
            log.LogInformation("{Trainer}: clean test accuracy {Accuracy:P1}; attacked with {Attacks} at {Count} radii in {Seconds:F1} s",
                t.Trainer.Name, ((ModelScores)scores).CleanAccuracy, string.Join(", ", families.Select(f => f.Family.Name)), ev.Epsilons.Count, watch.Elapsed.TotalSeconds);
        return scores;
    }

    /// <summary>
    /// How many trainers compute at a time: up to the experiment's threads on the managed engine, whose trainers each
    /// compute on their own thread and share nothing; one on TorchSharp, whose intra-op thread pool is one for the
    /// process and already uses the experiment's threads for every operation.
    /// </summary>
    private static int Lanes<T>(IEngine<T> engine, ExperimentSettings experiment) =>
        engine.Name == "managed" ? Math.Max(1, Math.Min(experiment.Threads, experiment.Training.Trainers.Count)) : 1;

    /// <summary>
    /// Where a run's wall time went, and its processor time: on a shared machine the wall time of a phase says more about
    /// the other processes than about the run; the processor time of the process (all its threads) does not, and the
    /// JIT compiler's share (its time and the methods it compiled) says how much of a phase was compiling code.
    /// Both are logged at the run's end.
    /// </summary>
    private sealed class RunTimings(TimeSpan setUp)
    {
        private readonly List<(string Phase, TimeSpan Cpu, TimeSpan Jit, long Methods)> _marks = [];
        private (TimeSpan Cpu, TimeSpan Jit, long Methods) _last;

        public TimeSpan SetUp { get; } = setUp;
        public TimeSpan Training { get; set; }
        public TimeSpan Evaluation { get; set; }
        public TimeSpan Pictures { get; set; }
        public TimeSpan Writing { get; set; }

        /// <summary>Ends a phase: the processor time, JIT time and methods compiled since the previous mark (the process start for the first).</summary>
        public void Mark(string phase)
        {
            using var process = Process.GetCurrentProcess();
            var now = (process.TotalProcessorTime, System.Runtime.JitInfo.GetCompilationTime(), System.Runtime.JitInfo.GetCompiledMethodCount());
            _marks.Add((phase, now.TotalProcessorTime - _last.Cpu, now.Item2 - _last.Jit, now.Item3 - _last.Methods));
            _last = now;
        }

        /// <summary>"1.23 s set-up (JIT 0.45 s, 678 methods), …" over the marked phases.</summary>
        public string Processor() => string.Join(", ", _marks.Select(m =>
            FormattableString.Invariant($"{m.Cpu.TotalSeconds:F2} s {m.Phase} (JIT {m.Jit.TotalSeconds:F2} s, {m.Methods} methods)")));
    }

    private int Finish<T>(IEngine<T> engine, ExperimentSettings experiment, ExperimentData data, RunFolder folder, IReadOnlyList<PreparedTrainer<T>> trained,
        IReadOnlyList<Fin<ModelScores>> scored, Stopwatch clock, RunTimings timings)
    {
        var ev = experiment.Evaluation;
        // The reports in trainer order, the first failure in that order reported.
        var reports = new List<TrainerReport>();
        foreach (var (t, scores) in trained.Zip(scored))
        {
            if (scores.IsFail) return Failed($"the evaluation of {t.Trainer.Name} failed", scores);
            foreach (var warning in ((ModelScores)scores).Sanity?.Findings.Where(f => !f.Passed) ?? [])
                log.LogWarning("{Trainer}: {Warning}", t.Trainer.Name, warning.Message);
            reports.Add(new TrainerReport(t.Trainer.Name, t.Options.Objective.Describe(), t.State.Epoch, t.ResumedFrom, t.History, (ModelScores)scores,
                Path.GetRelativePath(folder.Path, folder.Model(t.Trainer.Name))));
        }

        var drawing = Stopwatch.StartNew();
        var plots = Plots(experiment, data, trained, reports);
        if (plots.IsFail) return Failed("the plots failed", plots);
        var files = plots.Match(Succ: f => f, Fail: _ => []);
        timings.Pictures = drawing.Elapsed;
        timings.Mark("pictures");
        log.LogInformation("Drew {Count} pictures in {Seconds:F1} s", files.Count, drawing.Elapsed.TotalSeconds);
        var writing = Stopwatch.StartNew();
        var report = new RunReport(
            Path.GetFileName(folder.Path), experiment.Name, DateTimeOffset.UtcNow,
            data.Train.Name, data.Train.Count, data.Test.Name, data.Test.Count, data.Train.Classes,
            ExperimentModel.Describe(experiment.Model, data.Train), engine.Name, trained[0].State.Parameters.Sum(p => engine.Shape(p).Aggregate(1L, (a, b) => a * b)),
            ev.Norm.ToString(), ev.Epsilons, reports,
            RunSettings.Resolved(experiment, data, trained.Select(t => (t.Trainer.Name, t.Options)).ToArray()),
            RunSettings.Configuration(configuration, experiment.Name),
            files.Select(f => f.Name).ToArray(),
            ModelEvaluation.Describe(ev, AttackSelection.All, data.Train.Classes),
            ModelEvaluation.Covering(ev, data.Test, data.Scale)?.Radius);
        try
        {
            // All or nothing: the results go to a new folder that replaces the run folder in one step.
            RunPublication.Publish(folder, staged =>
            {
                foreach (var t in trained) CheckpointFile.Write(staged.Model(t.Trainer.Name), t.State, t.Fingerprint);
                foreach (var (name, bytes) in files) AtomicFile.WriteAllBytes(staged.File(name), bytes);
                AtomicFile.WriteAllBytes(staged.ReportJson, ReportJson.Write(report));
                AtomicFile.WriteAllBytes(staged.ReportMarkdown, ReportMarkdown.Write(report));
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            console.Problem($"robustnode train: cannot write the results to '{folder.Path}': {ex.Message}");
            return ExitCodes.InvalidInput;
        }
        timings.Writing = writing.Elapsed;
        timings.Mark("writing");
        console.Out.Write(AccuracyTable.Markdown(reports.Select(r => (r.Name, r.Scores)).ToArray()));
        foreach (var t in report.Trainers.Where(t => t.Name != "standard"))
            if (report.TimeRatio(t.Name) is { } ratio)
                log.LogInformation("Median time per epoch: {Trainer} / standard = {Ratio:F2} (CPU {Cpu})", t.Name, ratio,
                    report.CpuTimeRatio(t.Name) is { } cpu ? cpu.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "–");
        foreach (var t in report.Trainers.Where(t => t.Name != "pgd"))
            if (report.CpuTimeRatio(t.Name, "pgd") is { } cpu)
                log.LogInformation("Median CPU time per epoch: {Trainer} / pgd = {Ratio:F2}", t.Name, cpu);
        // The process's own start (runtime and JIT start-up, configuration) comes before the verb's clock.
        double sinceStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds;
        log.LogInformation("Time: {SetUp:F2} s set-up, {Training:F2} s training, {Evaluation:F2} s evaluation, {Pictures:F2} s pictures, {Writing:F2} s writing; {Total:F2} s since the process started",
            timings.SetUp.TotalSeconds, timings.Training.TotalSeconds, timings.Evaluation.TotalSeconds, timings.Pictures.TotalSeconds, timings.Writing.TotalSeconds, sinceStart);
        // JIT time is the compiler's own clock (wall time while compiling), so on a busy machine it can exceed the processor time.
        log.LogInformation("Processor time: {Phases}", timings.Processor());
        log.LogInformation("Run {Run} finished in {Seconds:F1} s; wrote {Report}, {Markdown}, {Models} and {Plots}",
            report.Run, clock.Elapsed.TotalSeconds, folder.ReportJson, folder.ReportMarkdown, folder.Models, string.Join(", ", report.Plots));
        return ExitCodes.Success;
    }

    /// <summary>Test points drawn in the flow pictures, and the most grid points per side of their background.</summary>
    private const int FlowPoints = 300, FlowResolution = 100;

    /// <summary>
    /// The plots of a run: for planar data the data, level sets, attack arrows and the flow (trajectories and the
    /// animation); always accuracy versus ε and training curves.
    /// </summary>
    private Fin<IReadOnlyList<(string Name, byte[] Bytes)>> Plots<T>(ExperimentSettings experiment, ExperimentData data, IReadOnlyList<PreparedTrainer<T>> trained, IReadOnlyList<TrainerReport> reports)
    {
        var ev = experiment.Evaluation;
        var files = new List<(string, byte[])>();
        if (experiment.IsPlanar)
        {
            files.Add(("data.png", DataPlot.Render(data.Train, data.Test, $"{experiment.Name}: {data.Train.Count} training (filled) and {data.Test.Count} test (hollow) points")));
            var spec = GridSpec.Around(data.Train, ev.GridMargin, ev.GridResolution);
            var grids = new List<(string, GridPrediction)>();
            var attacked = new List<AttackedPoints>();
            var flows = new List<(string, PlanarFlow)>();
            var attack = AttackExamples.Attacks(ev, data.Scale, ev.AttackEpsilon, AttackSelection.Fgsm, data.Train.Classes);
            foreach (var (t, r) in trained.Zip(reports))
            {
                var grid = spec.Bind(g => DecisionGrid.Evaluate(t.State.Model, g));
                if (grid.IsFail) return grid.Map(_ => (IReadOnlyList<(string, byte[])>)[]);
                var g = (GridPrediction)grid;
                grids.Add(($"{t.Trainer.Name}: clean test accuracy {AccuracyTable.Percent(r.Scores.CleanAccuracy)}", g));
                var examples = AttackExamples.Compute(t.State.Model, data.Test, attack, data.Scale, data.Test.Count);
                if (examples.IsFail) return examples.Map(_ => (IReadOnlyList<(string, byte[])>)[]);
                attacked.Add(((AttackExamples)examples).Points(t.Trainer.Name, g));
                var flow = PlanarFlow.Trace(t.State.Model, data.Test, FlowPoints, Math.Min(ev.GridResolution, FlowResolution));
                if (flow.IsFail) return flow.Map(_ => (IReadOnlyList<(string, byte[])>)[]);
                flows.Add((t.Trainer.Name, (PlanarFlow)flow));
            }
            files.Add(("level-sets.png", LevelSetPlot.Render(grids, data.Train)));
            files.Add(("attacks.png", AttackArrowsPlot.Render(attacked, FormattableString.Invariant($"FGSM ε = {ev.AttackEpsilon:G4}"))));
            files.Add(("trajectories.png", FlowPlot.Trajectories(flows)));
            files.Add(("flow.gif", FlowPlot.Animation(flows)));
        }
        else
        {
            using var scope = TorchSharp.torch.NewDisposeScope();
            int n = Math.Min(32, data.Train.Count);
            var images = data.AsImages(data.Scale.ToInput(data.Train.X.narrow(0, 0, n)));
            var labels = data.Train.Labels.narrow(0, 0, n).cpu().data<long>().ToArray();
            files.Add(("data.png", ImageGridPlot.Render(
                Enumerable.Range(0, n).Select(i => new CaptionedImage(AttackExamples.Pixels(images[i]), $"label {labels[i]}")).ToArray(),
                8, $"{experiment.Name}: training images")));
        }
        files.Add(("accuracy.png", AccuracyPlot.Render(reports.Select(r => (r.Name, r.Scores)).ToArray(), ev.Norm.ToString(),
            $"{experiment.Name}, {data.Test.Count} test samples")));
        files.Add(("training.png", TrainingCurvesPlot.Render(reports.Select(r => (r.Name, r.History)).ToArray())));
        return files;
    }

    private int Failed<T>(string what, Fin<T> failure)
    {
        var error = failure.Match(Succ: _ => Error.New(""), Fail: e => e);
        console.Problem($"robustnode train: {what} {VerbConsole.Coded(error)}");
        return error.Code == HostErrors.FileCode ? ExitCodes.InvalidInput : ExitCodes.ComputationFailed;
    }
}

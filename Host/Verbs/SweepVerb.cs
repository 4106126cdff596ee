using System.Diagnostics;
using System.Globalization;
using System.Text;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Host.IO;
using RobustNode.Host.Reports;
using RobustNode.Host.Runs;
using RobustNode.Host.Schemas;
using RobustNode.Host.Sweeps;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode sweep --experiment NAME [--seeds 1-10] [--jobs 2] [--name RUN] [--resume] [--grid Key=v1,v2] [--seed-data]</c>:
/// trains and evaluates an experiment once per seed (and per grid point) in child <c>robustnode train</c> processes, at
/// most <c>--jobs</c> at once (each with one libtorch thread when more than one runs), each in its own resumable run
/// folder <c>&lt;Output:Folder&gt;/&lt;run&gt;/[&lt;point&gt;/]seed-&lt;s&gt;/</c>, and writes the summary over the seeds to
/// <c>&lt;Output:Folder&gt;/&lt;run&gt;/</c>: report.json, report.md, accuracy.png, robust-accuracy.png and pareto.png.
/// With <c>--resume</c> a run whose report was written under the same settings is kept and every other run continues
/// from its checkpoints, so a sweep stopped at any point ends with the report an uninterrupted one writes.
/// </summary>
internal sealed class SweepVerb(
    ExperimentCatalog experiments,
    OutputSettings output,
    IConfiguration configuration,
    HostSettings settings,
    ProgramInvocation invocation,
    HostConsole console,
    ILogger<SweepVerb> log) : IVerb
{
    private readonly VerbConsole _console = new(Descriptor.Name, console);

    /// <summary>Most child runs at once.</summary>
    public const int MaxJobs = 64;

    /// <inheritdoc/>
    public static VerbDescriptor Descriptor { get; } = new("sweep", "run an experiment over seeds (and a grid of settings) in parallel processes and report mean, std and 95 % intervals",
    [
        new VerbOption("experiment", "NAME", "an experiment of the Experiments section", Required: true),
        new VerbOption("seeds", "1-10", "the seeds: numbers and ranges, e.g. 1-10 or 1,2,5 (default: 1-10 for point clouds, 1-3 for images)"),
        new VerbOption("jobs", "N", "runs at once, each with one libtorch thread when N > 1 (default: 1)").CheckedBy(Jobs),
        new VerbOption("name", "RUN", "the sweep's folder under Output:Folder (default: <experiment>-sweep)"),
        new VerbOption("resume", null, "keep the runs that finished and continue the others from their checkpoints"),
        new VerbOption("grid", "Key=v1,v2", "also vary settings of the experiment, e.g. Training:Augmented:Weight=0.05,0.1 (several keys separated by ';')"),
        new VerbOption("seed-data", null, "the seed also draws the data (Data:Seed: the point cloud and its split, the image subsets)"),
    ]);

    /// <inheritdoc/>
    public int Run(VerbArguments arguments)
    {
        var clock = Stopwatch.StartNew();
        bool resume = arguments["resume"] == "true";
        bool seedData = arguments["seed-data"] == "true";
        var request =
            from experiment in experiments.Find(arguments["experiment"]!)
            from parts in (
                arguments["seeds"] is { } text ? SeedList.Parse(text) : Success<Error, IReadOnlyList<long>>(SeedList.Default(images: !experiment.IsPlanar)),
                Jobs(arguments["jobs"]),
                SweepGrid.Parse(arguments["grid"], SweepPlan.SeedSettingsOf(seedData)),
                RunFolder.For(output.Folder, arguments["name"] ?? $"{experiment.Name}-sweep"))
                .Apply((seeds, jobs, grid, folder) => (seeds, jobs, grid, folder))
            select (experiment, parts.seeds, parts.jobs, parts.grid, parts.folder);
        if (request.IsFail) return _console.Invalid("invalid command line", request.FailToSeq());
        var (exp, seedList, jobCount, gridAxes, runFolder) = request.SuccessToSeq().Head;

        var planned = SweepPlan.Create(configuration, exp, seedList, gridAxes, seedData, Path.GetFullPath(runFolder.Path),
            () => settings.Torch.DeviceType == TorchSharp.DeviceType.CUDA);
        if (planned.IsFail) return _console.Invalid(gridAxes.Axes.Count > 0 ? "invalid settings of the grid" : "invalid settings", planned.FailToSeq());
        var plan = (SweepPlan)planned.SuccessToSeq().Head;

        var locked = Lock(plan.Folder);
        if (locked.IsFail) return _console.Invalid("cannot run the sweep", locked.FailToSeq());
        using var sweepLock = (FileStream)locked.SuccessToSeq().Head;
        int runCount = plan.Runs.Count();
        log.LogInformation("Sweep {Run}: experiment {Experiment}, seeds {Seeds}{Grid}: {Count} runs, {Jobs} at a time{Resume}",
            Path.GetFileName(plan.Folder), exp.Name, SeedList.Describe(seedList),
            gridAxes.Axes.Count > 0 ? $" at {plan.Points.Count} grid points" : "", runCount, jobCount, resume ? ", resuming" : "");

        var pending = plan.Runs.Where(run => !(resume && Finished(run))).ToArray();
        var outcomes = new ChildRuns(invocation, log).Run(pending.Select(run => (run, Arguments(plan, run, jobCount, resume))).ToArray(), jobCount);
        var failed = outcomes.Where(o => o.ExitCode != 0).ToArray();
        if (failed.Length > 0) return Failed(failed, runCount);

        var reports = plan.Points.Select(point => point.Runs.Select(Report).Sequence()).Sequence();
        if (reports.IsFail) return _console.Invalid("cannot read the reports of the runs", reports.FailToSeq());
        var finished = reports.SuccessToSeq().Head.Select(p => (IReadOnlyList<FinishedRun>)p.ToArray()).ToArray();
        var summary = SweepSummary.Summarise(plan, finished, Path.GetFileName(plan.Folder),
            Pairs(RunSettings.Configuration(configuration, exp.Name)), DateTimeOffset.UtcNow);
        if (summary.IsFail) return _console.Invalid("the reports of the runs do not fit together", summary.FailToSeq());
        var report = (SweepReportFile)summary.SuccessToSeq().Head;
        var plots = SweepPlots.Render(report);
        report = report with { Plots = plots.Select(p => p.Name).ToArray() };
        try
        {
            foreach (var (name, bytes) in plots) AtomicFile.WriteAllBytes(Path.Combine(plan.Folder, name), bytes);
            JsonFiles.WriteFile(Path.Combine(plan.Folder, "report.json"), report, JsonFiles.Default.SweepReportFile);
            AtomicFile.WriteAllBytes(Path.Combine(plan.Folder, "report.md"), SweepMarkdown.Write(report));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return _console.Invalid("cannot write the report", Seq1(HostErrors.File(plan.Folder, ex.Message)));
        }
        console.Out.Write(Table(report));
        log.LogInformation("Sweep {Run} finished in {Seconds:F1} s ({Ran} runs trained, {Kept} kept); wrote {Report}, report.md and {Plots}",
            report.Run, clock.Elapsed.TotalSeconds, pending.Length, runCount - pending.Length, Path.Combine(plan.Folder, "report.json"), string.Join(", ", report.Plots));
        return ExitCodes.Success;
    }

    private static Validation<Error, int> Jobs(string? text) =>
        text is null ? Success<Error, int>(1)
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxJobs ? Success<Error, int>(n)
        : Fail<Error, int>(HostErrors.CommandLine("--jobs", $"expected a whole number from 1 to {MaxJobs}, got '{(text.Length <= 40 ? text : text[..40] + "…")}'"));

    /// <summary>
    /// Holds the sweep's folder for this process (an exclusive lock on <c>.sweep.lock</c>, released when the process
    /// ends, however it ends), so that two sweeps never train into the same runs.
    /// </summary>
    private static Validation<Error, FileStream> Lock(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            return Success<Error, FileStream>(new FileStream(Path.Combine(folder, ".sweep.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail<Error, FileStream>(HostErrors.File(folder, File.Exists(Path.Combine(folder, ".sweep.lock")) && ex is IOException
                ? "another sweep is running in this folder (it holds .sweep.lock)"
                : $"the folder is not writable: {ex.Message}"));
        }
    }

    /// <summary>True when the run's report exists and was written under this run's settings.</summary>
    private bool Finished(SweepRun run)
    {
        var path = Path.Combine(run.Folder, "report.json");
        if (!File.Exists(path)) return false;
        var kept = JsonFiles.Read(path, JsonFiles.Default.ReportFile, "report").Match(
            Succ: r => SweepPlan.SameConfiguration(run, r.Configuration),
            Fail: _ => false);
        log.LogInformation(kept ? "{Run}: finished earlier under the same settings; kept" : "{Run}: its report is of other settings; training it again", run.Label);
        return kept;
    }

    /// <summary>
    /// The command line of a run's child: <c>train</c> with the sweep's own overrides (except what the run sets), the
    /// run's output folder, seed and grid settings, and one libtorch thread when several runs share the machine.
    /// </summary>
    private IReadOnlyList<string> Arguments(SweepPlan plan, SweepRun run, int jobs, bool resume)
    {
        string experiment = plan.Experiment.Name;
        var set = new List<KeyValuePair<string, string>>
        {
            new("Output:Folder", run.OutputFolder),
        };
        set.AddRange(run.Settings.Select(s => new KeyValuePair<string, string>($"{ExperimentValidation.Section}:{experiment}:{s.Key}", s.Value)));
        if (jobs > 1)
        {
            set.Add(new($"{ExperimentValidation.Section}:{experiment}:{SweepPlan.ThreadsKey}", "1"));
            set.Add(new("Torch:Threads", "1"));
        }
        var keys = set.Select(s => s.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return
        [
            "train", "--experiment", experiment, "--name", run.Name, "--" + TrainVerb.LifelineOption,
            .. resume ? ["--resume"] : System.Array.Empty<string>(),
            .. invocation.SettingsOptions,
            .. invocation.Overrides.Where(o => !keys.Contains(ProgramInvocation.Key(o))),
            .. set.Select(s => $"--{s.Key}={s.Value}"),
        ];
    }

    private static Validation<Error, FinishedRun> Report(SweepRun run)
    {
        var path = Path.Combine(run.Folder, "report.json");
        return JsonFiles.Read(path, JsonFiles.Default.ReportFile, "report of " + run.Label).Map(r => new FinishedRun(run, path, r));
    }

    private int Failed(IReadOnlyList<ChildOutcome> failed, int runs)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"robustnode sweep: {failed.Count} of {runs} runs failed; the others are kept, and --resume continues the sweep:");
        foreach (var o in failed)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {o.Run.Label}: {o.Describe()}; its output is in {o.Log}, ending:");
            foreach (var line in o.Tail) text.AppendLine($"    {line}");
        }
        console.Error.Write(text.ToString());
        // Input the runs refused (settings, checkpoints of other settings, unwritable folders) is the user's to fix.
        return failed.Any(o => o.ExitCode == ExitCodes.InvalidInput) ? ExitCodes.InvalidInput : ExitCodes.ComputationFailed;
    }

    private static Dictionary<string, string> Pairs(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in pairs) result[k] = v;
        return result;
    }

    /// <summary>The robust accuracy table for stdout: per grid point and trainer, the mean ± std at every ε.</summary>
    private static string Table(SweepReportFile report)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append("| trainer | robust accuracy |");
        foreach (var e in report.Epsilons) text.Append(inv, $" ε = {e:G4} |");
        text.AppendLine();
        text.Append("|---|---|").Append(string.Concat(report.Epsilons.Select(_ => "---:|"))).AppendLine();
        foreach (var point in report.Points)
            foreach (var t in point.Trainers)
            {
                text.Append(inv, $"| {(point.Name.Length == 0 ? t.Name : $"{t.Name} ({point.Name})")} | {t.RobustAccuracy.Attack} |");
                foreach (var p in t.RobustAccuracy.Points)
                    text.Append(' ').Append(double.IsFinite(p.Std) ? string.Create(inv, $"{100 * p.Mean:F1} ± {100 * p.Std:F1} %") : string.Create(inv, $"{100 * p.Mean:F1} %")).Append(" |");
                text.AppendLine();
            }
        return text.ToString();
    }
}

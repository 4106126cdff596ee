using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using RobustNode.Host.Composition;
using RobustNode.Host.Sweeps;
using Xunit;
using static RobustNode.Tests.Host.TrainingJobs;

namespace RobustNode.Tests.Host;

/// <summary>
/// The uninterrupted sweep that the interrupted ones are compared with: tiny moons (standard and augmented training,
/// 20 short epochs), seeds 1 and 2, two runs at a time. Run once for the whole class.
/// </summary>
public sealed class ReferenceSweep : IDisposable
{
    public TempFolder Folder { get; } = new();
    public HostRun Run { get; }
    public string Report => File.ReadAllText(Path.Combine(Runs(Folder), "report.json"));

    public ReferenceSweep() => Run = Robustnode.Run(Folder, SweepVerbTests.Sweep("--jobs", "2"), SweepVerbTests.Settings(Folder));

    public static string Runs(TempFolder folder) => Path.Combine(folder.File("runs"), "tiny");

    public void Dispose() => Folder.Dispose();
}

/// <summary>
/// <c>robustnode sweep</c>: child <c>train</c> processes per seed, the summary over seeds, resuming after a kill of a
/// child or of the sweep itself, and bad input.
/// </summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public class SweepVerbTests(ReferenceSweep reference) : IClassFixture<ReferenceSweep>
{
    internal static string Settings(TempFolder folder) => TinyMoons(folder,
        ("Experiments:moons:Training:Epochs", 20),
        ("Experiments:moons:Training:Pgd:Enabled", false));

    internal static string[] Sweep(params string[] extra) => ["sweep", "--experiment", "moons", "--seeds", "1-2", "--name", "tiny", .. extra];

    /// <summary>The report without what depends on the clock: when it finished and the times per epoch.</summary>
    private static string Stable(string report)
    {
        var json = JsonNode.Parse(report)!;
        void Strip(JsonNode? node)
        {
            if (node is JsonObject o)
            {
                foreach (var key in new[] { "finished", "secondsPerEpoch" }) o.Remove(key);
                foreach (var (_, child) in o.ToArray()) Strip(child);
            }
            else if (node is JsonArray a) foreach (var child in a) Strip(child);
        }
        Strip(json);
        return json.ToJsonString();
    }

    [Fact]
    public void A_sweep_reports_mean_std_and_intervals_per_trainer_attack_and_epsilon()
    {
        Assert.True(reference.Run.ExitCode == ExitCodes.Success, reference.Run.Error);
        var dir = ReferenceSweep.Runs(reference.Folder);
        var report = JsonNode.Parse(reference.Report)!;
        Assert.Equal([1, 2], report["seeds"]!.AsArray().Select(s => (long)s!));
        Assert.Equal(["Model:Seed", "Training:Seed", "Evaluation:Pgd:Seed", "Evaluation:Apgd:Seed", "Evaluation:ApgdDlr:Seed", "Evaluation:Square:Seed"],
            report["seedSettings"]!.AsArray().Select(s => (string)s!));
        var point = report["points"]![0]!;
        Assert.Equal(["seed-1", "seed-2"], point["runs"]!.AsArray().Select(r => (string)r!["folder"]!));
        Assert.Equal(["standard", "augmented"], point["trainers"]!.AsArray().Select(t => (string)t!["name"]!));
        var standard = point["trainers"]![0]!;
        Assert.Equal(2, (int)standard["seeds"]!);
        var clean = standard["cleanAccuracy"]!["values"]!.AsArray().Select(v => (double)v!).ToArray();
        Assert.Equal(clean.Average(), (double)standard["cleanAccuracy"]!["mean"]!, 12);
        Assert.Equal(["fgsm-inf", "pgd2-inf", "apgd-ce-inf", "apgd-dlr-inf", "square-inf", "worst-case-inf", "certified-inf"], standard["robustness"]!.AsArray().Select(c => (string)c!["attack"]!));
        foreach (var curve in standard["robustness"]!.AsArray())
            foreach (var p in curve!["points"]!.AsArray())
            {
                double mean = (double)p!["mean"]!, std = (double)p["std"]!, half = SeedStatistics.T975(1) * std / Math.Sqrt(2);
                Assert.Equal(mean, (double)p["accuracy"]!);
                // The interval of a mean accuracy is clipped to [0, 1].
                Assert.Equal(Math.Max(0, mean - half), (double)p["ci95Low"]!, 12);
                Assert.Equal(Math.Min(1, mean + half), (double)p["ci95High"]!, 12);
            }
        // The robust accuracy is the worst case per sample over the suite, summarised over seeds.
        var robust = standard["robustAccuracy"]!;
        Assert.Equal("worst-case-inf", (string?)robust["attack"]);
        foreach (var (p, j) in robust["points"]!.AsArray().Select((p, j) => (p!, j)))
            Assert.Equal((double)standard["robustness"]![5]!["points"]![j]!["mean"]!, (double)p["mean"]!);
        Assert.Equal(0.1, (double)report["pareto"]!["epsilon"]!);   // the evaluated radius nearest Evaluation:AttackEpsilon = 0.15
        Assert.Equal(2, report["pareto"]!["points"]!.AsArray().Count);
        Assert.Equal(["accuracy.png", "robust-accuracy.png", "pareto.png"], report["plots"]!.AsArray().Select(p => (string)p!));
        foreach (var plot in new[] { "accuracy.png", "robust-accuracy.png", "pareto.png" }) AssertPng(Path.Combine(dir, plot));
        var markdown = File.ReadAllText(Path.Combine(dir, "report.md"));
        Assert.Contains("Seed s sets `Model:Seed`, `Training:Seed`, `Evaluation:Pgd:Seed`, `Evaluation:Apgd:Seed`, `Evaluation:ApgdDlr:Seed`, `Evaluation:Square:Seed` to s; the data are the same for every seed.", markdown);
        Assert.Contains("| standard | fgsm-inf |", markdown);
        Assert.Contains("![pareto.png](pareto.png)", markdown);
        // Each seed is a run of its own, with its own report, trained with one libtorch thread (two at a time).
        foreach (var seed in new[] { 1, 2 })
        {
            var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, $"seed-{seed}", "report.json")))!;
            Assert.Equal(seed.ToString(), (string?)run["configuration"]!["Model:Seed"]);
            Assert.Equal(seed.ToString(), (string?)run["settings"]!["training.seed"]);
            Assert.Equal("1", (string?)run["settings"]!["threads"]);
            Assert.Contains("== exit code 0", File.ReadAllText(Path.Combine(dir, $"seed-{seed}", "train.log")));
        }
        Assert.Contains("| standard | worst-case-inf |", reference.Run.Out);
    }

    [Fact]
    public async Task A_sweep_whose_run_is_killed_resumes_to_the_report_of_an_uninterrupted_one()
    {
        Assert.True(reference.Run.ExitCode == ExitCodes.Success, reference.Run.Error);
        using var folder = new TempFolder();
        var settings = Settings(folder);
        var log = new CapturedLog();
        var sweep = Task.Run(() => Robustnode.Run(folder, Sweep(), settings, log: log));
        var history = Path.Combine(ReferenceSweep.Runs(folder), "seed-2", "checkpoints", "augmented.history.json");
        int child = WaitForChild(log, "seed 2", history, sweep);
        Process.GetProcessById(child).Kill();
        var killed = await sweep;

        Assert.Equal(ExitCodes.ComputationFailed, killed.ExitCode);
        Assert.Contains("robustnode sweep: 1 of 2 runs failed", killed.Error);
        Assert.Contains("seed 2: stopped by signal 9", killed.Error);
        Assert.False(File.Exists(Path.Combine(ReferenceSweep.Runs(folder), "report.json")));

        var resumed = Robustnode.Run(folder, Sweep("--resume"), settings);

        Assert.True(resumed.ExitCode == ExitCodes.Success, resumed.Error);
        Assert.Contains(resumed.Log, l => l.Contains("seed 1: finished earlier under the same settings; kept"));
        Assert.Contains(resumed.Log, l => l.Contains("(1 runs trained, 1 kept)"));
        Assert.Equal(Stable(reference.Report), Stable(File.ReadAllText(Path.Combine(ReferenceSweep.Runs(folder), "report.json"))));
    }

    [Fact]
    public void A_sweep_killed_itself_stops_its_runs_and_resumes_to_the_report_of_an_uninterrupted_one()
    {
        Assert.True(reference.Run.ExitCode == ExitCodes.Success, reference.Run.Error);
        using var folder = new TempFolder();
        var settings = Settings(folder);
        var start = new ProgramInvocation(Robustnode.ContentRoot(folder, settings), []).StartInfo(Sweep());
        using var parent = Process.Start(start)!;
        var log = new CapturedLog();
        parent.ErrorDataReceived += (_, e) => { if (e.Data is { } line) log.CreateLogger("").LogInformation("{Line}", line); };
        parent.BeginErrorReadLine();
        parent.BeginOutputReadLine();
        var history = Path.Combine(ReferenceSweep.Runs(folder), "seed-2", "checkpoints", "augmented.history.json");
        int child = WaitForChild(log, "seed 2", history, parent.WaitForExitAsync());

        parent.Kill(entireProcessTree: false);   // as kill -9 of the sweep alone
        parent.WaitForExit();
        WaitUntilGone(child);

        Assert.False(File.Exists(Path.Combine(ReferenceSweep.Runs(folder), "seed-2", "report.json")), "the orphaned run went on to the end");
        var resumed = Robustnode.Run(folder, Sweep("--resume"), settings);

        Assert.True(resumed.ExitCode == ExitCodes.Success, resumed.Error);
        Assert.Equal(Stable(reference.Report), Stable(File.ReadAllText(Path.Combine(ReferenceSweep.Runs(folder), "report.json"))));
    }

    [Fact]
    public void A_grid_runs_every_point_and_reports_each()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["sweep", "--experiment", "moons", "--seeds", "3", "--name", "grid", "--grid", "Training:Augmented:Weight=0.05,0.2",
            "--Experiments:moons:Training:Standard:Enabled=false"], Settings(folder));

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        var dir = Path.Combine(folder.File("runs"), "grid");
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!;
        Assert.Equal(["Training:Augmented:Weight=0.05", "Training:Augmented:Weight=0.2"], report["points"]!.AsArray().Select(p => (string)p!["name"]!));
        Assert.Equal("Training.Augmented.Weight=0.2/seed-3", (string?)report["points"]![1]!["runs"]![0]!["folder"]);
        var child = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "Training.Augmented.Weight=0.2", "seed-3", "report.json")))!;
        Assert.Equal("0.2", (string?)child["configuration"]!["Training:Augmented:Weight"]);
        Assert.Equal("false", (string?)child["configuration"]!["Training:Standard:Enabled"]);
        Assert.Equal(["augmented (Training:Augmented:Weight=0.05)", "augmented (Training:Augmented:Weight=0.2)"],
            report["pareto"]!["points"]!.AsArray().Select(p => $"{(string)p!["trainer"]!} ({(string)p["point"]!})"));
        // One seed: a mean without a spread.
        Assert.Null(report["points"]![0]!["trainers"]![0]!["cleanAccuracy"]!["std"]);
        Assert.Contains("## Training:Augmented:Weight=0.2", File.ReadAllText(Path.Combine(dir, "report.md")));
    }

    [Theory]
    [InlineData(new[] { "--experiment", "bananas" }, "--experiment: unknown experiment 'bananas'")]
    [InlineData(new[] { "--experiment", "moons", "--seeds", "3-1,x" }, "--seeds: '3-1' is an empty range")]
    [InlineData(new[] { "--experiment", "moons", "--jobs", "0" }, "--jobs: expected a whole number from 1 to 64, got '0'")]
    [InlineData(new[] { "--experiment", "moons", "--grid", "Training:Augmented:Wieght=1,2" }, "Experiments:moons:Training:Augmented:Wieght: unknown setting")]
    [InlineData(new[] { "--experiment", "moons", "--grid", "Training:Epochs=0,2" }, "Experiments:moons:Training:Epochs: must be at least 1, got 0")]
    [InlineData(new[] { "--experiment", "moons", "--grid", "Model:Seed=1,2" }, "--grid: 'Model:Seed' is set by the seed of each run")]
    [InlineData(new[] { "--experiment", "moons", "--name", "a/b" }, "--name: 'a/b' is not a plain folder name")]
    [InlineData(new[] { "--seeds", "1-2" }, "--experiment: required by 'sweep'")]
    public void Bad_input_is_refused_with_2_before_anything_runs(string[] options, string message)
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["sweep", .. options], Settings(folder));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains(message, run.Error);
        Assert.DoesNotContain("   at ", run.Error);
        Assert.False(Directory.Exists(folder.File("runs")));
    }

    [Fact]
    public void Two_sweeps_never_run_in_one_folder()
    {
        using var folder = new TempFolder();
        var dir = Directory.CreateDirectory(ReferenceSweep.Runs(folder)).FullName;
        using var held = new FileStream(Path.Combine(dir, ".sweep.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        var run = Robustnode.Run(folder, Sweep(), Settings(folder));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"{dir}: another sweep is running in this folder", run.Error);
        Assert.False(Directory.Exists(Path.Combine(dir, "seed-1")));
    }

    /// <summary>The process id of a run once its file appears; fails when the sweep ends first.</summary>
    private static int WaitForChild(CapturedLog log, string label, string file, Task sweep)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(file))
        {
            Assert.False(sweep.IsCompleted, $"the sweep ended before {file} appeared:\n{string.Join("\n", log.Lines)}");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), $"{file} did not appear");
            Thread.Sleep(10);
        }
        var started = log.Lines.Select(l => Regex.Match(l, $@"{label}: started process (\d+)")).First(m => m.Success);
        return int.Parse(started.Groups[1].Value);
    }

    /// <summary>Waits until a process has ended (a zombie waiting for its reaper counts as ended).</summary>
    private static void WaitUntilGone(int pid)
    {
        var clock = Stopwatch.StartNew();
        while (File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1].StartsWith('Z'))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"process {pid} went on after its sweep was killed");
            Thread.Sleep(20);
        }
    }
}

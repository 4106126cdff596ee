using System.Diagnostics;
using System.Text.Json.Nodes;
using RobustNode.Benchmarks.Images;
using RobustNode.Benchmarks.PyTorch;
using RobustNode.Benchmarks.Sensitivity;
using RobustNode.Core.Norms;
using RobustNode.Host.Runs;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Robust;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Profiling;

/// <summary>
/// <c>image-profile</c>: where one training step of the image network spends its time in RobustNode and what libtorch's
/// settings change, all in one run. (1) Per block and per sweep (forward, reverse, tangent, second-order reverse) of
/// RobustNode's standard and augmented steps, and inside the ODE block per field call, with libtorch tensors created and
/// managed bytes allocated per step. (2) The primitive operations of those sweeps at the network's shapes, in TorchSharp
/// (libtorch 2.10) and PyTorch 1.13, with 1 and 2 threads, oneDNN on and off, contiguous and channels-last. (3) Whole
/// steps — RobustNode standard and augmented, the same network in TorchSharp autograd (one backward pass; double
/// backpropagation) and in PyTorch — under each setting. (4) PyTorch's own operator breakdown of its steps
/// (torch.profiler). Writes docs/benchmarks/image-profile.md.
/// </summary>
internal static class ImageProfile
{
    public const string Name = "image-profile";
    public const string Command = "dotnet run -c Release --project Benchmarks -- image-profile";
    public const string Script = "image_profile.py";
    public const double Epsilon = 0.1;

    /// <summary>One sweep profile of a step: per-step entries, the step's wall time, tensors and managed bytes per step.</summary>
    public sealed record SweepRun(string Objective, int Threads, int Steps, double StepWallMs, double StepCpuMs, double TensorsPerStep, double ManagedBytesPerStep,
        IReadOnlyDictionary<(string Block, string Sweep, string Part), SweepProfile.Entry> Entries)
    {
        /// <summary>The step's time as the tables show it: the thread's CPU time with one thread, wall time with more.</summary>
        public double StepMs => Threads == 1 ? StepCpuMs : StepWallMs;

        /// <summary>An entry's time by the same rule.</summary>
        public double Ms(SweepProfile.Entry e) => Threads == 1 ? e.CpuMs : e.WallMs;

        public string TimeKind => Threads == 1 ? "thread CPU" : "wall";
    }

    /// <summary>A primitive's or a step's median time on one side (torchsharp, pytorch) in one setting.</summary>
    public sealed record Timed(int Setting, string Name, string Side, double WallMs, double CpuMs);

    public sealed record Result(ImageProfileOptions Options, IReadOnlyList<ProfileSetting> Settings, IReadOnlyList<PrimitiveOp> Ops,
        IReadOnlyList<SweepRun> Sweeps, IReadOnlyList<Timed> OpTimes, IReadOnlyList<Timed> StepTimes,
        IReadOnlyDictionary<string, IReadOnlyList<(string Op, double SelfCpuMs, double Calls)>> PyTorchBreakdown, string? PyTorchStatus);

    public const string TorchSharpSide = "torchsharp";
    public const string PyTorchSide = "pytorch";

    public static int Run(string[] args) => ImageProfileOptions.Parse(args).Match(o =>
    {
        var result = Measure(o);
        var page = ImageProfileReport.Render(result, args);
        var path = o.Output is { } output ? Path.GetFullPath(output) : Path.Combine(BenchmarkRun.RepositoryRoot(), "docs", "benchmarks", $"{Name}.md");
        Host.IO.AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(page));
        Console.WriteLine($"wrote {path}");
        return 0;
    }, Usage.Invalid(Name));

    private static TimingPlan OpPlan(bool quick) => quick ? TimingPlan.Quick : new TimingPlan(3, 0.3, 1.0, 7, 31);

    private static TimingPlan StepPlan(bool quick) => quick ? TimingPlan.Quick : TimingPlan.Standard;

    public static Result Measure(ImageProfileOptions o)
    {
        var size = new BenchmarkSize(o.Layers, o.Batch, o.Width, o.Threads[0]);
        var problem = ImageBenchmarkProblem.Create(size);
        bool mkldnnDefault = LibTorchSettings.Mkldnn;
        var mkldnn = LibTorchSettings.MkldnnUnavailable is null ? new[] { true, false } : [mkldnnDefault];
        if (LibTorchSettings.MkldnnUnavailable is { } why) Console.WriteLine($"oneDNN stays as it is: {why}");
        var settings = o.Threads.SelectMany(t => mkldnn.SelectMany(m => new[] { false, true }.Select(c => new ProfileSetting(t, m, c))))
            .Concat(o.Threads.Where(t => t > 1).Select(t => new ProfileSetting(t, mkldnn[0], false, PassiveWait: true))).ToArray();
        var ops = PrimitiveOp.OfNetwork(o.Batch, o.Width);
        // Elementwise operations do not depend on oneDNN or on the convolution layout: timed in the default setting of each thread count.
        bool Times(PrimitiveOp op, ProfileSetting s) => !s.PassiveWait && (op.IsConvolution || (s.Mkldnn == mkldnn[0] && !s.ChannelsLast));

        string? pytorch = !o.PyTorch ? "PyTorch side not run (--no-pytorch)" : PyTorchScript.Missing;
        Console.WriteLine($"{Name}: N = {o.Layers}, batch {o.Batch}, width {o.Width}; {settings.Length} settings; " +
                          (pytorch is null ? $"PyTorch {PyTorchScript.Version}" : $"PyTorch side skipped: {pytorch}"));

        var sweeps = new List<SweepRun>();
        foreach (int threads in o.Threads)
        {
            set_num_threads(threads);
            foreach (var objective in new[] { "standard", "augmented" })
            {
                var run = Sweeps(problem, objective, threads, o.Quick);
                Console.WriteLine($"  sweeps, {objective}, {threads} thread(s): {run.StepMs:F1} ms per step, {run.TensorsPerStep:F0} tensors, {run.ManagedBytesPerStep / 1e3:F0} kB managed");
                sweeps.Add(run);
            }
        }

        var opTimes = new List<Timed>();
        var stepTimes = new List<Timed>();
        for (int i = 0; i < settings.Length; i++)
        {
            var s = settings[i];
            set_num_threads(s.Threads);
            if (LibTorchSettings.MkldnnUnavailable is null) LibTorchSettings.Mkldnn = s.Mkldnn;
            Console.WriteLine($"  {s.Label}");
            if (s.PassiveWait)
            {
                foreach (var t in PassiveSteps(o, s.Threads, i))
                {
                    stepTimes.Add(t);
                    Console.WriteLine($"    {t.Name,-28} {t.WallMs,9:F1} ms wall {t.CpuMs,9:F1} ms CPU");
                }
                if (pytorch is null)
                {
                    var passive = new Dictionary<string, string> { ["OMP_WAIT_POLICY"] = "PASSIVE" };
                    var request = Request(o, [s], [], profileSteps: 0);
                    foreach (var r in PyTorchScript.Request(Script, request, s.Threads, environment: passive)["steps"]!.AsArray())
                    {
                        var t = new Timed(i, "pytorch " + (string)r!["method"]!, PyTorchSide, (double)r["wallMs"]!, (double)r["cpuMs"]!);
                        stepTimes.Add(t);
                        Console.WriteLine($"    {t.Name,-28} {t.WallMs,9:F1} ms wall {t.CpuMs,9:F1} ms CPU");
                    }
                }
                continue;
            }
            var timedOps = ops.Where(op => Times(op, s)).ToArray();
            using (var scope = NewDisposeScope())
            {
                using var generator = new Generator(7);
                var calls = timedOps.Select(op => op.Prepare(generator, s.ChannelsLast && op.IsConvolution)).ToArray();
                var (wall, cpu) = Timing.MedianMilliseconds(calls.Select(c => (Action)(() => c())).ToArray(), OpPlan(o.Quick), processClock: s.Threads > 1);
                for (int k = 0; k < timedOps.Length; k++) opTimes.Add(new Timed(i, timedOps[k].Name, TorchSharpSide, wall[k], cpu[k]));
            }
            using (var scope = NewDisposeScope())
            {
                var steps = Steps(problem, s.ChannelsLast);
                var (wall, cpu) = Timing.MedianMilliseconds(steps.Select(c => (Action)(() => c.Run())).ToArray(), StepPlan(o.Quick), processClock: s.Threads > 1);
                for (int k = 0; k < steps.Length; k++)
                {
                    stepTimes.Add(new Timed(i, steps[k].Name, TorchSharpSide, wall[k], cpu[k]));
                    Console.WriteLine($"    {steps[k].Name,-28} {wall[k],9:F1} ms wall {cpu[k],9:F1} ms CPU");
                }
            }
            if (pytorch is null)
            {
                var answer = PyTorchScript.Request(Script, Request(o, [s], ops.Where(op => Times(op, s)).ToArray(), profileSteps: 0), s.Threads);
                foreach (var r in answer["ops"]!.AsArray()) opTimes.Add(new Timed(i, (string)r!["name"]!, PyTorchSide, (double)r["wallMs"]!, (double)r["cpuMs"]!));
                foreach (var r in answer["steps"]!.AsArray())
                {
                    var t = new Timed(i, "pytorch " + (string)r!["method"]!, PyTorchSide, (double)r["wallMs"]!, (double)r["cpuMs"]!);
                    stepTimes.Add(t);
                    Console.WriteLine($"    {t.Name,-28} {t.WallMs,9:F1} ms wall {t.CpuMs,9:F1} ms CPU");
                }
            }
        }
        set_num_threads(o.Threads[0]);
        if (LibTorchSettings.MkldnnUnavailable is null) LibTorchSettings.Mkldnn = mkldnnDefault;

        var breakdown = new Dictionary<string, IReadOnlyList<(string, double, double)>>();
        if (pytorch is null)
        {
            var request = Request(o, [settings[0] with { ChannelsLast = false }], [], profileSteps: o.Quick ? 1 : 5);
            ((JsonObject)request["settings"]![0]!)["steps"] = false;
            var answer = PyTorchScript.Request(Script, request, o.Threads[0]);
            foreach (var (method, rows) in answer["breakdown"]!.AsObject())
                breakdown[method] = rows!.AsArray().Select(r => ((string)r!["op"]!, (double)r["selfCpuMs"]!, (double)r["calls"]!)).ToArray();
        }
        return new Result(o, settings, ops, sweeps, opTimes, stepTimes, breakdown, pytorch);
    }

    private static JsonObject Request(ImageProfileOptions o, IReadOnlyList<ProfileSetting> settings, IReadOnlyList<PrimitiveOp> ops, int profileSteps) => new()
    {
        ["ops"] = new JsonArray(ops.Select(op =>
        {
            var j = op.ToJson();
            j["settings"] = new JsonArray(Enumerable.Range(0, settings.Count).Select(i => (JsonNode)JsonValue.Create(i)).ToArray());
            return (JsonNode)j;
        }).ToArray()),
        ["settings"] = new JsonArray(settings.Select(s => (JsonNode)new JsonObject { ["threads"] = s.Threads, ["mkldnn"] = s.Mkldnn, ["channelsLast"] = s.ChannelsLast }).ToArray()),
        ["network"] = new JsonObject { ["layers"] = o.Layers, ["batch"] = o.Batch, ["width"] = o.Width, ["finalTime"] = 1.0, ["epsilon"] = Epsilon, ["seed"] = 1 },
        ["opPlan"] = OpPlan(o.Quick).ToJson(),
        ["stepPlan"] = StepPlan(o.Quick).ToJson(),
        ["profileSteps"] = profileSteps,
    };

    public const string StepsVerb = "image-profile-steps";

    /// <summary>
    /// Child side of the OMP_WAIT_POLICY=PASSIVE setting: <c>image-profile-steps &lt;layers&gt; &lt;batch&gt; &lt;width&gt; &lt;threads&gt; &lt;quick&gt;</c>
    /// times the four steps of section (3) and prints one line per step: name, wall ms, CPU ms (tab-separated).
    /// </summary>
    public static int RunSteps(string[] args)
    {
        int Int(int i) => int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture);
        int threads = Int(3);
        set_num_threads(threads);
        var problem = ImageBenchmarkProblem.Create(new BenchmarkSize(Int(0), Int(1), Int(2), threads));
        var steps = Steps(problem, channelsLast: false);
        var (wall, cpu) = Timing.MedianMilliseconds(steps.Select(c => (Action)(() => c.Run())).ToArray(), StepPlan(args[4] == "quick"), processClock: threads > 1);
        for (int k = 0; k < steps.Length; k++)
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{steps[k].Name}\t{wall[k]}\t{cpu[k]}"));
        return 0;
    }

    private static IEnumerable<Timed> PassiveSteps(ImageProfileOptions o, int threads, int setting)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(ImageProfile).Assembly.Location);
        foreach (var a in new object[] { StepsVerb, o.Layers, o.Batch, o.Width, threads, o.Quick ? "quick" : "standard" })
            start.ArgumentList.Add(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!);
        start.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEndAsync();
        var error = child.StandardError.ReadToEndAsync();
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"{StepsVerb} child failed ({child.ExitCode}): {error.Result}");
        return output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t')).Select(p =>
            new Timed(setting, p[0], TorchSharpSide, double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), double.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture))).ToArray();
    }

    private sealed record Step(string Name, Func<Tensor[]> Compute)
    {
        public void Run() => Compute();
    }

    // The four computations of section (3), on the problem's network and images (channels-last copies when asked).
    private static Step[] Steps(ImageBenchmarkProblem problem, bool channelsLast)
    {
        var network = problem.Network(AdjointMode.Discrete);
        var images = problem.Images;
        if (channelsLast)
        {
            network = (Network<Tensor>)network.WithParameters(network.Parameters.Select(ChannelsLastParameter).ToArray());
            images = LibTorchSettings.ChannelsLast(images);
        }
        var augmented = new AugmentedLoss(Epsilon, AttackNorm.Infinity);
        var autograd = new ImageAutograd(network, problem.Model.FinalTime);
        return
        [
            new("robustnode standard", () => Unwrap.Gradients(LossDerivatives.ControlGradient(network, images, problem.Loss), g => g.ControlGradients)),
            new("robustnode augmented", () => Unwrap.Gradients(LossDerivatives.AugmentedControlGradient(network, images, problem.Loss, augmented), g => g.AugmentedControlGradients)),
            new("torchsharp autograd", () => autograd.Gradient(images, problem.Labels)),
            new("torchsharp double-backprop", () => autograd.AugmentedGradient(images, problem.Labels, Epsilon)),
        ];
    }

    // Kernels [N, C, C, k, k] of the ODE block get strides whose every layer slice is channels-last; 4-D kernels directly.
    private static Tensor ChannelsLastParameter(Tensor p) => p.dim() switch
    {
        4 => LibTorchSettings.ChannelsLast(p),
        5 => p.permute(0, 1, 3, 4, 2).contiguous().permute(0, 1, 4, 2, 3),
        _ => p,
    };

    // Section (1): one step repeated with every block timed; per-step means over the timed steps.
    private static SweepRun Sweeps(ImageBenchmarkProblem problem, string objective, int threads, bool quick)
    {
        var profile = new SweepProfile();
        var network = TimedBlock.Wrap(problem.Network(AdjointMode.Discrete), profile);
        var augmented = new AugmentedLoss(Epsilon, AttackNorm.Infinity);
        Func<Tensor[]> step = objective == "standard"
            ? () => Unwrap.Gradients(LossDerivatives.ControlGradient(network, problem.Images, problem.Loss), g => g.ControlGradients)
            : () => Unwrap.Gradients(LossDerivatives.AugmentedControlGradient(network, problem.Images, problem.Loss, augmented), g => g.AugmentedControlGradients);
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 3 || (!quick && warm.Elapsed.TotalSeconds < 1); i++)
            using (NewDisposeScope()) step();
        profile.Clear();
        var statistics = DisposeScopeManager.Statistics;
        long tensors0 = statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount;
        long bytes0 = GC.GetAllocatedBytesForCurrentThread();
        double cpu0 = CpuClock.Milliseconds();
        var clock = Stopwatch.StartNew();
        int steps = 0;
        while (steps < (quick ? 2 : 10) || (!quick && clock.Elapsed.TotalSeconds < 3 && steps < 50))
        {
            using (NewDisposeScope()) step();
            steps++;
        }
        double stepMs = clock.Elapsed.TotalMilliseconds / steps, stepCpu = (CpuClock.Milliseconds() - cpu0) / steps;
        double tensors = (double)(statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount - tensors0) / steps;
        double bytes = (double)(GC.GetAllocatedBytesForCurrentThread() - bytes0) / steps;
        var perStep = profile.Entries.ToDictionary(kv => kv.Key, kv => new SweepProfile.Entry
        {
            WallMs = kv.Value.WallMs / steps, CpuMs = kv.Value.CpuMs / steps, Calls = kv.Value.Calls / steps, Tensors = kv.Value.Tensors / steps,
        });
        return new SweepRun(objective, threads, steps, stepMs, stepCpu, tensors, bytes, perStep);
    }
}

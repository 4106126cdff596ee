using System.Globalization;
using System.Text;
using RobustNode.Benchmarks.PyTorch;
using RobustNode.Benchmarks.Sensitivity;
using RobustNode.Benchmarks.Results;

namespace RobustNode.Benchmarks.Profiling;

/// <summary>The page docs/benchmarks/image-profile.md: the tables of one <see cref="ImageProfile"/> run and what follows from them.</summary>
internal static class ImageProfileReport
{
    private static readonly string[] SweepOrder = [SweepProfile.ForwardSweep, SweepProfile.ReverseSweep, SweepProfile.TangentSweep, SweepProfile.SecondOrderSweep];

    private static string F(double x, string format = "F1") => x.ToString(format, CultureInfo.InvariantCulture);

    private static string Pct(double x) => (100 * x).ToString("F0", CultureInfo.InvariantCulture) + " %";

    private static double GeometricMean(IEnumerable<double> xs)
    {
        var list = xs.Where(x => x > 0 && double.IsFinite(x)).ToArray();
        return list.Length == 0 ? double.NaN : Math.Exp(list.Average(Math.Log));
    }

    public static string Render(ImageProfile.Result r, string[] args)
    {
        var o = r.Options;
        var md = new StringBuilder();
        md.AppendLine("# Where the image network's training step spends its time").AppendLine();
        md.AppendLine($"Command: `{string.Join(" ", new[] { ImageProfile.Command }.Concat(args))}` (options: `{ImageProfileOptions.Usage}`; see [README.md](README.md)).").AppendLine();
        string load = MachineReadings.LoadAverage();
        string cpu = MachineReadings.Processor();
        md.AppendLine($"Machine: {cpu}, {Environment.ProcessorCount} cores, 1-minute load average {load} at the end of the run, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. " +
                      "**The machine was shared with other work while this ran**: read ratios measured side by side, not milliseconds, and prefer the one-thread tables " +
                      "(their times are the measuring thread's CPU time, which other processes disturb far less than wall time).").AppendLine();
        md.AppendLine($"The network: the MNIST experiment's `ConvolutionalOdeModel` — 3 convolutional layers (tanh, strides 2, 2, 1; {o.Width / 4}, {o.Width / 2}, {o.Width} channels), " +
                      $"an ODE block of N = {o.Layers} Euler layers of width {o.Width} on 7×7 maps, average pooling, linear to 10 classes — one batch of {o.Batch} images, float32. " +
                      $"A step is one gradient: J (standard) or 𝒥 = J + ε mean ᵢ‖∇ₓ₀ℓᵢ‖₁ with ε = {ImageProfile.Epsilon} (augmented); no optimizer update. " +
                      (r.PyTorchStatus is null ? $"PyTorch: {PyTorchScript.Version} (Debian python3-torch), Benchmarks/oracles/{ImageProfile.Script}." : $"PyTorch side skipped: {r.PyTorchStatus}."));
        md.AppendLine();
        Findings(md, r);
        Sweeps(md, r);
        Primitives(md, r);
        Steps(md, r);
        Breakdown(md, r);
        md.AppendLine("## How the numbers were taken").AppendLine();
        md.AppendLine("- Sweeps: every block of RobustNode's network is wrapped (`Benchmarks/Profiling/TimedBlock.cs`) so that each call of its forward, " +
                      "reverse, tangent and second-order reverse sweep is timed, and the ODE block's field is wrapped (`TimedField.cs`) so that each field call is " +
                      "charged to the sweep that makes it; what a sweep spends outside its field calls is the Runge–Kutta stepper's own arithmetic (stage " +
                      "combinations, accumulations), copies and allocation. Means over at least 10 steps after a second of warm-up; tensors created from .NET " +
                      "(`DisposeScopeManager` statistics: each is one libtorch call) and managed bytes allocated per step (`GC.GetAllocatedBytesForCurrentThread`).");
        md.AppendLine("- Primitives and steps: medians over interleaved rounds after warm-up, as in the other benchmarks (`Benchmarks/Sensitivity/Timing.cs`; the PyTorch " +
                      "side by the same protocol in `Benchmarks/oracles/benchmark_timing.py`), the PyTorch process run right after the .NET measurements of each setting.");
        md.AppendLine("- oneDNN: TorchSharp 0.107 does not expose libtorch's switch, so the profile calls `at::globalContext().setUserEnabledMkldnn` through libtorch's " +
                      "exported symbols (`LibTorchSettings.cs`); PyTorch sets `torch.backends.mkldnn.enabled`. Channels-last: TorchSharp 0.107 has no call that takes a " +
                      "memory format, so tensors get channels-last strides by `permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)`; PyTorch uses " +
                      "`.to(memory_format=torch.channels_last)` on the model and the images.");
        md.AppendLine("- Primitive inputs are random; the steps use the benchmark network's seeded weights (PyTorch: the same initialisation scheme, its own numbers).");
        return md.ToString();
    }

    private static double SweepMs(ImageProfile.SweepRun s, string block, string sweep) =>
        s.Entries.TryGetValue((block, sweep, ""), out var e) ? s.Ms(e) : 0;

    private static string OdeBlock(ImageProfile.SweepRun s) => s.Entries.Keys.Select(k => k.Block).Distinct().Single(b => b.EndsWith(" ode", StringComparison.Ordinal));

    private static IEnumerable<string> Blocks(ImageProfile.SweepRun s) => s.Entries.Keys.Select(k => k.Block).Distinct().OrderBy(b => int.Parse(b.Split(' ')[0], CultureInfo.InvariantCulture));

    // The primitive's median time in the default setting of a thread count (TorchSharp; thread CPU with one thread, wall with more),
    // for the convolution estimates.
    private static double Primitive(ImageProfile.Result r, int threads, string name)
    {
        int setting = Setting(r, threads, true, false);
        var t = r.OpTimes.SingleOrDefault(x => x.Setting == setting && x.Name == name && x.Side == ImageProfile.TorchSharpSide);
        return t is null ? double.NaN : r.Settings[setting].Time(t.WallMs, t.CpuMs);
    }

    // Convolution calls a field call makes (ConvolutionField): value, JVP and control JVP one conv2d; VJP one transposed convolution
    // and one kernel correlation; the second-order VJP the same; the second-order reverse stage two transposed convolutions and a
    // correlation plus one over the doubled batch (counted as two).
    // The calls one field call makes in the convolutional field (ConvolutionField): forward convolutions, transposed
    // convolutions, kernel-only backward passes (weight gradients) and kernel correlations written as one conv2d.
    private static (int Forward, int Transposed, int KernelBackward, int Correlations) FieldCalls(string part) => part switch
    {
        TimedField.Value or TimedField.Jvp or TimedField.ControlJvp => (1, 0, 0, 0),
        TimedField.PairedJvp => (1, 0, 1, 0),
        TimedField.StateVjp => (0, 1, 0, 0),
        TimedField.Vjp => (0, 1, 1, 0),
        TimedField.SecondOrderVjp => (0, 1, 0, 1),
        TimedField.Stage => (0, 2, 2, 0),
        TimedField.KeptStage => (0, 1, 1, 1),
        TimedField.PairedStage => (0, 1, 1, 0),
        _ => (0, 0, 0, 0),
    };

    // A field call's convolutions priced at the ODE layer's primitives (a kernel-only backward pass as the transposed
    // convolution with it minus the transposed convolution alone).
    private static double ConvolutionEstimate(ImageProfile.Result r, int threads, string part, long calls)
    {
        double conv = Primitive(r, threads, "ODE layer: conv2d W ∗ z + b"), transposed = Primitive(r, threads, "ODE layer: conv_transpose2d Wᵀ ∗ p"),
            backward = Primitive(r, threads, "ODE layer: conv_transpose2d Wᵀ ∗ p and its kernel-only backward") - transposed,
            correlation = Primitive(r, threads, "ODE layer: kernel correlation z ⋆ p");
        var (f, t, k, c) = FieldCalls(part);
        return (f * conv + t * transposed + k * backward + c * correlation) * calls;
    }

    private static void Findings(StringBuilder md, ImageProfile.Result r)
    {
        md.AppendLine("## Findings").AppendLine();
        var items = new List<string>();
        Stalls(items, r);
        int t0 = r.Options.Threads[0];
        if (r.Sweeps.FirstOrDefault(s => s.Objective == "augmented" && s.Threads == t0) is { } aug)
        {
            string ode = OdeBlock(aug);
            var shares = SweepOrder.Select(sw => (sw, ms: SweepMs(aug, ode, sw))).ToArray();
            double stem = Blocks(aug).Where(b => b.EndsWith(" convolution", StringComparison.Ordinal)).Sum(b => SweepOrder.Sum(sw => SweepMs(aug, b, sw)));
            double blocks = Blocks(aug).Sum(b => SweepOrder.Sum(sw => SweepMs(aug, b, sw)));
            items.Add($"Augmented step ({t0} thread{(t0 > 1 ? "s" : "")}, {F(aug.StepMs)} ms {aug.TimeKind}): the ODE block's sweeps take " +
                      string.Join(", ", shares.Select(x => $"{x.sw} {Pct(x.ms / aug.StepMs)}")) +
                      $"; the three stem convolutions {Pct(stem / aug.StepMs)}; pooling, head, loss and penalty {Pct((aug.StepMs - blocks) / aug.StepMs)}.");
            long values = aug.Entries.TryGetValue((ode, SweepProfile.ForwardSweep, TimedField.Value), out var v) ? v.Calls : 0;
            if (values > r.Options.Layers)
                items.Add($"The forward sweep of the ODE block evaluates the field {values} times for {r.Options.Layers} Euler layers ({F((double)values / r.Options.Layers, "F1")} per layer): " +
                          "more than the scheme's one stage per layer.");
            else if (values > 0)
                items.Add($"The forward sweep of the ODE block evaluates the field once per Euler layer ({values} times): the discrete adjoint records a step tape " +
                          "(each step's start state and size), not dense output.");
            double odeTotal = SweepOrder.Sum(sw => SweepMs(aug, ode, sw));
            double field = aug.Entries.Where(kv => kv.Key.Block == ode && kv.Key.Part != "").Sum(kv => aug.Ms(kv.Value));
            double conv = aug.Entries.Where(kv => kv.Key.Block == ode && kv.Key.Part != "").Sum(kv => ConvolutionEstimate(r, t0, kv.Key.Part, kv.Value.Calls));
            if (odeTotal > 0 && double.IsFinite(conv))
                items.Add($"Inside the ODE block ({F(odeTotal)} ms of the augmented step), field calls take {Pct(field / odeTotal)} and the stepper's own arithmetic, copies and allocation " +
                          $"the other {Pct(1 - field / odeTotal)}. The convolutions those field calls make, priced at their primitives' median times (section 2), come to about " +
                          $"{F(conv)} ms ({Pct(conv / odeTotal)} of the block); the rest of the field calls — {F(field - conv)} ms — is elementwise work (tanh and its derivatives, products) " +
                          "and the tensors it allocates.");
            Optimisations(items, r, aug, ode, t0);
            ConvolutionCounts(items, r, aug);
            double empty = Primitive(r, t0, "ODE state: allocate (empty)");
            if (double.IsFinite(empty))
                items.Add($"Allocation: the augmented step creates {F(aug.TensorsPerStep, "F0")} tensors from .NET (each one libtorch call and one allocation) and {F(aug.ManagedBytesPerStep / 1e3, "F0")} kB of managed objects; " +
                          $"allocating a state-sized tensor costs {F(empty * 1e3, "F0")} µs, so allocation alone is at most {F(aug.TensorsPerStep * empty)} ms of the step " +
                          $"(fewer: most tensors are smaller than a state).");
        }
        if (r.Sweeps.FirstOrDefault(s => s.Objective == "standard" && s.Threads == t0) is { } std && r.Sweeps.FirstOrDefault(s => s.Objective == "augmented" && s.Threads == t0) is { } aug2)
            items.Add($"The augmented step costs {Markdown.Ratio(aug2.StepMs / std.StepMs)} a standard step ({F(std.StepMs)} ms, {F(std.TensorsPerStep, "F0")} tensors).");
        foreach (int threads in r.Options.Threads)
        {
            int def = Setting(r, threads, true, false);
            double? Step(string name, int setting) => r.StepTimes.SingleOrDefault(x => x.Setting == setting && x.Name == name) is { } x ? r.Settings[setting].Time(x.WallMs, x.CpuMs) : null;
            if (Step("robustnode augmented", def) is { } ra && Step("torchsharp double-backprop", def) is { } td)
            {
                string line = $"{threads} thread{(threads > 1 ? "s" : "")} ({r.Settings[def].TimeKind} time): RobustNode's augmented step is {Markdown.Ratio(ra / td)} TorchSharp's double backpropagation";
                if (Step("pytorch double-backprop", def) is { } pd)
                    line += $" and {Markdown.Ratio(ra / pd)} PyTorch's; TorchSharp's double backpropagation is {Markdown.Ratio(td / pd)} PyTorch's";
                if (Step("robustnode standard", def) is { } rs && Step("pytorch autograd", def) is { } ps && Step("torchsharp autograd", def) is { } ts)
                    line += $"; for the standard step RobustNode is {Markdown.Ratio(rs / ps)} and TorchSharp autograd {Markdown.Ratio(ts / ps)} PyTorch's";
                items.Add(line + ".");
            }
            var ratios = new List<string>();
            int passive = Enumerable.Range(0, r.Settings.Count).FirstOrDefault(i => r.Settings[i].Threads == threads && r.Settings[i].PassiveWait, -1);
            foreach (var (label, other) in new[] { ("oneDNN off", Setting(r, threads, false, false)), ("channels-last", Setting(r, threads, true, true)), ("OMP_WAIT_POLICY=PASSIVE", passive) })
            {
                if (other < 0 || other == def) continue;
                var parts = new[] { "robustnode augmented", "torchsharp double-backprop", "pytorch double-backprop", "robustnode standard", "pytorch autograd" }
                    .Where(n => Step(n, def) is not null && Step(n, other) is not null)
                    .Select(n => $"{n} {Markdown.Ratio(Step(n, other)!.Value / Step(n, def)!.Value)}");
                ratios.Add($"{label}: " + string.Join(", ", parts));
            }
            if (ratios.Count > 0) items.Add($"Settings at {threads} thread{(threads > 1 ? "s" : "")}, time relative to oneDNN on and contiguous layout (below 1: faster) — " + string.Join("; ", ratios) + ".");
        }
        if (r.Options.Threads.Contains(1) && r.Options.Threads.Contains(2))
        {
            int one = Setting(r, 1, true, false), two = Setting(r, 2, true, false);
            var scaling = r.StepTimes.Where(x => x.Setting == one).Select(x => (x.Name, s: r.StepTimes.SingleOrDefault(y => y.Setting == two && y.Name == x.Name) is { } y ? x.WallMs / y.WallMs : double.NaN));
            items.Add("Two threads against one (wall time, same setting otherwise; above 1: two threads faster): " + string.Join(", ", scaling.Select(x => $"{x.Name} {Markdown.Ratio(x.s)}")) + ".");
        }
        int s0 = Setting(r, t0, true, false);
        var convRatios = r.Ops.Where(op => op.IsConvolution).Select(op => Ratio(r, s0, op.Name)).ToArray();
        var elementRatios = r.Ops.Where(op => !op.IsConvolution).Select(op => Ratio(r, s0, op.Name)).ToArray();
        if (convRatios.Any(double.IsFinite))
            items.Add($"Primitives at {t0} thread{(t0 > 1 ? "s" : "")}, TorchSharp (libtorch 2.10) over PyTorch 1.13, geometric mean: convolutions {Markdown.Ratio(GeometricMean(convRatios))}, " +
                      $"elementwise operations and allocation {Markdown.Ratio(GeometricMean(elementRatios))} (per operation in section 2; each .NET call also pays TorchSharp's own marshalling).");
        foreach (var item in items) md.AppendLine($"- {item}");
        md.AppendLine();
    }

    // What the profile says could be saved, each priced from this run's measurements.
    private static void Optimisations(List<string> items, ImageProfile.Result r, ImageProfile.SweepRun aug, string ode, int threads)
    {
        SweepProfile.Entry? Part(string sweep, string part) => aug.Entries.TryGetValue((ode, sweep, part), out var e) ? e : null;
        double PerCall(SweepProfile.Entry e) => aug.Ms(e) / Math.Max(1, e.Calls);
        int layers = r.Options.Layers;
        if (Part(SweepProfile.ForwardSweep, TimedField.Value) is { } values && values.Calls > layers)
            items.Add($"Saving: the extra field evaluations of the forward sweep ({values.Calls - layers} per step) cost about {F((values.Calls - layers) * PerCall(values))} ms " +
                      $"({Pct((values.Calls - layers) * PerCall(values) / aug.StepMs)} of the augmented step).");
        if (Part(SweepProfile.SecondOrderSweep, TimedField.Jvp) is { } jvp)
            items.Add($"Saving: the second-order reverse sweep recomputes the tangent stages ({jvp.Calls} field JVPs, {F(aug.Ms(jvp))} ms, {Pct(aug.Ms(jvp) / aug.StepMs)} of the step) " +
                      "because the tangent sweep keeps only step-start tangents; keeping the stage tangents trades that for one state of memory per stage.");
        double conv = Primitive(r, threads, "ODE layer: conv2d W ∗ z + b"), transposed = Primitive(r, threads, "ODE layer: conv_transpose2d Wᵀ ∗ p"),
            withKernel = Primitive(r, threads, "ODE layer: conv_transpose2d Wᵀ ∗ p and its kernel-only backward"),
            correlation = Primitive(r, threads, "ODE layer: kernel correlation z ⋆ p"), local = Primitive(r, threads, "ODE layer: conv2d and its backward by autograd");
        if (new[] { conv, transposed, withKernel, correlation, local }.All(double.IsFinite))
            items.Add($"An ODE layer's VJP with its kernel term — the transposed convolution and a kernel-only backward pass through it, as the sweeps make it — costs " +
                      $"{F(withKernel, "F2")} ms ({Markdown.Ratio(withKernel / conv)} a forward convolution; the transposed convolution alone {F(transposed, "F2")} ms); libtorch's " +
                      $"own convolution backward (through autograd on one layer, minus its forward) costs {F(local - conv, "F2")} ms; the kernel term written as a correlation " +
                      $"(one conv2d) would cost {F(correlation, "F2")} ms against {F(withKernel - transposed, "F2")} ms for the kernel-only backward pass.");
    }

    // Convolution calls of a step: in the ODE block from its field calls (FieldCalls); in a stem block (ConvolutionBlock)
    // from its sweeps: forward and tangent one conv2d; reverse one transposed convolution, and a kernel-only backward pass
    // through it when the kernel cotangent is wanted (the standard step); second-order reverse two of each — except the
    // first block's, below.
    private static (long Forward, long Transposed, long KernelBackward, long Correlations) Convolutions(ImageProfile.SweepRun s)
    {
        long f = 0, t = 0, k = 0, c = 0;
        foreach (var ((block, sweep, part), e) in s.Entries)
        {
            // The first block's input is the images, whose cotangents a training step does not want (ReverseForControls):
            // its reverse sweep of the standard step and its second-order sweep form their kernel terms as correlations.
            bool first = block.StartsWith("1 ", StringComparison.Ordinal);
            var (df, dt, dk, dc) = part != "" ? FieldCalls(part) : !block.EndsWith(" convolution", StringComparison.Ordinal) ? (0, 0, 0, 0) : sweep switch
            {
                SweepProfile.ForwardSweep or SweepProfile.TangentSweep => (1, 0, 0, 0),
                SweepProfile.ReverseSweep when s.Objective == "standard" => first ? (0, 0, 0, 1) : (0, 1, 1, 0),
                SweepProfile.ReverseSweep => (0, 1, 0, 0),
                _ => first ? (0, 0, 0, 2) : (0, 2, 2, 0),
            };
            (f, t, k, c) = (f + df * e.Calls, t + dt * e.Calls, k + dk * e.Calls, c + dc * e.Calls);
        }
        return (f, t, k, c);
    }

    private static void ConvolutionCounts(List<string> items, ImageProfile.Result r, ImageProfile.SweepRun aug)
    {
        var (f, t, k, c) = Convolutions(aug);
        string line = $"Convolution calls per augmented step: RobustNode makes {f} forward convolutions, {t} transposed convolutions, {k} kernel-only backward passes " +
                      $"(weight gradients) and {c} kernel correlations ({f + t + k + c} in all)";
        if (r.PyTorchBreakdown.TryGetValue("double-backprop", out var rows))
        {
            var kernels = rows.Where(x => x.Op is "aten::mkldnn_convolution" or "aten::convolution_backward" or "aten::_slow_conv2d_forward"
                or "aten::_slow_conv2d_backward" or "aten::slow_conv_transpose2d" or "aten::mkldnn_convolution_backward").ToArray();
            if (kernels.Length > 0)
                line += "; PyTorch's double backpropagation calls " + string.Join(" and ", kernels.Select(x => $"`{x.Op}` {F(x.Calls, "F0")} times")) +
                        " (one convolution backward returns a layer's input and kernel cotangents together)";
        }
        items.Add(line + ".");
    }

    // With two threads and OpenMP's default wait policy a step can take many times its one-thread CPU time on a shared machine.
    private static void Stalls(List<string> items, ImageProfile.Result r)
    {
        if (!(r.Options.Threads.Contains(1) && r.Options.Threads.Contains(2))) return;
        int one = Setting(r, 1, true, false), two = Setting(r, 2, true, false);
        var slow = r.StepTimes.Where(x => x.Setting == two && x.Side == ImageProfile.TorchSharpSide)
            .Select(x => (x.Name, Ratio: r.StepTimes.SingleOrDefault(y => y.Setting == one && y.Name == x.Name) is { } y ? x.WallMs / y.CpuMs : double.NaN))
            .Where(x => x.Ratio > 1.5).ToArray();
        if (slow.Length == 0) return;
        items.Add("**Two threads stalled in this run**: with OpenMP's default wait policy a two-thread step took " +
                  string.Join(", ", slow.Select(x => $"{x.Name} {Markdown.Ratio(x.Ratio)}")) + " the CPU time of the same step on one thread. libgomp's threads spin and " +
                  "yield at every parallel region, and when other processes hold the cores a region waits for a thread that is not running; the two-thread tables " +
                  "below measure that waiting more than the kernels. The OMP_WAIT_POLICY=PASSIVE row (idle threads sleep at once) shows the same steps without it.");
    }

    private static int Setting(ImageProfile.Result r, int threads, bool mkldnn, bool channelsLast)
    {
        for (int i = 0; i < r.Settings.Count; i++)
            if (r.Settings[i] == new ProfileSetting(threads, mkldnn, channelsLast)) return i;
        // oneDNN could not be switched: the default setting stands for both.
        for (int i = 0; i < r.Settings.Count; i++)
            if (r.Settings[i].Threads == threads && r.Settings[i].ChannelsLast == channelsLast && !r.Settings[i].PassiveWait && mkldnn) return i;
        return -1;
    }

    private static double Ratio(ImageProfile.Result r, int setting, string op)
    {
        var ours = r.OpTimes.SingleOrDefault(x => x.Setting == setting && x.Name == op && x.Side == ImageProfile.TorchSharpSide);
        var theirs = r.OpTimes.SingleOrDefault(x => x.Setting == setting && x.Name == op && x.Side == ImageProfile.PyTorchSide);
        return ours is null || theirs is null ? double.NaN
            : r.Settings[setting].Time(ours.WallMs, ours.CpuMs) / r.Settings[setting].Time(theirs.WallMs, theirs.CpuMs);
    }

    private static void Sweeps(StringBuilder md, ImageProfile.Result r)
    {
        md.AppendLine("## 1. RobustNode's step per block and sweep").AppendLine();
        foreach (var s in r.Sweeps)
        {
            md.AppendLine($"**{s.Objective} step, {s.Threads} thread{(s.Threads > 1 ? "s" : "")}**: {F(s.StepMs)} ms per step ({s.TimeKind} time, mean of {s.Steps}; wall {F(s.StepWallMs)} ms), " +
                          $"{F(s.TensorsPerStep, "F0")} tensors created from .NET, {F(s.ManagedBytesPerStep / 1e3, "F0")} kB managed allocations.").AppendLine();
            var rows = new List<IReadOnlyList<string>>();
            double blocks = 0;
            foreach (var block in Blocks(s))
                foreach (var sweep in SweepOrder)
                    if (s.Entries.TryGetValue((block, sweep, ""), out var e))
                    {
                        blocks += s.Ms(e);
                        rows.Add([block, sweep, F(s.Ms(e), "F2"), Pct(s.Ms(e) / s.StepMs), F(e.WallMs, "F2"), e.Tensors.ToString(CultureInfo.InvariantCulture)]);
                    }
            rows.Add(["loss, penalty and the network's glue", "—", F(s.StepMs - blocks, "F2"), Pct((s.StepMs - blocks) / s.StepMs), "—", "—"]);
            md.AppendLine(Markdown.Table(["block", "sweep", $"ms per step ({s.TimeKind})", "share of the step", "wall ms", "tensors"], rows));
            string ode = OdeBlock(s);
            var inner = new List<IReadOnlyList<string>>();
            foreach (var sweep in SweepOrder)
            {
                if (!s.Entries.TryGetValue((ode, sweep, ""), out var total)) continue;
                double parts = 0;
                foreach (var (key, e) in s.Entries.Where(kv => kv.Key.Block == ode && kv.Key.Sweep == sweep && kv.Key.Part != "").OrderByDescending(kv => s.Ms(kv.Value)))
                {
                    parts += s.Ms(e);
                    double conv = ConvolutionEstimate(r, s.Threads, key.Part, e.Calls);
                    inner.Add([sweep, key.Part, e.Calls.ToString(CultureInfo.InvariantCulture), F(s.Ms(e), "F2"), Pct(s.Ms(e) / s.Ms(total)),
                        double.IsFinite(conv) ? F(conv, "F2") : "—", e.Tensors.ToString(CultureInfo.InvariantCulture)]);
                }
                inner.Add([sweep, "stepper arithmetic, copies, allocation (rest of the sweep)", "—", F(s.Ms(total) - parts, "F2"), Pct((s.Ms(total) - parts) / s.Ms(total)), "—", "—"]);
            }
            md.AppendLine($"Inside the ODE block ({ode}):").AppendLine();
            md.AppendLine(Markdown.Table(["sweep", "part", "calls per step", $"ms per step ({s.TimeKind})", "share of the sweep", "convolutions, est. ms", "tensors"], inner));
        }
        md.AppendLine("The convolution estimate prices each field call's convolutions at the ODE layer's primitives' median times of section 2 (TorchSharp, " +
                      "same thread count, oneDNN on, contiguous): value and JVP one `conv2d`; a VJP one `conv_transpose2d`, with the kernel term a kernel-only " +
                      "backward pass through it (priced as the difference of the two rows of section 2); the JVP of the tangent sweep that forms ∂ₓ(g_uᵀp)·s a " +
                      "`conv2d` and a kernel-only backward pass; a second-order reverse stage one `conv_transpose2d` and a kernel-only backward pass when the " +
                      "reverse sweep kept W ∗ᵀ p (plus one correlation for the terms paired with p that the earlier sweeps did not form), two of each when it " +
                      "did not. Calls that sit below a field call (inside it) count in its row, not twice.").AppendLine();
    }

    private static void Primitives(StringBuilder md, ImageProfile.Result r)
    {
        md.AppendLine("## 2. Primitive operations at the network's shapes").AppendLine();
        md.AppendLine("Each row is one libtorch call as the sweeps make it. Time per call in ms: thread CPU time with one thread, wall time with two. " +
                      "Ratios above 1 mean the first named is slower.").AppendLine();
        foreach (int threads in r.Options.Threads)
        {
            int def = Setting(r, threads, true, false), off = Setting(r, threads, false, false), last = Setting(r, threads, true, true);
            double? T(int setting, string op, string side) =>
                setting >= 0 && r.OpTimes.SingleOrDefault(x => x.Setting == setting && x.Name == op && x.Side == side) is { } x ? r.Settings[setting].Time(x.WallMs, x.CpuMs) : null;
            string Q(double? a, double? b) => a is { } x && b is { } y ? Markdown.Ratio(x / y) : "—";
            var rows = r.Ops.Select(op =>
            {
                var ts = T(def, op.Name, ImageProfile.TorchSharpSide);
                var py = T(def, op.Name, ImageProfile.PyTorchSide);
                return (IReadOnlyList<string>)[op.Name, ts is { } a ? F(a, "F3") : "—", py is { } b ? F(b, "F3") : "—", Q(ts, py),
                    op.IsConvolution && off != def ? Q(T(off, op.Name, ImageProfile.TorchSharpSide), ts) : "—",
                    op.IsConvolution && off != def ? Q(T(off, op.Name, ImageProfile.PyTorchSide), py) : "—",
                    op.IsConvolution ? Q(T(last, op.Name, ImageProfile.TorchSharpSide), ts) : "—",
                    op.IsConvolution ? Q(T(last, op.Name, ImageProfile.PyTorchSide), py) : "—"];
            }).ToArray();
            md.AppendLine($"**{threads} thread{(threads > 1 ? "s" : "")}** ({r.Settings[def].TimeKind} time):").AppendLine();
            md.AppendLine(Markdown.Table(["operation", "TorchSharp ms", "PyTorch ms", "TorchSharp / PyTorch", "TorchSharp oneDNN off / on", "PyTorch oneDNN off / on",
                "TorchSharp channels-last / NCHW", "PyTorch channels-last / NCHW"], rows));
        }
    }

    private static void Steps(StringBuilder md, ImageProfile.Result r)
    {
        md.AppendLine("## 3. Whole steps under each setting").AppendLine();
        md.AppendLine("One gradient per step (no optimizer). `torchsharp autograd` / `double-backprop`: the same network written with tracked tensors in " +
                      "TorchSharp (`Benchmarks/Images/ImageAutograd.cs`); `pytorch …`: the same in PyTorch. Time per step in ms (thread CPU with one thread, wall with two).").AppendLine();
        var names = new[] { "robustnode standard", "robustnode augmented", "torchsharp autograd", "torchsharp double-backprop", "pytorch autograd", "pytorch double-backprop" };
        var rows = new List<IReadOnlyList<string>>();
        for (int i = 0; i < r.Settings.Count; i++)
        {
            var s = r.Settings[i];
            double? T(string name) => r.StepTimes.SingleOrDefault(x => x.Setting == i && x.Name == name) is { } x ? s.Time(x.WallMs, x.CpuMs) : null;
            string Q(string a, string b) => T(a) is { } x && T(b) is { } y ? Markdown.Ratio(x / y) : "—";
            var row = new List<string> { s.Label };
            row.AddRange(names.Select(n => T(n) is { } v ? F(v) : "—"));
            row.Add(Q("robustnode augmented", "torchsharp double-backprop"));
            row.Add(Q("robustnode augmented", "pytorch double-backprop"));
            row.Add(Q("torchsharp double-backprop", "pytorch double-backprop"));
            row.Add(Q("robustnode standard", "pytorch autograd"));
            rows.Add(row);
        }
        md.AppendLine(Markdown.Table(["setting", .. names, "RobustNode augmented / TorchSharp double-backprop", "RobustNode augmented / PyTorch double-backprop",
            "TorchSharp / PyTorch double-backprop", "RobustNode standard / PyTorch autograd"], rows));
    }

    private static void Breakdown(StringBuilder md, ImageProfile.Result r)
    {
        if (r.PyTorchBreakdown.Count == 0) return;
        var s = r.Settings[0];
        md.AppendLine("## 4. Where PyTorch's own steps spend their time").AppendLine();
        md.AppendLine($"torch.profiler, self time per operator and step ({s.Threads} thread{(s.Threads > 1 ? "s" : "")}, oneDNN {(s.Mkldnn ? "on" : "off")}, contiguous), the twelve largest. " +
                      "The profiler clocks operators by wall time and adds its own overhead, so on a shared machine read the shares and call counts, not the milliseconds:").AppendLine();
        foreach (var (method, rows) in r.PyTorchBreakdown)
        {
            double total = rows.Sum(x => x.SelfCpuMs);
            md.AppendLine($"**pytorch {method}** ({F(total)} ms of operator time per step):").AppendLine();
            md.AppendLine(Markdown.Table(["operator", "self ms per step", "share", "calls per step"],
                rows.Take(12).Select(x => (IReadOnlyList<string>)[$"`{x.Op}`", F(x.SelfCpuMs, "F2"), Pct(x.SelfCpuMs / total), F(x.Calls, "F0")])));
        }
    }
}

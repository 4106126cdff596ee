using System.Text;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers;
using RobustNode.Solvers.Integration;

namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// <c>gradients</c>: one first-order gradient (∇_W J, ∇_b J, ∇_{x₀}) of the benchmark network by (a) autograd through
/// the solver, (b) the discrete adjoint, (c) the continuous adjoint with stored, checkpointed and backsolved states;
/// and the forward solve the discrete adjoint starts with, for reference.
/// Goals: (b) at least 2× faster than (a); backsolve peak memory at N = 1000 within 1.2× of N = 10.
/// Writes docs/benchmarks/gradients.md.
/// </summary>
internal static class GradientBenchmark
{
    public const string Command = "dotnet run -c Release --project Benchmarks -- gradients";

    public static IReadOnlyList<BenchmarkMethod<BenchmarkProblem>> Methods { get; } =
    [
        new("autograd", "(a) reverse-mode autograd through the RK4 loop written with tracked tensors (one leaf W_k, b_k per layer)", p =>
        {
            var autograd = new AutogradThroughSolver(p);
            return autograd.Gradient;
        }),
        Adjoint("discrete", "(b) discrete adjoint: forward solve keeping each step's start state, then the reverse sweep through the RK4 stages", AdjointMode.Discrete),
        Adjoint("stored", "(c) continuous adjoint, dense forward solution kept", AdjointMode.Stored),
        Adjoint("checkpoint", "(c) continuous adjoint, a checkpoint per layer, each layer recomputed during the backward solve", AdjointMode.Checkpoint),
        Adjoint("backsolve", "(c) continuous adjoint, states integrated backwards alongside the adjoint", AdjointMode.Backsolve),
        new("forward", "for reference, not a gradient: the forward solve recording the step tape alone (what (b) does before its reverse sweep)", p => () =>
            Unwrap.Gradients(Ode.Solve(p.Problem.Field, p.X0, p.Problem.Solver, new SolveOptions(Tape: true)), s => [s.Final]), ComparedWithBaseline: false),
    ];

    private static BenchmarkMethod<BenchmarkProblem> Adjoint(string name, string description, IAdjointMethod mode) => new(name, description, p => () =>
        Unwrap.Gradients(Sensitivities.Gradient(p.Problem, mode), g => g.ControlGradients.Append(g.InputSensitivity)));

    public static int Run(string[] args)
    {
        var run = BenchmarkRun.Parse(args);
        Console.WriteLine("gradients: one first-order gradient of the nODE benchmark (d = 8, B = 256, RK4, float32)");
        double call = run.CallMicroseconds();
        var results = run.Measure("gradients", Methods, BenchmarkProblem.Create);
        var path = Path.Combine(BenchmarkRun.RepositoryRoot(), "docs", "benchmarks", "gradients.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Write(run, results, call));
        Console.WriteLine($"wrote {path}");
        return 0;
    }

    private static string Write(BenchmarkRun run, IReadOnlyList<Measurement> results, double call)
    {
        Measurement Get(string method, int n) => results.Single(r => r.Method == method && r.Layers == n);
        var sb = Report.Header("First-order gradients: autograd versus adjoints",
            "One gradient of J = mean ℓᵢ with respect to W [N, 8, 8], b [N, 8] and x₀ for the nODE x' = W_k tanh(x) + b_k, d = 8, " +
            "batch 256, N layers on [0, 1], RK4 with one step per layer, float32, cross-entropy of x(T) against 8 labels.",
            Command, run, Methods, Report.NodeNotes);
        sb.AppendLine("## Results").AppendLine();
        sb.AppendLine(Report.Results(run, Methods, results, unit: null));
        sb.AppendLine("The last column checks that the methods compute the same gradient: the discrete adjoint agrees with autograd to");
        sb.AppendLine("float32 rounding; the continuous adjoints differ from it by the discretisation error of the adjoint ODE (O(h⁴) for RK4).");
        sb.AppendLine();
        sb.AppendLine("## Goals").AppendLine();
        var goals = new List<IReadOnlyList<string>>();
        foreach (int n in run.Layers)
        {
            double wall = Get("autograd", n).Milliseconds / Get("discrete", n).Milliseconds;
            double cpu = Get("autograd", n).CpuMilliseconds / Get("discrete", n).CpuMilliseconds;
            goals.Add([$"discrete adjoint ≥ 2× faster than autograd, N = {n}", $"{Markdown.Ratio(wall)} wall, {Markdown.Ratio(cpu)} CPU",
                Markdown.Verdict(wall >= 2 && cpu >= 2)]);
        }
        int nMin = run.Layers.Min(), nMax = run.Layers.Max();
        if (Get("backsolve", nMax).PeakBytes is { } big && Get("backsolve", nMin).PeakBytes is { } small)
        {
            double growth = (double)big / small;
            goals.Add([$"backsolve peak memory at N = {nMax} within 1.2× of N = {nMin}", Markdown.Ratio(growth), Markdown.Verdict(growth <= 1.2)]);
            var p = BenchmarkProblem.Create(nMax);
            double withoutResults = (double)(big - 2 * p.ControlBytes) / small;
            goals.Add([$"the same without the two (W, b)-sized result buffers ({2 * p.ControlBytes / 1e6:F2} MB at N = {nMax})", Markdown.Ratio(withoutResults),
                Markdown.Verdict(withoutResults <= 1.2)]);
        }
        sb.AppendLine(Markdown.Table(["goal", "measured", "verdict"], goals));
        sb.AppendLine("## What limits the discrete adjoint here").AppendLine();
        var a = Get("autograd", nMax);
        var f = Get("forward", nMax);
        var d = Get("discrete", nMax);
        double budget = 1000 * a.CpuMilliseconds / nMax / 2, forward = 1000 * f.CpuMilliseconds / nMax;
        double reverseCalls = d.TensorsPerLayer - f.TensorsPerLayer;
        sb.AppendLine($"One libtorch call from .NET on a state-sized tensor costs {call:F1} µs here (median of `x.add(y)` on [256, 8] " +
            "float32: 2048 additions). Autograd records its forward pass from .NET and runs the backward pass inside libtorch; " +
            "every product of an adjoint sweep is a call from .NET. At N = " + nMax + $", being 2× faster than autograd leaves " +
            $"{budget:F0} µs of CPU time per layer. The forward solve with the states the discrete adjoint keeps (row `forward`) takes {forward:F0} µs " +
            $"per layer, and the reverse sweep makes {reverseCalls:F0} more calls per layer (four stages, each a vector–Jacobian " +
            $"product with W_k, tanh', the control cotangents and the stage combinations): at least {reverseCalls * call:F0} µs. " +
            $"So {(forward + reverseCalls * call > budget ? "the goal cannot be reached by" : "the goal is within reach of")} a sweep written as libtorch calls on this machine. " +
            "Reaching it needs fused kernels for small dense states (the managed SIMD engine planned in DESIGN §3; a fused RK4 " +
            "forward pass of this network measured 0.19 ms against 1.9 ms in PyTorch).");
        sb.AppendLine();
        sb.AppendLine("Memory: autograd keeps every stage's graph (linear in N); the discrete adjoint keeps the step tape of the forward " +
            "solve (the state at the start of every step: linear in N); checkpointing keeps one state per " +
            "layer plus one recomputed layer; backsolve keeps no forward states, so its working memory does not grow with N and " +
            "its peak grows only by the returned gradient.");
        return sb.ToString();
    }
}

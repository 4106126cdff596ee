using RobustNode.Benchmarks.Sensitivity;
using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Robust;

namespace RobustNode.Benchmarks.Images;

/// <summary>
/// <c>image-gradients</c>: one training step's gradient of the augmented loss (ε = 0.1, q = ∞) of the convolutional
/// ODE network of the MNIST experiment, batch 64, at ODE depths N, by (a) double backpropagation through the network
/// written with tracked tensors, (b) the block-by-block second-order sweeps with the discrete adjoint in the ODE
/// block, (c) the same with the continuous adjoint and backsolved states; and a first-order gradient as the unit of
/// cost. Goals: peak memory of (b) and (c) below (a), with (c) not growing with N; (b) at most 3× a first-order
/// gradient. Writes docs/benchmarks/image-gradients.md.
/// </summary>
internal static class ImageGradientBenchmark
{
    public const string Name = "image-gradients";
    public const string Command = "dotnet run -c Release --project Benchmarks -- image-gradients";
    private const double Epsilon = 0.1;

    public static IReadOnlyList<BenchmarkMethod<ImageBenchmarkProblem>> Methods { get; } =
    [
        new("double-backprop", "(a) double backpropagation through the network written with tracked tensors (`create_graph`)", p =>
        {
            var autograd = new ImageAutograd(p, p.Network(AdjointMode.Discrete));
            return () => autograd.AugmentedGradient(Epsilon);
        }),
        Augmented("discrete", "(b) second-order sweeps block by block, discrete adjoint through the Euler steps of the ODE block", AdjointMode.Discrete),
        Augmented("backsolve", "(c) the same with the continuous adjoint, ODE states integrated backwards", AdjointMode.Backsolve),
        new("first-order", "one first-order gradient, discrete adjoint (the unit of cost; it is ∇J, not ∇𝒥)", p =>
        {
            var network = p.Network(AdjointMode.Discrete);
            return () => Unwrap.Gradients(LossDerivatives.Gradient(network, p.Images, p.Loss), g => g.ControlGradients);
        }, ComparedWithBaseline: false),
    ];

    private static BenchmarkMethod<ImageBenchmarkProblem> Augmented(string name, string description, IAdjointMethod adjoint) => new(name, description, p =>
    {
        var network = p.Network(adjoint);
        var augmented = new AugmentedLoss(Epsilon, AttackNorm.Infinity);
        return () => Unwrap.Gradients(LossDerivatives.AugmentedGradient(network, p.Images, p.Loss, augmented), g => g.AugmentedControlGradients);
    });

    public static int Run(string[] args)
    {
        var run = BenchmarkRun.Parse(args, defaultLayers: [6, 24, 96]);
        Console.WriteLine($"{Name}: one augmented-loss gradient (ε = 0.1, q = ∞) of the MNIST network, batch {ImageBenchmarkProblem.Batch}, width {ImageBenchmarkProblem.Width}");
        var results = run.Measure(Name, Methods, ImageBenchmarkProblem.Create);
        var folder = Path.Combine(BenchmarkRun.RepositoryRoot(), "docs", "benchmarks");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{Name}.md");
        File.WriteAllText(path, Write(run, results));
        Console.WriteLine($"wrote {path}");
        return 0;
    }

    private static string Write(BenchmarkRun run, IReadOnlyList<Measurement> results)
    {
        Measurement Get(string method, int n) => results.Single(r => r.Method == method && r.Layers == n);
        int nMin = run.Layers.Min(), nMax = run.Layers.Max();
        var sb = Report.Header("Augmented training step of the image network: double backpropagation versus second-order sweeps",
            "One gradient of the augmented loss 𝒥 = mean ᵢ[ℓᵢ + ε‖∇_{x₀ᵢ}ℓᵢ‖₁] (ε = 0.1, attack norm q = ∞) with respect to all " +
            "parameters of the MNIST network — 3 convolutional layers (tanh, strides 2, 2, 1), an ODE block of N Euler layers of " +
            $"width {ImageBenchmarkProblem.Width} (W_k ∗ tanh(x) + b_k on 7×7 maps), average pooling, linear 64 → 10 — for a batch of " +
            $"{ImageBenchmarkProblem.Batch} images 28×28, float32: what one step of augmented training computes. N = 6 is the seed talk's network.",
            Command, run, Methods, "Each ODE state of the batch is 64·64·7·7 floats = 0.8 MB; each ODE layer adds 64·64·9 + 64 parameters " +
            "(0.15 MB), so every gradient the methods accumulate and return grows by that much per layer.");
        sb.AppendLine("## Results").AppendLine();
        sb.AppendLine(Report.Results(run, Methods, results, unit: "first-order"));
        sb.AppendLine("The last column checks that the methods compute the same gradient (∇ of the first stem kernel): the discrete sweeps agree");
        sb.AppendLine("with double backpropagation to float32 rounding; backsolve differs by the error of integrating the Euler steps backwards.");
        sb.AppendLine();
        sb.AppendLine("## Goals").AppendLine();
        var goals = new List<IReadOnlyList<string>>();
        foreach (int n in run.Layers)
        {
            if (Get("double-backprop", n).PeakBytes is not { } db) continue;
            foreach (var method in new[] { "discrete", "backsolve" })
                if (Get(method, n).PeakBytes is { } peak)
                    goals.Add([$"peak memory of {method} below double backprop, N = {n}", $"{Markdown.Ratio((double)peak / db)} of double backprop",
                        Markdown.Verdict(peak < db)]);
        }
        foreach (int n in run.Layers)
        {
            double cpu = Get("discrete", n).CpuMilliseconds / Get("first-order", n).CpuMilliseconds;
            goals.Add([$"augmented gradient ≤ 3× a first-order gradient, N = {n}", $"{Markdown.Ratio(cpu)} CPU", Markdown.Verdict(cpu <= 3)]);
        }
        if (Get("backsolve", nMax).PeakBytes is { } big && Get("backsolve", nMin).PeakBytes is { } small
            && Get("double-backprop", nMax).PeakBytes is { } dbBig && Get("double-backprop", nMin).PeakBytes is { } dbSmall)
        {
            goals.Add([$"backsolve peak memory at N = {nMax} within 1.2× of N = {nMin}", Markdown.Ratio((double)big / small), Markdown.Verdict(big <= 1.2 * small)]);
            goals.Add(["double backprop memory grows with N (reference)",
                $"{Markdown.Ratio((double)dbBig / dbSmall)} from N = {nMin} to {nMax}: {(dbBig - dbSmall) / 1e6 / (nMax - nMin):F1} MB per layer", "—"]);
        }
        sb.AppendLine(Markdown.Table(["goal", "measured", "verdict"], goals));
        return sb.ToString();
    }
}

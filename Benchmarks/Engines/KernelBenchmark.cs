using System.Globalization;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using RobustNode.Benchmarks.Sensitivity;
using RobustNode.Core.Engines;
using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers;
using TorchSharp;
using static TorchSharp.torch;
using RobustNode.Benchmarks.Results;

namespace RobustNode.Benchmarks.Engines;

/// <summary>
/// <c>kernels</c>: the RK4 forward pass of the benchmark nODE x' = W_k tanh(x) + b_k (d = 8, B = 256, N = 20,
/// float32, one thread by default) written once against <see cref="IEngine{T}"/> and its state algebra — run on the
/// managed engine and on TorchSharp — beside the same loop with hand-fused managed code over plain arrays and the naive
/// TorchSharp loop, all in one process, interleaved, after a warm-up long enough for tier-1 JIT code; plus single
/// kernels at the same sizes. Figures are medians and are read as ratios within the run. Options: <c>--batch</c>,
/// <c>--dim</c>, <c>--layers</c>, <c>--threads</c> (managed engine threads; libtorch keeps one), <c>--rounds</c>.
/// Writes docs/benchmarks/kernels.md.
/// </summary>
internal static class KernelBenchmark
{
    public const string Name = "kernels";

    public static int Run(string[] args)
    {
        int batch = 256, dim = 8, layers = 20, threads = 1, rounds = 201;
        for (int i = 0; i < args.Length; i++)
        {
            int value = i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v
                : throw new ArgumentException($"option '{args[i]}' needs a whole number");
            switch (args[i++])
            {
                case "--batch": batch = value; break;
                case "--dim": dim = value; break;
                case "--layers": layers = value; break;
                case "--threads": threads = value; break;
                case "--rounds": rounds = value; break;
                default: throw new ArgumentException($"unknown option '{args[i - 1]}' (use --batch, --dim, --layers, --threads, --rounds)");
            }
        }
        set_num_threads(1);
        var table = Measure(batch, dim, layers, threads, rounds);
        Console.WriteLine(table);
        // The default sizes write kernels.md; others their own page, so that one run does not overwrite another.
        bool defaults = (batch, dim, layers, threads) == (256, 8, 20, 1);
        var path = Path.Combine(BenchmarkRun.RepositoryRoot(), "docs", "benchmarks",
            defaults ? "kernels.md" : FormattableString.Invariant($"kernels-B{batch}-d{dim}-N{layers}-threads{threads}.md"));
        File.WriteAllText(path, table);
        Console.WriteLine($"written to {path}");
        return 0;
    }

    private static string Measure(int batch, int dim, int layers, int threads, int rounds)
    {
        using var torchScope = NewDisposeScope();
        random.manual_seed(7);
        var weights = randn(layers, dim, dim, dtype: float32).mul_(1 / Math.Sqrt(dim));
        var biases = randn(layers, dim, dtype: float32).mul_(0.1);
        var x0 = randn(batch, dim, dtype: float32);
        var labels = randint(0, dim, [batch], dtype: int64);
        double h = 1.0 / layers;

        var managed = new ManagedEngine<float>(threads);
        using var managedScope = managed.OpenScope();
        var (mw, mb, mx, my) = (managed.FromTensor(weights), managed.FromTensor(biases), managed.FromTensor(x0), managed.FromTensor(labels));
        var torchEngine = new TorchLoop(weights, biases, x0, h);
        var fused = new HandFused(weights, biases, x0, h);

        // The same generic loop on both engines; the managed and torch results are compared below.
        float[] ManagedForward() { using var s = managed.OpenScope(); return managed.ToArray(Rk4(managed, mw, mb, mx, h)).Select(v => (float)v).ToArray(); }
        var reference = torchEngine.Naive().data<float>().ToArray();
        double difference = ManagedForward().Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        double fusedDifference = fused.Forward().Zip(reference, (a, b) => Math.Abs(a - b)).Max();

        var forward = new (string Name, Action Run)[]
        {
            ("managed engine (IEngine + state algebra)", () => { using var s = managed.OpenScope(); Rk4(managed, mw, mb, mx, h); }),
            ("hand-written loop over arrays (TensorPrimitives.Tanh, FMA rows)", () => fused.Forward()),
            ("TorchSharp, naive loop (x.add(k, h/2), linear, tanh)", () => torchEngine.Naive()),
            ("TorchSharp engine (the same IEngine loop)", () => Rk4(TorchEngine.Instance, weights, biases, x0, h)),
        };
        // The generic sweeps (discrete adjoint) on both engines: the first-order gradient and the augmented gradient (q = ∞, ε = 0.1).
        var augmented = new AugmentedLoss(0.1, AttackNorm.Infinity);
        var managedProblem = Problem(managed, mw, mb, mx, my);
        var torchProblem = Problem(TorchEngine.Instance, weights, biases, x0, labels);
        var sweeps = new (string Name, Action Managed, Action Torch)[]
        {
            ("first-order gradient (discrete adjoint)", () => { using var s = managed.OpenScope(); Sensitivities.Gradient(managedProblem); },
                () => Sensitivities.Gradient(torchProblem)),
            ("augmented gradient (second-order discrete adjoint)", () => { using var s = managed.OpenScope(); Sensitivities.AugmentedGradient(managedProblem, augmented); },
                () => Sensitivities.AugmentedGradient(torchProblem, augmented)),
        };
        var mt = managed.Select(mw, 0);
        var (tw, tt) = (weights[0], x0.tanh());
        var ma = managed.Activate(Activation.Tanh, mx);
        var kernels = Repeated(new (string Name, Action Managed, Action Torch)[]
        {
            ("Linear x Wᵀ + b", () => { using var s = managed.OpenScope(); managed.Linear(ma, mt, managed.Select(mb, 0)); },
                () => nn.functional.linear(tt, tw, biases[0])),
            ("tanh", () => { using var s = managed.OpenScope(); managed.Activate(Activation.Tanh, mx); }, () => x0.tanh()),
            ("AddScaled, 4 terms", () => { using var s = managed.OpenScope(); managed.AddScaled(mx, [0.1, 0.2, 0.2, 0.1], [ma, ma, ma, ma]); },
                () => x0.add(tt, 0.1).add_(tt, 0.2).add_(tt, 0.2).add_(tt, 0.1)),
            ("TransposedMatMul pᵀ a", () => { using var s = managed.OpenScope(); managed.TransposedMatMul(mx, ma); }, () => x0.t().matmul(tt)),
            ("CrossEntropy per sample", () => { using var s = managed.OpenScope(); managed.CrossEntropy(mx, my); },
                () => nn.functional.cross_entropy(x0, labels, reduction: nn.Reduction.None)),
        });

        var all = forward.Select(f => f.Run).Concat(sweeps.SelectMany(k => new[] { k.Managed, k.Torch }))
            .Concat(kernels.SelectMany(k => new[] { k.Managed, k.Torch })).ToArray();
        // Warm-up by time (at least a second and 300 calls of each): tier-1 code, settled caches and pools.
        var warm = System.Diagnostics.Stopwatch.StartNew();
        // Each run in its own TorchSharp dispose scope, as in the timed rounds: warm-up tensors must not pile up in the outer scope.
        for (int i = 0; i < 300 || warm.Elapsed.TotalSeconds < 1.0; i++)
            foreach (var run in all)
                using (NewDisposeScope()) run();
        var (wall, cpu) = Timing.MedianMilliseconds(all, 0, rounds);

        var md = new StringBuilder();
        md.AppendLine("# Managed kernels against TorchSharp");
        md.AppendLine();
        md.AppendLine($"`dotnet run -c Release --project Benchmarks -- {Name} --batch {batch} --dim {dim} --layers {layers} --threads {threads}`");
        md.AppendLine();
        md.AppendLine($"RK4 forward pass of x' = W_k tanh(x) + b_k: d = {dim}, B = {batch}, N = {layers} layers, float32; libtorch on one thread, " +
                      $"the managed engine on {threads}. Median of {rounds} interleaved rounds after a warm-up of at least one second " +
                      "(tier-1 JIT code); wall and calling-thread CPU time. The machine is shared: read the ratios, which are measured in the same run.");
        md.AppendLine();
        md.AppendLine("| forward pass | wall ms | CPU ms | TorchSharp naive ÷ this (wall) | (CPU) |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        for (int i = 0; i < forward.Length; i++)
            md.AppendLine(FormattableString.Invariant($"| {forward[i].Name} | {wall[i]:F3} | {cpu[i]:F3} | {wall[2] / wall[i]:F1}× | {cpu[2] / cpu[i]:F1}× |"));
        md.AppendLine();
        md.AppendLine("| generic sweeps, cross-entropy on x(T) | managed ms | (CPU) | TorchSharp ms | (CPU) | TorchSharp ÷ managed (wall) | (CPU) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        for (int k = 0; k < sweeps.Length; k++)
        {
            int i = forward.Length + 2 * k;
            md.AppendLine(FormattableString.Invariant($"| {sweeps[k].Name} | {wall[i]:F3} | {cpu[i]:F3} | {wall[i + 1]:F3} | {cpu[i + 1]:F3} | {wall[i + 1] / wall[i]:F1}× | {cpu[i + 1] / cpu[i]:F1}× |"));
        }
        md.AppendLine();
        int sweep0 = forward.Length;
        md.AppendLine(FormattableString.Invariant($"Augmented over first-order gradient: managed {wall[sweep0 + 2] / wall[sweep0]:F2}× (wall), {cpu[sweep0 + 2] / cpu[sweep0]:F2}× (CPU); ") +
                      FormattableString.Invariant($"TorchSharp {wall[sweep0 + 3] / wall[sweep0 + 1]:F2}× (wall), {cpu[sweep0 + 3] / cpu[sweep0 + 1]:F2}× (CPU)."));
        md.AppendLine();
        md.AppendLine(FormattableString.Invariant($"The managed engine over the hand-written loop: {wall[0] / wall[1]:F2}× (wall), {cpu[0] / cpu[1]:F2}× (CPU). ") +
                      FormattableString.Invariant($"Largest difference from TorchSharp's result: engine {difference:E1}, hand-written loop {fusedDifference:E1} (float32). ") +
                      "Wall and CPU times far apart mean that other processes took the cores during the run.");
        md.AppendLine();
        md.AppendLine($"| kernel at the same sizes (mean of {Repetitions} calls) | managed µs | TorchSharp µs | TorchSharp ÷ managed |");
        md.AppendLine("|---|---:|---:|---:|");
        for (int k = 0; k < kernels.Length; k++)
        {
            int i = forward.Length + 2 * sweeps.Length + 2 * k;
            double m = wall[i] * 1e3 / Repetitions, t = wall[i + 1] * 1e3 / Repetitions;
            md.AppendLine(FormattableString.Invariant($"| {kernels[k].Name} | {m:F2} | {t:F2} | {t / m:F1}× |"));
        }
        md.AppendLine();
        string load = MachineReadings.LoadAverage();
        md.AppendLine($"{RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
                      $"Vector512 {(Vector512.IsHardwareAccelerated ? "accelerated" : "not accelerated")}, TorchSharp {typeof(torch).Assembly.GetName().Version}; " +
                      $"1-minute load average {load} at the end of the run.");
        return md.ToString();
    }

    private const int Repetitions = 20;

    /// <summary>Each kernel run <see cref="Repetitions"/> times per timed call, so that the clocks' own cost is negligible.</summary>
    private static (string Name, Action Managed, Action Torch)[] Repeated((string Name, Action Managed, Action Torch)[] kernels) =>
        kernels.Select(k => (k.Name, (Action)(() => { for (int i = 0; i < Repetitions; i++) k.Managed(); }),
            (Action)(() => { for (int i = 0; i < Repetitions; i++) { using var s = NewDisposeScope(); k.Torch(); } }))).ToArray();

    /// <summary>The benchmark network as a sensitivity problem on an engine: RK4, one step per layer, T = 1.</summary>
    private static SensitivityProblem<T> Problem<T>(IEngine<T> e, T weights, T biases, T x0, T labels) =>
        SensitivityProblem.Create(
            NeuralOdeField.Create(e, weights, biases, 1.0).Match(f => f, errors => throw new InvalidOperationException(errors.Head.Message)),
            x0, new CrossEntropyLoss<T>(e, labels), SolverCatalog.Fixed(Tableaux.Rk4));

    /// <summary>The RK4 forward pass written once for any engine, as the generic solvers do: one scope per layer.</summary>
    private static T Rk4<T>(IEngine<T> e, T weights, T biases, T x0, double h)
    {
        var x = x0;
        long layers = e.BatchSize(weights);
        for (int k = 0; k < layers; k++)
        {
            using var scope = e.OpenScope();
            var w = e.Select(weights, k);
            var b = e.Select(biases, k);
            var k1 = e.Linear(e.Activate(Activation.Tanh, x), w, b);
            var k2 = e.Linear(e.Activate(Activation.Tanh, e.AddScaled(x, [h / 2], [k1])), w, b);
            var k3 = e.Linear(e.Activate(Activation.Tanh, e.AddScaled(x, [h / 2], [k2])), w, b);
            var k4 = e.Linear(e.Activate(Activation.Tanh, e.AddScaled(x, [h], [k3])), w, b);
            x = e.Keep(e.AddScaled(x, [h / 6, h / 3, h / 3, h / 6], [k1, k2, k3, k4]));
        }
        return x;
    }

    /// <summary>The naive TorchSharp loop (Benchmarks/Solvers/StepOverhead's fused-call loop).</summary>
    private sealed class TorchLoop(Tensor weights, Tensor biases, Tensor x0, double h)
    {
        public Tensor Naive()
        {
            var x = x0;
            for (int k = 0; k < weights.shape[0]; k++)
            {
                var w = weights[k];
                var b = biases[k];
                var k1 = nn.functional.linear(x.tanh(), w, b);
                var k2 = nn.functional.linear(x.add(k1, h / 2).tanh_(), w, b);
                var k3 = nn.functional.linear(x.add(k2, h / 2).tanh_(), w, b);
                var k4 = nn.functional.linear(x.add(k3, h).tanh_(), w, b);
                x = x.add(k1, h / 6).add_(k2, h / 3).add_(k3, h / 3).add_(k4, h / 6);
            }
            return x;
        }
    }

    /// <summary>
    /// The same pass by hand over preallocated float arrays: per stage one vectorised tanh over the batch, one
    /// broadcast-and-FMA product per row (Wᵀ rows as vectors of the feature width) and one fused update.
    /// </summary>
    private sealed class HandFused
    {
        private readonly float[][] _wt;
        private readonly float[][] _b;
        private readonly float[] _x0;
        private readonly float[] _x, _xs, _a;
        private readonly float[][] _k;
        private readonly int _batch, _dim;
        private readonly float _h;

        public HandFused(Tensor weights, Tensor biases, Tensor x0, double h)
        {
            int layers = (int)weights.shape[0];
            _dim = (int)weights.shape[1];
            _batch = (int)x0.shape[0];
            _wt = Enumerable.Range(0, layers).Select(k => weights[k].t().contiguous().data<float>().ToArray()).ToArray();
            _b = Enumerable.Range(0, layers).Select(k => biases[k].data<float>().ToArray()).ToArray();
            _x0 = x0.data<float>().ToArray();
            _x = new float[_x0.Length];
            _xs = new float[_x0.Length];
            _a = new float[_x0.Length];
            _k = Enumerable.Range(0, 4).Select(_ => new float[_x0.Length]).ToArray();
            _h = (float)h;
        }

        public float[] Forward()
        {
            _x0.CopyTo(_x, 0);
            for (int layer = 0; layer < _wt.Length; layer++)
            {
                Stage(_x, layer, _k[0]);
                TensorPrimitives.FusedMultiplyAdd(_k[0], _h / 2, _x, _xs);
                Stage(_xs, layer, _k[1]);
                TensorPrimitives.FusedMultiplyAdd(_k[1], _h / 2, _x, _xs);
                Stage(_xs, layer, _k[2]);
                TensorPrimitives.FusedMultiplyAdd(_k[2], _h, _x, _xs);
                Stage(_xs, layer, _k[3]);
                TensorPrimitives.FusedMultiplyAdd(_k[0], _h / 6, _x, _x);
                TensorPrimitives.FusedMultiplyAdd(_k[1], _h / 3, _x, _x);
                TensorPrimitives.FusedMultiplyAdd(_k[2], _h / 3, _x, _x);
                TensorPrimitives.FusedMultiplyAdd(_k[3], _h / 6, _x, _x);
            }
            return _x;
        }

        private void Stage(float[] state, int layer, float[] slope)
        {
            TensorPrimitives.Tanh(state, _a);
            var wt = _wt[layer];
            var b = _b[layer];
            int d = _dim;
            if (d != Vector256<float>.Count)
            {
                for (int i = 0; i < _batch; i++)
                    for (int j = 0; j < d; j++)
                    {
                        float s = b[j];
                        for (int k = 0; k < d; k++) s = MathF.FusedMultiplyAdd(_a[i * d + k], wt[k * d + j], s);
                        slope[i * d + j] = s;
                    }
                return;
            }
            ref float w0 = ref MemoryMarshal.GetArrayDataReference(wt);
            var bias = Vector256.Create(b);
            for (int i = 0; i < _batch; i++)
            {
                var acc = bias;
                for (int k = 0; k < d; k++)
                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(_a[i * d + k]), Vector256.LoadUnsafe(ref w0, (nuint)(k * d)), acc);
                acc.CopyTo(slope, i * d);
            }
        }
    }
}

using System.Diagnostics;
using RobustNode.Core.Fields;
using RobustNode.Core.Tableaux;
using RobustNode.Host.Runs;
using RobustNode.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Solvers;

/// <summary>Median wall time of one RK4 step (µs) for each way of running the same nODE forward pass.</summary>
public sealed record StepTimings(int Batch, int Dim, int Layers, int WarmUp, int Repetitions, int Threads,
    double Solve, double DirectFused, double DirectOperators, double DirectField)
{
    /// <summary>
    /// Median CPU time of the measuring thread per step, in the same order (Solve, DirectFused, DirectOperators,
    /// DirectField); empty where the thread clock is unavailable. Insensitive to other processes on the machine.
    /// </summary>
    public IReadOnlyList<double> ThreadCpu { get; init; } = [];

    /// <summary>Ode.Solve over the fastest hand-written loop in thread CPU time, minus one.</summary>
    public double CpuOverhead => ThreadCpu.Count == 4 ? ThreadCpu[0] / Math.Min(ThreadCpu[1], ThreadCpu[2]) - 1 : double.NaN;

    /// <summary>The fastest hand-written loop.</summary>
    public double Direct => Math.Min(DirectFused, DirectOperators);

    /// <summary>Ode.Solve over the fastest hand-written loop, minus one.</summary>
    public double Overhead => Solve / Direct - 1;

    /// <summary>Ode.Solve over the hand-written loop that calls the same field object, minus one: the solver's own share.</summary>
    public double SolverOverhead => Solve / DirectField - 1;
}

/// <summary>
/// The cost of the solver abstraction: RK4 with one step per layer on the nODE field g = W_k tanh(x) + b_k
/// (float32 state [256, 8], 20 layers) through <c>Ode.Solve</c>, against the same loop written directly with
/// TorchSharp operations — with fused <c>x.add(k1, h/2)</c> calls (the libtorch calls the stepper makes), with
/// operators (<c>x + h/2*k1</c>), and with fused calls on <see cref="NeuralOdeField{T}.Evaluate"/> (which
/// separates the solver's cost from the field's). All four run in the same process, interleaved in rotating
/// order, after a warm-up long enough for the tiered JIT to settle; each figure is the median over the repetitions,
/// in wall time and in CPU time of the measuring thread (which a busy machine does not inflate).
/// </summary>
public static class StepOverhead
{
    public static StepTimings Measure(int batch = 256, int dim = 8, int layers = 20, int warmUp = 400, int repetitions = 1000)
    {
        using var outer = NewDisposeScope();
        // One intra-op thread: the [256, 8] operations run on the calling thread anyway (below libtorch's
        // parallel grain size), and so the measuring thread's CPU clock sees all of the work.
        int threads = get_num_threads();
        set_num_threads(1);
        random.manual_seed(7);
        var weights = randn(layers, dim, dim, dtype: float32).mul_(1 / Math.Sqrt(dim));
        var biases = randn(layers, dim, dtype: float32).mul_(0.1);
        var x0 = randn(batch, dim, dtype: float32);
        var field = NeuralOdeField.Create(weights, biases, 1.0).Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        var solver = SolverCatalog.Fixed(Tableaux.Rk4);
        double h = field.Grid.LayerWidth;

        Tensor ViaSolve() => Ode.Solve(field, x0, solver).Match(s => s.Final, e => throw new InvalidOperationException(e.Message));

        Tensor DirectFused()
        {
            var x = x0;
            for (int k = 0; k < layers; k++)
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

        Tensor DirectOperators()
        {
            var x = x0;
            for (int k = 0; k < layers; k++)
            {
                var w = weights[k];
                var b = biases[k];
                Tensor G(Tensor z) => nn.functional.linear(z.tanh(), w, b);
                var k1 = G(x);
                var k2 = G(x + h / 2 * k1);
                var k3 = G(x + h / 2 * k2);
                var k4 = G(x + h * k3);
                x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
            }
            return x;
        }

        Tensor DirectField()
        {
            var x = x0;
            for (int k = 0; k < layers; k++)
            {
                double t = k * h;
                var k1 = field.Evaluate(k, t, x);
                var k2 = field.Evaluate(k, t + h / 2, x.add(k1, h / 2));
                var k3 = field.Evaluate(k, t + h / 2, x.add(k2, h / 2));
                var k4 = field.Evaluate(k, t + h, x.add(k3, h));
                x = x.add(k1, h / 6).add_(k2, h / 3).add_(k3, h / 3).add_(k4, h / 6);
            }
            return x;
        }

        Func<Tensor>[] runs = [ViaSolve, DirectFused, DirectOperators, DirectField];

        // The four compute the same thing (up to float32 rounding).
        using (NewDisposeScope())
        {
            var reference = ViaSolve();
            foreach (var run in runs.Skip(1))
            {
                double d = (reference - run()).abs().max().item<float>();
                if (d > 1e-4) throw new InvalidOperationException($"the loops disagree by {d:G3}");
            }
        }

        var samples = runs.Select(_ => new double[repetitions]).ToArray();
        var cpu = runs.Select(_ => new double[repetitions]).ToArray();
        var watch = new Stopwatch();
        for (int i = -warmUp; i < repetitions; i++)
        {
            for (int r = 0; r < runs.Length; r++)
            {
                int which = (r + (i + warmUp)) % runs.Length; // rotate the order every repetition
                double cpu0 = CpuClock.Milliseconds() * 1e3;
                watch.Restart();
                using (NewDisposeScope()) runs[which](); // freeing the temporaries is part of the cost
                watch.Stop();
                double cpu1 = CpuClock.Milliseconds() * 1e3;
                if (i < 0) continue;
                samples[which][i] = watch.Elapsed.TotalMicroseconds / layers;
                cpu[which][i] = (cpu1 - cpu0) / layers;
            }
        }
        static double Quantile(double[] v, double q)
        {
            var s = v.Order().ToArray();
            double position = q * (s.Length - 1);
            int below = (int)Math.Floor(position);
            return below + 1 < s.Length ? s[below] + (position - below) * (s[below + 1] - s[below]) : s[below];
        }
        set_num_threads(threads);
        return new StepTimings(batch, dim, layers, warmUp, repetitions, 1,
            Quantile(samples[0], 0.5), Quantile(samples[1], 0.5), Quantile(samples[2], 0.5), Quantile(samples[3], 0.5))
        {
            ThreadCpu = CpuClock.Available ? cpu.Select(v => Quantile(v, 0.5)).ToArray() : [],
        };
    }
}

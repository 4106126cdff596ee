using RobustNode.Core.Engines;
using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Solvers;
using RobustNode.Training.Data;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Platform;

/// <summary>
/// Two trainings in two threads of one process give bit for bit the results of the same trainings run one after the
/// other, on TorchSharp and on the managed engine, while a third thread allocates and collects garbage without pause:
/// the collections that would free a finalizer-owned Scalar or Generator under libtorch, and that would expose state
/// shared between threads (dispose scopes, the managed engine's pools, caches). Each training uses a second-order
/// objective (GradAlign, the second-order adjoint) and a first-order one, RK4 steps, Adam and a shuffled data set.
/// </summary>
public sealed class ConcurrentTrainingsEqualSequentialRuns
{
    private sealed record Run(string Objective, long Seed);

    private static readonly Run[] Runs = [new("gradalign", 1), new("standard", 2)];

    private const int Rounds = 3;

    [Fact]
    public void Torch_trainings_in_two_threads_equal_the_same_trainings_in_sequence() => Compare(() => TorchEngine.Instance);

    [Fact]
    public void Managed_trainings_in_two_threads_equal_the_same_trainings_in_sequence() => Compare(() => new ManagedEngine<double>());

    private static void Compare<T>(Func<IEngine<T>> engine)
    {
        var sequential = Runs.Select(r => Train(engine(), r)).ToArray();
        for (int round = 0; round < Rounds; round++)
        {
            using var storm = new GarbageStorm();
            var concurrent = InThreads(Runs.Select(r => (Func<long[]>)(() => Train(engine(), r))).ToArray());
            for (int i = 0; i < Runs.Length; i++)
                Assert.True(sequential[i].SequenceEqual(concurrent[i]),
                    $"round {round}: the {Runs[i].Objective} training differs when another training runs beside it " +
                    $"(first differing value at {FirstDifference(sequential[i], concurrent[i])} of {sequential[i].Length})");
        }
    }

    /// <summary>The bit patterns of every epoch's loss and objective and of every final parameter value.</summary>
    private static long[] Train<T>(IEngine<T> engine, Run run)
    {
        using var torchScope = NewDisposeScope();
        using var scope = engine.OpenScope();
        var data = new Moons(Noise: 0.1).Generate(160, run.Seed).Bind(d => d.Split(0.25, run.Seed)).Match(s => s.Train, e => throw new Xunit.Sdk.XunitException(e.Message));
        ITrainingObjective objective = run.Objective == "gradalign"
            ? new GradAlignObjective(0.1, AttackNorm.Infinity) { Weight = 0.5 }
            : new StandardObjective();
        var options = new TrainingOptions(objective, new Adam(0.02), Epochs: 3, BatchSize: 32, run.Seed);
        var model = new PointCloudModel(Dim: 3, Layers: 4) { Solver = SolverCatalog.Fixed(Tableaux.Rk4) };
        var outcome =
            from network in model.Build(engine, run.Seed)
            from state in Trainer.Start(network, options)
            from history in Trainer.Run(state, data, options)
            select history.Epochs.SelectMany(e => new[] { e.Loss, e.Objective })
                .Concat(state.Parameters.SelectMany(engine.ToArray))
                .Select(BitConverter.DoubleToInt64Bits).ToArray();
        return outcome.Match(bits => bits, e => throw new Xunit.Sdk.XunitException($"{run.Objective} training failed: {e.Message}"));
    }

    /// <summary>Runs each function on its own thread, all released at once, and returns their results in order.</summary>
    private static long[][] InThreads(Func<long[]>[] work)
    {
        var results = new long[work.Length][];
        var failures = new Exception?[work.Length];
        using var start = new Barrier(work.Length);
        var threads = work.Select((w, i) => new Thread(() =>
        {
            start.SignalAndWait();
            try { results[i] = w(); }
            catch (Exception e) { failures[i] = e; }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        foreach (var f in failures)
            if (f is not null) throw new Xunit.Sdk.XunitException($"a training thread failed: {f}");
        return results;
    }

    private static int FirstDifference(long[] a, long[] b) =>
        Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));

    /// <summary>A thread that allocates, collects and runs finalizers until disposed.</summary>
    private sealed class GarbageStorm : IDisposable
    {
        private volatile bool _stop;
        private readonly Thread _thread;

        public GarbageStorm()
        {
            _thread = new Thread(() =>
            {
                var keep = new List<byte[]>();
                while (!_stop)
                {
                    for (int i = 0; i < 64; i++) keep.Add(new byte[1024]);
                    if (keep.Count > 4096) keep.Clear();
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Thread.Sleep(1);
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}

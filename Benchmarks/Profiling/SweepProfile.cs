using System.Diagnostics;
using RobustNode.Benchmarks.Sensitivity;
using RobustNode.Host.Runs;
using TorchSharp;

namespace RobustNode.Benchmarks.Profiling;

/// <summary>
/// Where one training step's time goes: the time, thread CPU time and libtorch tensors created (one tensor is one call
/// into libtorch) of each (block, sweep), and inside the ODE block of each (sweep, field method) — what
/// <see cref="TimedBlock"/> and <see cref="TimedField"/> record while a step runs. The block and sweep running at a time
/// are kept here, so a field call is charged to the sweep that made it.
/// </summary>
internal sealed class SweepProfile
{
    public const string ForwardSweep = "forward";
    public const string ReverseSweep = "reverse";
    public const string TangentSweep = "tangent";
    public const string SecondOrderSweep = "second-order reverse";

    public sealed class Entry
    {
        public double WallMs, CpuMs;
        public long Calls, Tensors;
    }

    private readonly Dictionary<(string Block, string Sweep, string Part), Entry> _entries = new();

    /// <summary>The sweep running now (for charging field calls).</summary>
    public string CurrentSweep { get; private set; } = "";

    public string CurrentBlock { get; private set; } = "";

    public IReadOnlyDictionary<(string Block, string Sweep, string Part), Entry> Entries => _entries;

    public void Clear() => _entries.Clear();

    /// <summary>Runs <paramref name="work"/> as a sweep of a block (Part = "" for the sweep as a whole).</summary>
    public T Sweep<T>(string block, string sweep, Func<T> work)
    {
        var (outerBlock, outerSweep) = (CurrentBlock, CurrentSweep);
        (CurrentBlock, CurrentSweep) = (block, sweep);
        try { return Measure(block, sweep, "", work); }
        finally { (CurrentBlock, CurrentSweep) = (outerBlock, outerSweep); }
    }

    /// <summary>Runs a field method inside the current sweep.</summary>
    public T Part<T>(string part, Func<T> work) => Measure(CurrentBlock, CurrentSweep, part, work);

    private T Measure<T>(string block, string sweep, string part, Func<T> work)
    {
        var statistics = DisposeScopeManager.Statistics;
        long tensors0 = statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount;
        double cpu0 = CpuClock.Milliseconds();
        long start = Stopwatch.GetTimestamp();
        var result = work();
        var entry = _entries.TryGetValue((block, sweep, part), out var e) ? e : _entries[(block, sweep, part)] = new Entry();
        entry.WallMs += Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        entry.CpuMs += CpuClock.Milliseconds() - cpu0;
        entry.Calls++;
        entry.Tensors += statistics.CreatedInScopeCount + statistics.CreatedOutsideScopeCount - tensors0;
        return result;
    }
}

"""Timing and peak memory for the PyTorch side of the benchmarks, by the same protocol as the .NET side.

Timing (Benchmarks/Sensitivity/Timing.cs, TimingPlan.cs): each computation first runs alone until it has run
minWarmUpRuns times and for warmUpSeconds; then interleaved rounds run one sample of every computation each, as many
as fill about roundSeconds (between minRounds and maxRounds); a sample is a run of consecutive calls lasting at least
sampleMilliseconds (one call when a call lasts that long), timed per call; the medians are reported. Wall time is time.perf_counter; CPU
time is the calling thread's (time.thread_time) with one intra-op thread and the whole process's (time.process_time)
with more, as in .NET.

Peak memory (Benchmarks/Sensitivity/PeakMemory.cs): after garbage collection and malloc_trim the resident set (VmRSS)
is read, the kernel's high-water mark is reset (echo 5 > /proc/self/clear_refs), the computation runs once and VmHWM is
read; five times, the least and the most are reported. The .NET side runs its memory measurement in a fresh child
process; this one measures in the process that timed (after the timing), which can only add fragmentation, so the
least of five is the estimate here too.
"""
import ctypes
import gc
import math
import statistics
import time


def _clocks(threads):
    cpu = time.thread_time if threads == 1 else time.process_time
    return time.perf_counter, cpu


def _once(run, threads, calls=1):
    """Wall and CPU milliseconds per call of `calls` consecutive calls."""
    wall, cpu = _clocks(threads)
    c0, w0 = cpu(), wall()
    for _ in range(calls):
        run()
    return (wall() - w0) * 1e3 / calls, (cpu() - c0) * 1e3 / calls


def calls_per_sample(plan, typical_ms):
    """Consecutive calls in a sample (TimingPlan.CallsPerSample)."""
    sample = plan.get("sampleMilliseconds", 0)
    if sample <= 0 or typical_ms >= sample:
        return 1
    return int(min(10000, math.ceil(sample / max(typical_ms, 1e-3))))


def warm_up(runs, plan, threads):
    """Runs each computation alone by the plan's warm-up; returns the typical wall milliseconds of each."""
    typical = []
    for run in runs:
        times = []
        start = time.perf_counter()
        while len(times) < plan["minWarmUpRuns"] or (time.perf_counter() - start < plan["warmUpSeconds"] and len(times) < 100000):
            times.append(_once(run, threads)[0])
        typical.append(statistics.median(times[-15:]))
    return typical


def one_round(runs, threads, calls=None):
    """One sample of every computation, in turn (calls[i] consecutive calls of run i; one each without `calls`):
    (wall, cpu) milliseconds per call of each."""
    calls = calls or [1] * len(runs)
    timed = [_once(run, threads, n) for run, n in zip(runs, calls)]
    return [w for w, _ in timed], [c for _, c in timed]


def medians(runs, plan, threads):
    """Median wall and CPU milliseconds per call of each computation in `runs` (a list of callables)."""
    typical = warm_up(runs, plan, threads)
    calls = [calls_per_sample(plan, t) for t in typical]
    round_seconds = sum(t * n for t, n in zip(typical, calls)) / 1e3
    rounds = plan["maxRounds"] if round_seconds <= 0 else -(-plan["roundSeconds"] // round_seconds)
    rounds = int(min(max(rounds, plan["minRounds"]), plan["maxRounds"]))
    wall = [[] for _ in runs]
    cpu = [[] for _ in runs]
    for _ in range(rounds):
        for i, run in enumerate(runs):
            w, c = _once(run, threads, calls[i])
            wall[i].append(w)
            cpu[i].append(c)
    return [statistics.median(w) for w in wall], [statistics.median(c) for c in cpu]


def _status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("/proc/self/status has no " + key)


def peak_bytes(run, repeats=5):
    """(least, most) peak resident memory of one run above the resident set before it, in bytes; None where /proc is missing."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        run()
        peaks = []
        for _ in range(repeats):
            gc.collect()
            libc.malloc_trim(0)
            base = _status("VmRSS")
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            run()
            peaks.append(_status("VmHWM") - base)
        return min(peaks), max(peaks)
    except OSError:
        return None

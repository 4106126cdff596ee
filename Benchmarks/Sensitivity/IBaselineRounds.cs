namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// Computations timed in another process (the PyTorch side), one round at a time, so that <see cref="Timing"/> can
/// alternate their rounds with the .NET rounds and both meet the same load.
/// </summary>
internal interface IBaselineRounds : IDisposable
{
    /// <summary>Each computation's typical wall time after its warm-up (ms), for sizing the rounds.</summary>
    IReadOnlyList<double> TypicalMilliseconds { get; }

    /// <summary>Runs every computation once, in turn: wall and CPU milliseconds of each.</summary>
    (double[] Wall, double[] Cpu) Round();

    /// <summary>Ends the baseline (after measuring its peak memory where asked) and gives its rows with the given median times.</summary>
    IReadOnlyList<Measurement> Finish(double[] wall, double[] cpu);
}

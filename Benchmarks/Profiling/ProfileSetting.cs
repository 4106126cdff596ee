namespace RobustNode.Benchmarks.Profiling;

/// <summary>One combination of the libtorch settings the image profile compares.</summary>
/// <param name="Threads">Intra-op threads.</param>
/// <param name="Mkldnn">Whether libtorch may use oneDNN (mkldnn) kernels.</param>
/// <param name="ChannelsLast">Whether images, feature maps and kernels have channels-last strides.</param>
/// <param name="PassiveWait">
/// Whether OpenMP's idle threads sleep at once (<c>OMP_WAIT_POLICY=PASSIVE</c>) instead of spinning first; libgomp reads it when
/// it starts, so these settings run in a fresh process (steps only).
/// </param>
internal sealed record ProfileSetting(int Threads, bool Mkldnn, bool ChannelsLast, bool PassiveWait = false)
{
    public string Label => $"{Threads} thread{(Threads > 1 ? "s" : "")}, oneDNN {(Mkldnn ? "on" : "off")}, {(ChannelsLast ? "channels-last" : "contiguous (NCHW)")}" +
                           (PassiveWait ? ", OMP_WAIT_POLICY=PASSIVE" : "");

    /// <summary>The time a table shows: CPU time of the measuring thread with one thread (robust on a shared machine), wall time with more.</summary>
    public double Time(double wallMs, double cpuMs) => Threads == 1 ? cpuMs : wallMs;

    public string TimeKind => Threads == 1 ? "thread CPU" : "wall";
}

using System.Diagnostics;
using System.Runtime.InteropServices;

namespace RobustNode.Benchmarks.Engines;

/// <summary>
/// Bounds how long libgomp's idle threads spin before they sleep, for the benchmark process and its PyTorch children.
/// </summary>
/// <remarks>
/// After every parallel region libgomp's idle threads spin <c>GOMP_SPINCOUNT</c> times (300 000 by default: about 7 ms
/// of a core here) before sleeping. A benchmark alternates libtorch computations with the managed engine's, so with two
/// threads libtorch's idle thread kept spinning on one of the two cores while the managed engine's next computation
/// wanted both: its two-thread augmented gradient took 24.4–24.7 ms right after a libtorch operation against
/// 18.3–19.5 ms with the spin bounded or off, at an unchanged one-thread time. 10 000 spins (under a millisecond) still
/// cover the gaps between the operations of one libtorch computation. libgomp reads the variable when it is loaded, so
/// this runs before the first TorchSharp call; a value the caller set (or <c>OMP_WAIT_POLICY</c>) is left alone.
/// </remarks>
internal static class OpenMpSpin
{
    /// <summary>The spin count the benchmarks give libgomp.</summary>
    public const string Bounded = "10000";

    /// <summary>Bounds the spin of this process's libgomp, unless the environment decides it already.</summary>
    /// <remarks>Only the C library's environment (what libgomp reads) changes, not the runtime's copy that children inherit.</remarks>
    public static void Bound()
    {
        if (OperatingSystem.IsLinux() && !Decided(k => Environment.GetEnvironmentVariable(k) is not null)) _ = SetNative("GOMP_SPINCOUNT", Bounded, 0);
    }

    /// <summary>Bounds the spin of a child process's libgomp, unless its environment decides it already.</summary>
    /// <remarks>An explicit <c>GOMP_SPINCOUNT</c> would override <c>OMP_WAIT_POLICY=PASSIVE</c> in libgomp, hence the check.</remarks>
    public static void Bound(ProcessStartInfo child)
    {
        if (!Decided(child.Environment.ContainsKey)) child.Environment["GOMP_SPINCOUNT"] = Bounded;
    }

    private static bool Decided(Func<string, bool> isSet) => isSet("GOMP_SPINCOUNT") || isSet("OMP_WAIT_POLICY");

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetNative([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}

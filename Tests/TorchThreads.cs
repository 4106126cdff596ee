using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace RobustNode.Tests;

/// <summary>
/// The tests work on tiny tensors (a few hundred elements), where libtorch's intra-op thread pool only adds
/// synchronisation: on a loaded two-core machine a parallel softmax was measured at 2.4 ms against 2 µs on one
/// thread. So each libtorch call runs on one thread.
/// </summary>
internal static class TorchThreads
{
    [ModuleInitializer]
    internal static void OneIntraOpThread() => set_num_threads(1);
}

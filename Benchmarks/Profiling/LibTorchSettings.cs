using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Profiling;

/// <summary>
/// The libtorch settings the image profile varies. Intra-op threads: <c>torch.set_num_threads</c>. oneDNN (mkldnn)
/// on or off: TorchSharp 0.107 does not expose it, so this calls libtorch's own switch
/// (<c>at::globalContext().setUserEnabledMkldnn(bool)</c>, what PyTorch's <c>torch.backends.mkldnn.enabled</c> sets)
/// through its exported C++ symbols — a measuring tool's shortcut, never for the product. Channels-last memory format:
/// TorchSharp 0.107 has the <c>memory_format</c> enum but no call that takes it, so a tensor is given channels-last
/// strides by <c>permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)</c>, which is what <c>.to(memory_format=
/// torch.channels_last)</c> produces; libtorch's convolutions then keep that layout in their outputs.
/// </summary>
internal static class LibTorchSettings
{
    private const string Library = "libtorch_cpu";

    [DllImport(Library, EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(Library, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);

    private static readonly Lazy<string?> MkldnnMissing = new(() =>
    {
        try
        {
            _ = get_num_threads(); // loads libtorch through TorchSharp first
            _ = UserEnabledMkldnn(GlobalContext());
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return $"libtorch's mkldnn switch is not reachable here ({e.Message})";
        }
    });

    /// <summary>Why oneDNN cannot be switched, or null when it can.</summary>
    public static string? MkldnnUnavailable => MkldnnMissing.Value;

    /// <summary>Whether libtorch may use oneDNN (mkldnn) kernels.</summary>
    public static bool Mkldnn
    {
        get => MkldnnUnavailable is null && UserEnabledMkldnn(GlobalContext());
        set
        {
            if (MkldnnUnavailable is { } why) throw new InvalidOperationException(why);
            SetUserEnabledMkldnn(GlobalContext(), value);
        }
    }

    /// <summary>The same values with channels-last strides (4-D tensors; others unchanged).</summary>
    public static Tensor ChannelsLast(Tensor t)
    {
        if (t.dim() != 4) return t;
        using var scope = NewDisposeScope();
        return t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }

    /// <summary>Whether a 4-D tensor has channels-last strides.</summary>
    public static bool IsChannelsLast(Tensor t) => t.dim() == 4 && t.stride(1) == 1 && t.stride(3) == t.shape[1];
}

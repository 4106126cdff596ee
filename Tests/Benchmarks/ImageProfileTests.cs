using Xunit;

namespace RobustNode.Tests.Benchmarks;

/// <summary>
/// <c>image-profile</c> runs end to end on a tiny network (quick timing, no PyTorch): the sweep tables of both steps, the
/// primitives with oneDNN switched off and on through libtorch's own switch, and the whole steps under every setting;
/// the profiled sweeps take the same path as the network's own.
/// </summary>
public sealed class ImageProfileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("robustnode-image-profile-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Image_profile_writes_every_section()
    {
        string page = Path.Combine(_folder, "profile.md");
        var (code, output, error) = BenchmarkProgram.Run("image-profile", "--quick", "--no-pytorch", "--threads", "1", "--layers", "1", "--batch", "4", "--width", "8", "--out", page);
        Assert.True(code == 0, $"exit {code}: {error}{output}");
        var text = File.ReadAllText(page);
        foreach (var section in new[] { "## Findings", "## 1. RobustNode's step per block and sweep", "## 2. Primitive operations", "## 3. Whole steps under each setting" })
            Assert.Contains(section, text);
        foreach (var sweep in new[] { "| 4 ode | forward |", "| 4 ode | reverse |", "| 4 ode | tangent |", "| 4 ode | second-order reverse |" })
            Assert.Contains(sweep, text);
        // The profiled network takes the network's own path: the reverse sweep keeps W ∗ᵀ p and pairs the control terms,
        // so every second-order stage takes them instead of recomputing (as the unwrapped network does).
        Assert.Contains("| second-order reverse | field second-order reverse stage, W ∗ᵀ p kept, paired terms formed |", text);
        Assert.DoesNotContain("| second-order reverse | field second-order reverse stage |", text);
        Assert.Contains("| tangent | field JVP gₓs with ∂ₓ(g_uᵀp)·s |", text);
        Assert.Contains("1 thread, oneDNN off, channels-last", text);
        Assert.DoesNotContain("oneDNN stays as it is", output);
    }
}

using RobustNode.Host.IO;
using Xunit;

namespace RobustNode.Tests.Host;

public class AtomicFileTests
{
    [Fact]
    public void A_failed_write_leaves_the_target_and_no_temporary_file()
    {
        using var folder = new TempFolder();
        var target = folder.Write("result.json", "old");

        Assert.Throws<IOException>(() => AtomicFile.Write(target, stream =>
        {
            stream.Write("half a"u8);
            throw new IOException("disk full");
        }));

        Assert.Equal("old", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void A_write_replaces_the_target_and_creates_its_folder()
    {
        using var folder = new TempFolder();
        var target = Path.Combine(folder.Path, "deep", "er", "result.json");
        AtomicFile.WriteAllBytes(target, "one"u8.ToArray());
        AtomicFile.WriteAllBytes(target, "two"u8.ToArray());

        Assert.Equal("two", File.ReadAllText(target));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(target)!));
    }
}

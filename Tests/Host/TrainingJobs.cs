using System.Text.Json.Nodes;
using Xunit;

namespace RobustNode.Tests.Host;

/// <summary>Small configurations of the training jobs, so that a whole run takes seconds.</summary>
public static class TrainingJobs
{
    /// <summary>The PNG file signature.</summary>
    public static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// The repository's settings with the moons experiment shrunk (80 points, d = 3, N = 3, 2 epochs, every trainer
    /// and attack with few steps, a coarse grid) and the output folder in <paramref name="folder"/>.
    /// </summary>
    public static string TinyMoons(TempFolder folder, params (string Path, JsonNode? Value)[] changes) =>
        Robustnode.SettingsWith([
            ("Output:Folder", folder.File("runs")),
            ("Experiments:moons:Data:Size", 80),
            ("Experiments:moons:Model:Dim", 3),
            ("Experiments:moons:Model:Layers", 3),
            ("Experiments:moons:Training:Epochs", 2),
            ("Experiments:moons:Training:BatchSize", 16),
            ("Experiments:moons:Training:Augmented:WarmupEpochs", 1),
            ("Experiments:moons:Training:Pgd:Steps", 2),
            ("Experiments:moons:Evaluation:Epsilons", JsonNode.Parse("[0, 0.1, 0.2]")),
            ("Experiments:moons:Evaluation:Pgd:Steps", 2),
            ("Experiments:moons:Evaluation:Pgd:Restarts", 1),
            ("Experiments:moons:Evaluation:Grid:Resolution", 24),
            .. changes,
        ]);

    /// <summary>The folder of a run.</summary>
    public static string Run(TempFolder folder, string name) => Path.Combine(folder.File("runs"), name);

    /// <summary>Asserts that a file is a PNG image.</summary>
    public static void AssertPng(string path)
    {
        Assert.True(File.Exists(path), $"{path} is missing");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path} has only {bytes.Length} bytes");
        Assert.Equal(PngSignature, bytes[..8]);
    }

    /// <summary>Asserts that a file is an animated GIF with the given number of frames.</summary>
    public static void AssertGif(string path, int frames)
    {
        Assert.True(File.Exists(path), $"{path} is missing");
        Assert.Equal("GIF89a"u8.ToArray(), File.ReadAllBytes(path)[..6]);
        using var image = SixLabors.ImageSharp.Image.Load(path);
        Assert.Equal(frames, image.Frames.Count);
    }

    /// <summary>The MNIST digits prepared by scripts/prepare-data.sh, if present.</summary>
    public static string MnistImages => Path.Combine(RepositoryRoot.Path, "data", "mnist", "digits-images-idx3-ubyte");

    /// <summary>Why MNIST tests cannot run (the digits are missing), or null when they can.</summary>
    public static string? MissingMnist => File.Exists(MnistImages) && File.Exists(MnistLabels)
        ? null
        : $"MNIST digits not found at {Path.GetDirectoryName(MnistImages)}; run scripts/prepare-data.sh to prepare them";

    /// <summary>The labels of <see cref="MnistImages"/>.</summary>
    public static string MnistLabels => Path.Combine(RepositoryRoot.Path, "data", "mnist", "digits-labels-idx1-ubyte");
}

/// <summary>A fact that is skipped, with the reason, when the MNIST digits have not been prepared on this machine.</summary>
public sealed class MnistFactAttribute : FactAttribute
{
    public MnistFactAttribute() => Skip = TrainingJobs.MissingMnist;
}

/// <summary>A theory that needs the MNIST digits of <c>scripts/prepare-data.sh</c> (which <c>./test.sh</c> runs first).</summary>
public sealed class MnistTheoryAttribute : TheoryAttribute
{
    public MnistTheoryAttribute() => Skip = TrainingJobs.MissingMnist;
}

using RobustNode.Training.Denoising;
using static TorchSharp.torch;

namespace RobustNode.Host.Denoising;

/// <summary>
/// <c>Denoising:Data</c>: the images every denoiser is trained and tested on. Natural images are scikit-image's, by name
/// (or path), split once into training and test images (<see cref="Images.NaturalImages"/>); Fashion-MNIST images join
/// the training patches whole. Noise levels are in grey levels of 255 (25 means σ = 25/255).
/// </summary>
/// <param name="Folder">Where the natural images are.</param>
/// <param name="TrainImages">Natural training images (names or paths).</param>
/// <param name="TestImages">Held-out natural test images.</param>
/// <param name="FashionMnist">The Fashion-MNIST IDX image file whose first images join the training patches, or null for none.</param>
/// <param name="FashionMnistCount">How many of them (0: none).</param>
/// <param name="FashionMnistTest">The Fashion-MNIST IDX image file whose first images are denoising test images, or null.</param>
/// <param name="FashionMnistTestCount">How many of them (0: none).</param>
/// <param name="PatchSize">Side of the training patches (Fashion-MNIST images are 28×28, so at most 28 while they are used).</param>
/// <param name="PatchesPerImage">Patches cut from each natural training image.</param>
/// <param name="TestCrop">Side of the central square of each natural test image that is denoised (0: the whole image).</param>
/// <param name="TestNoiseLevels">Noise levels of the test (grey levels of 255).</param>
/// <param name="Seed">Seed of patch positions and test noise.</param>
internal sealed record DenoisingDataSettings(
    string Folder,
    IReadOnlyList<string> TrainImages,
    IReadOnlyList<string> TestImages,
    string? FashionMnist,
    int FashionMnistCount,
    string? FashionMnistTest,
    int FashionMnistTestCount,
    int PatchSize,
    int PatchesPerImage,
    int TestCrop,
    IReadOnlyList<double> TestNoiseLevels,
    long Seed);

/// <summary>One <c>Denoising:Denoisers:&lt;name&gt;</c> section: a network, how it is trained, and on how many threads.</summary>
/// <param name="Name">The section's name (the denoiser's name in reports and file names).</param>
/// <param name="Architecture">The network kind and its settings.</param>
/// <param name="DType">Parameter type while training.</param>
/// <param name="Seed">Initialisation seed.</param>
/// <param name="Threads">libtorch intra-op threads while training and testing.</param>
/// <param name="Training">Noise levels (grey levels of [0, 1] here), optimizer, schedule, epochs, batch size, seed.</param>
internal sealed record DenoiserSettings(string Name, IDenoiserArchitecture Architecture, ScalarType DType, ulong Seed, int Threads, DenoiserTrainingOptions Training);

/// <summary>The <c>Denoising</c> section: the shared data and the denoisers by name.</summary>
internal sealed record DenoisingSettings(DenoisingDataSettings Data, IReadOnlyList<DenoiserSettings> Denoisers)
{
    /// <summary>The denoiser of that name (case-insensitive).</summary>
    public DenoiserSettings? Find(string name) => Denoisers.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
}

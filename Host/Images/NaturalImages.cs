using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Images;

/// <summary>
/// The natural test images of scikit-image (Debian package <c>python3-skimage</c>, installed by
/// <c>scripts/setup.sh</c>), found by name in their folder, and the fixed split the denoisers use: camera, astronaut
/// (converted to grey) and coins are held out for testing — the usual test pictures of the denoising literature, one
/// portrait, one colour photograph, one scene of small objects — and twelve photographs of other kinds (textures,
/// animals, microscopy, astronomy, a street scene) are for training. Left out: near-duplicates (motorcycle_right),
/// synthetic and binary pictures (phantom, checkerboards, logos, horse) and scanned text (page, text).
/// </summary>
internal static class NaturalImages
{
    /// <summary>Where Debian installs scikit-image's data.</summary>
    public const string DefaultFolder = "/usr/lib/python3/dist-packages/skimage/data";

    /// <summary>The training images.</summary>
    public static IReadOnlyList<string> Training { get; } =
        ["brick", "cell", "chelsea", "coffee", "grass", "gravel", "hubble_deep_field", "ihc", "moon", "motorcycle_left", "retina", "rocket"];

    /// <summary>The held-out test images.</summary>
    public static IReadOnlyList<string> Test { get; } = ["camera", "astronaut", "coins"];

    /// <summary>
    /// The file of an image given by name (a file of the folder, .png or .jpg, without extension) or by path (anything
    /// with a directory separator or an extension); the error names the key, the folder and what is there.
    /// </summary>
    public static Validation<Error, string> Resolve(string folder, string nameOrPath, string key)
    {
        if (nameOrPath.Contains('/') || nameOrPath.Contains('\\') || Path.HasExtension(nameOrPath))
            return Success<Error, string>(nameOrPath);
        foreach (var extension in new[] { ".png", ".jpg", ".jpeg" })
        {
            var path = Path.Combine(folder, nameOrPath + extension);
            if (File.Exists(path)) return Success<Error, string>(path);
        }
        var hint = Directory.Exists(folder)
            ? "known here: " + string.Join(", ", Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
                .Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal))
            : $"the folder does not exist; install scikit-image's images with 'apt-get install python3-skimage' (scripts/setup.sh does)";
        return Fail<Error, string>(HostErrors.Configuration(key, $"no image '{nameOrPath}' (.png or .jpg) in '{folder}'; {hint}"));
    }
}

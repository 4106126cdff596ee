using System.Globalization;
using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// The unconstrained baseline denoiser, DnCNN-style: D(y) = y − N(y), where N is a plain CNN of <see cref="Depth"/>
/// convolutions (k×k, zero padding, stride 1): 1 → <see cref="Width"/> channels with ReLU, Depth − 2 times
/// Width → Width with ReLU, and Width → 1 without activation, so that N predicts the noise (residual learning).
/// Unlike the original it has biases and no batch normalisation (like the gradient-flow denoiser beside it), and nothing
/// bounds its Lipschitz constant: iterating it need not converge.
/// </summary>
/// <param name="Width">Feature channels (≥ 1; 64 in the original).</param>
/// <param name="Depth">Convolutions (≥ 2; 17 in the original).</param>
/// <param name="Kernel">Kernel side k (odd, ≥ 1; 3 in the original).</param>
/// <remarks>Zhang, Zuo, Chen, Meng, Zhang, "Beyond a Gaussian denoiser: residual learning of deep CNN for image denoising", IEEE TIP 26(7), 2017.</remarks>
public sealed record ResidualCnn(int Width = 32, int Depth = 7, int Kernel = 3) : IDenoiserArchitecture
{
    /// <summary>The architecture's name.</summary>
    public const string ArchitectureName = "dncnn";

    /// <inheritdoc/>
    public string Name => ArchitectureName;

    /// <summary>Number of trainable values: Σ (inputs·k² + 1)·outputs over the convolutions.</summary>
    public long ParameterCount =>
        (1L * Kernel * Kernel + 1) * Width + (Depth - 2) * ((long)Width * Kernel * Kernel + 1) * Width + ((long)Width * Kernel * Kernel + 1);

    /// <summary>Checks the settings, naming each problem.</summary>
    public Fin<ResidualCnn> Validate()
    {
        var problems = new List<string>();
        if (Width < 1) problems.Add($"width must be at least 1, got {Width}");
        if (Depth < 2) problems.Add($"depth must be at least 2 convolutions, got {Depth}");
        if (Kernel < 1 || Kernel % 2 == 0) problems.Add($"kernel must be odd and positive, got {Kernel}");
        return problems.Count == 0 ? FinSucc(this) : FinFail<ResidualCnn>(RobustNodeErrors.InvalidArgument("dncnn", string.Join("; ", problems)));
    }

    /// <inheritdoc/>
    public IReadOnlyList<KeyValuePair<string, string>> Describe() =>
    [
        new("architecture", ArchitectureName),
        new("architecture.width", Width.ToString(CultureInfo.InvariantCulture)),
        new("architecture.depth", Depth.ToString(CultureInfo.InvariantCulture)),
        new("architecture.kernel", Kernel.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>The architecture of a description written by <see cref="Describe"/>.</summary>
    internal static Fin<ResidualCnn> FromDescription(IReadOnlyDictionary<string, string> entries)
    {
        Fin<int> Read(string key) =>
            entries.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? FinSucc(value)
                : FinFail<int>(RobustNodeErrors.InvalidArgument(key, $"expected an integer in the description of a {ArchitectureName} denoiser, got '{text}'"));
        return from width in Read("architecture.width")
               from depth in Read("architecture.depth")
               from kernel in Read("architecture.kernel")
               from valid in new ResidualCnn(width, depth, kernel).Validate()
               select valid;
    }

    /// <inheritdoc/>
    public Fin<IBlock<Tensor>> Build(ulong seed, ScalarType dtype) =>
        Validate().Map(_ =>
        {
            using var generator = new Generator(seed);
            var layers = new List<IBlock<Tensor>> { ConvolutionBlock.Initialised(1, Width, Kernel, 1, Activation.Relu, generator, dtype) };
            for (int i = 0; i < Depth - 2; i++) layers.Add(ConvolutionBlock.Initialised(Width, Width, Kernel, 1, Activation.Relu, generator, dtype));
            layers.Add(ConvolutionBlock.Initialised(Width, 1, Kernel, 1, Activation.Identity, generator, dtype));
            return (IBlock<Tensor>)new SkipConnectionBlock<Tensor>(new Network<Tensor>(layers), -1.0);
        });
}

using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.Verbs;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Denoising;

/// <summary>The inverse problems of the pnp verb.</summary>
internal enum PnpProblem
{
    /// <summary>Gaussian blur plus Gaussian noise.</summary>
    Deblur,
    /// <summary>Randomly missing pixels (plus noise, if asked).</summary>
    Inpaint,
}

/// <summary>
/// The options of <c>robustnode pnp</c>, checked all at once. Noise levels are in grey levels of 255 (2.55 means σ = 0.01).
/// </summary>
/// <param name="Denoisers">Checkpoint files of trained denoisers.</param>
/// <param name="Problem">deblur or inpaint.</param>
/// <param name="Images">Image names or paths (null: the Denoising:Data:TestImages).</param>
/// <param name="Out">The output folder (null: &lt;Output:Folder&gt;/pnp-&lt;problem&gt;).</param>
/// <param name="Crop">Side of the central square reconstructed (0: the whole image).</param>
/// <param name="Iterations">Most iterations.</param>
/// <param name="Tolerance">Residual tolerance.</param>
/// <param name="StepSize">γ (null: 1/L).</param>
/// <param name="Noise">Measurement noise level (null: 2.55 for deblur, 0 for inpaint).</param>
/// <param name="BlurWidth">Standard deviation of the blur kernel, pixels.</param>
/// <param name="Missing">Fraction of missing pixels.</param>
/// <param name="Applications">How often each denoiser is applied to its own output.</param>
/// <param name="SelfNoise">Noise level of the self-application's start (null: the first level the denoiser was trained at).</param>
/// <param name="Seed">Seed of masks and noise.</param>
internal sealed record PnpRequest(
    IReadOnlyList<string> Denoisers, PnpProblem Problem, IReadOnlyList<string>? Images, string? Out, int Crop, int Iterations, double Tolerance,
    double? StepSize, double? Noise, double BlurWidth, double Missing, int Applications, double? SelfNoise, long Seed)
{
    /// <summary>The options of the verb's descriptor.</summary>
    public static IReadOnlyList<VerbOption> Options { get; } =
    [
        new("denoiser", "FILE[,FILE…]", "trained denoisers (models/<name>.ckpt of train-denoiser runs), compared side by side", Required: true),
        new("problem", "deblur|inpaint", "Gaussian blur + noise, or randomly missing pixels", Required: true),
        new("image", "NAME|PATH[,…]", "natural images by name (camera, coins, …) or PNG/JPEG paths (default: Denoising:Data:TestImages)"),
        new("out", "FOLDER", "where the report and figures go (default: <Output:Folder>/pnp-<problem>)"),
        new("crop", "N", "reconstruct the central N×N square (default 128; 0: the whole image)"),
        new("iterations", "N", "most iterations (default 300)"),
        new("tolerance", "T", "stop when every ‖x_{k+1} − x_k‖ ≤ T (default 1e-6)"),
        new("step", "GAMMA", "step size γ, below 2/L (default 1/L; L = 1 for both problems)"),
        new("noise", "LEVEL", "measurement noise in grey levels of 255 (default 2.55 for deblur, i.e. σ = 0.01; 0 for inpaint)"),
        new("blur", "WIDTH", "deblur: standard deviation of the Gaussian kernel in pixels (default 1.6)"),
        new("missing", "FRACTION", "inpaint: fraction of missing pixels (default 0.5)"),
        new("applications", "N", "apply each denoiser N times to its own output (default 100)"),
        new("self-noise", "LEVEL", "noise level of the self-application's start (default: the denoiser's training level)"),
        new("seed", "N", "seed of the mask and the noise (default 1)"),
    ];

    /// <summary>The request, or every problem with the options.</summary>
    public static Validation<Error, PnpRequest> Parse(VerbArguments a)
    {
        var denoisers = List(a["denoiser"], "--denoiser");
        var problem = a["problem"]?.Trim().ToLowerInvariant() switch
        {
            "deblur" => Success<Error, PnpProblem>(PnpProblem.Deblur),
            "inpaint" => Success<Error, PnpProblem>(PnpProblem.Inpaint),
            _ => Fail<Error, PnpProblem>(HostErrors.CommandLine("--problem", $"expected deblur or inpaint, got '{a["problem"]}'")),
        };
        var images = a["image"] is null ? Success<Error, Option<IReadOnlyList<string>>>(None) : List(a["image"], "--image").Map(Some);
        var sizes = (Integer(a["crop"], "--crop", 128, 0), Integer(a["iterations"], "--iterations", 300, 1), Integer(a["applications"], "--applications", 100, 1))
            .Apply((crop, iterations, applications) => (crop, iterations, applications));
        var numbers = (Number(a["tolerance"], "--tolerance", 0, false), Number(a["step"], "--step", 0, true), Number(a["noise"], "--noise", 0, false),
                Number(a["blur"], "--blur", 0, true), Number(a["missing"], "--missing", 0, false), Number(a["self-noise"], "--self-noise", 0, false))
            .Apply((tolerance, step, noise, blur, missing, self) => new Numbers(tolerance, step, noise, blur, missing, self));
        var checkedNumbers = numbers.Bind(n =>
        {
            var problems = new List<Error>();
            if (n.Missing.Exists(m => m >= 1)) problems.Add(HostErrors.CommandLine("--missing", $"must lie in [0, 1), got {n.Missing.Map(m => m.ToString(CultureInfo.InvariantCulture)).IfNone("")}"));
            if (n.Noise.Exists(v => v >= 255)) problems.Add(HostErrors.CommandLine("--noise", "must be below 255 (grey levels of 255)"));
            if (n.Self.Exists(v => v >= 255)) problems.Add(HostErrors.CommandLine("--self-noise", "must be below 255 (grey levels of 255)"));
            return problems.Count == 0 ? Success<Error, Numbers>(n) : Fail<Error, Numbers>(Seq(problems));
        });
        var seed = a["seed"] is null ? Success<Error, long>(1)
            : long.TryParse(a["seed"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? Success<Error, long>(s)
            : Fail<Error, long>(HostErrors.CommandLine("--seed", $"expected an integer, got '{a["seed"]}'"));
        return (denoisers, problem, images, sizes, checkedNumbers, seed).Apply((d, p, i, z, n, sd) => new PnpRequest(d, p, i.MatchUnsafe(l => l, () => null), a["out"],
            z.crop, z.iterations, n.Tolerance.IfNone(1e-6), Nullable(n.Step), Nullable(n.Noise), n.Blur.IfNone(1.6), n.Missing.IfNone(0.5), z.applications,
            Nullable(n.Self), sd));
    }

    /// <summary>The measurement noise level σ in grey levels of [0, 1].</summary>
    public double NoiseSigma => (Noise ?? (Problem == PnpProblem.Deblur ? 2.55 : 0)) / 255;

    private static Validation<Error, IReadOnlyList<string>> List(string? text, string option)
    {
        var items = (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return items.Length > 0 ? Success<Error, IReadOnlyList<string>>(items) : Fail<Error, IReadOnlyList<string>>(HostErrors.CommandLine(option, "expected at least one entry"));
    }

    private static Validation<Error, int> Integer(string? text, string option, int fallback, int min) =>
        text is null ? Success<Error, int>(fallback)
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min ? Success<Error, int>(v)
        : Fail<Error, int>(HostErrors.CommandLine(option, $"expected an integer of at least {min}, got '{text}'"));

    private static Validation<Error, Option<double>> Number(string? text, string option, double min, bool exclusive) =>
        text is null ? Success<Error, Option<double>>(None)
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && (exclusive ? v > min : v >= min)
            ? Success<Error, Option<double>>(Some(v))
            : Fail<Error, Option<double>>(HostErrors.CommandLine(option, $"expected a {(exclusive ? "positive" : "non-negative")} number, got '{text}'"));

    private static double? Nullable(Option<double> value) => value.MatchUnsafe(v => (double?)v, () => null);
}

/// <summary>The optional numbers of the command line, as given.</summary>
internal sealed record Numbers(Option<double> Tolerance, Option<double> Step, Option<double> Noise, Option<double> Blur, Option<double> Missing, Option<double> Self);

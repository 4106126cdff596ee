using System.Globalization;
using System.Text;
using LanguageExt;
using RobustNode.Host.Schemas;
using RobustNode.Training.Denoising;

namespace RobustNode.Host.Reports;

/// <summary>What a train-denoiser run reports: the network, its data and training, and its PSNR on the held-out images.</summary>
/// <param name="Run">The run's folder name.</param>
/// <param name="Denoiser">The denoiser's name (its section).</param>
/// <param name="Finished">When the run ended.</param>
/// <param name="Architecture">The architecture's description entries.</param>
/// <param name="Parameters">Number of trainable values.</param>
/// <param name="DType">Parameter type.</param>
/// <param name="Patches">Description of the training patches.</param>
/// <param name="PatchCount">Number of patches.</param>
/// <param name="PatchSize">Patch side.</param>
/// <param name="NoiseLevels">Training noise levels (grey levels of [0, 1]).</param>
/// <param name="ResumedFrom">The epoch the run resumed at, if it did.</param>
/// <param name="History">Every epoch's metrics.</param>
/// <param name="Scores">PSNR on the natural test images, image-major, every test level.</param>
/// <param name="FashionScores">PSNR on the Fashion-MNIST test images.</param>
/// <param name="LipschitzBound">The architecture's Lipschitz bound of the trained network, if it proves one.</param>
/// <param name="Averagedness">The architecture's averagedness of the trained network, if it proves one.</param>
/// <param name="Settings">The checkpoint's fingerprint entries.</param>
/// <param name="ModelFile">The model file, relative to the run folder.</param>
/// <param name="Plots">The plot files.</param>
internal sealed record DenoiserReport(
    string Run, string Denoiser, DateTimeOffset Finished,
    IReadOnlyList<KeyValuePair<string, string>> Architecture, long Parameters, string DType,
    string Patches, int PatchCount, int PatchSize, IReadOnlyList<double> NoiseLevels,
    int? ResumedFrom, IReadOnlyList<DenoisingEpoch> History,
    IReadOnlyList<DenoisingScore> Scores, IReadOnlyList<DenoisingScore> FashionScores,
    Option<double> LipschitzBound, Option<double> Averagedness,
    IReadOnlyList<KeyValuePair<string, string>> Settings, string ModelFile, IReadOnlyList<string> Plots)
{
    /// <summary>The test noise levels, in order of first appearance.</summary>
    public IReadOnlyList<double> TestLevels => Scores.Concat(FashionScores).Select(s => s.NoiseLevel).Distinct().ToArray();

    /// <summary>Mean noisy and denoised PSNR over a set of scores at one level.</summary>
    public static (double Noisy, double Denoised) Mean(IEnumerable<DenoisingScore> scores, double level)
    {
        var at = scores.Where(s => s.NoiseLevel == level).ToArray();
        return at.Length == 0 ? (double.NaN, double.NaN) : (at.Average(s => s.NoisyPsnr), at.Average(s => s.DenoisedPsnr));
    }

    /// <summary>The median wall time of an epoch, seconds (NaN without epochs).</summary>
    public double MedianEpochSeconds
    {
        get
        {
            var s = History.Select(h => h.WallTime.TotalSeconds).Order().ToArray();
            return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }
    }

    /// <summary>"dncnn(width=32, depth=7, kernel=3)".</summary>
    public string ArchitectureText =>
        (Architecture.FirstOrDefault(e => e.Key == "architecture").Value ?? "?") + "(" +
        string.Join(", ", Architecture.Where(e => e.Key.StartsWith("architecture.", StringComparison.Ordinal)).Select(e => $"{e.Key["architecture.".Length..]}={e.Value}")) + ")";

    /// <summary>A noise level in grey levels of 255, as text.</summary>
    public static string Level255(double sigma) => (sigma * 255).ToString("G4", CultureInfo.InvariantCulture);

    /// <summary><c>report.json</c> (<see cref="DenoiserReportFile"/>).</summary>
    public byte[] Json() => JsonFiles.Write(File(), JsonFiles.Default.DenoiserReportFile);

    /// <summary>The report as its schema record.</summary>
    public DenoiserReportFile File()
    {
        var settings = new Dictionary<string, string>();
        foreach (var (key, value) in Settings) settings[key] = value;
        return new DenoiserReportFile(Run, Denoiser, Finished,
            new DenoiserModelJson(ArchitectureText, Architecture.FirstOrDefault(e => e.Key == "architecture").Value ?? "",
                Architecture.Where(e => e.Key.StartsWith("architecture.", StringComparison.Ordinal)).ToDictionary(e => e.Key["architecture.".Length..], e => e.Value),
                Parameters, DType, Nullable(LipschitzBound), Nullable(Averagedness), ModelFile),
            new DenoiserDataJson(Patches, PatchCount, PatchSize),
            new DenoiserTrainingJson(NoiseLevels.Select(l => Math.Round(l * 255, 6)).ToArray(), History.Count == 0 ? 0 : History[^1].Epoch + 1, ResumedFrom,
                MedianEpochSeconds, History.Select(DenoisingEpochJson.From).ToArray()),
            new DenoiserTestJson("grey levels of 255", ScoresJson(Scores, perImage: true), ScoresJson(FashionScores, perImage: false)),
            settings, Plots);
    }

    private static DenoiserScoresJson ScoresJson(IReadOnlyList<DenoisingScore> scores, bool perImage) =>
        new(scores.Select(s => s.Image).Distinct().Count(),
            scores.Select(s => s.NoiseLevel).Distinct().Select(level =>
            {
                var (noisy, denoised) = Mean(scores, level);
                return new MeanScoreJson(Math.Round(level * 255, 6), noisy, denoised);
            }).ToArray(),
            perImage ? scores.Select(DenoisingScoreJson.From).ToArray() : null);

    private static double? Nullable(Option<double> value) => value.MatchUnsafe(v => (double?)v, () => null);

    /// <summary>The PSNR table in markdown: one row per test image (and the means), noisy / denoised per level.</summary>
    public string Table()
    {
        var text = new StringBuilder();
        var levels = TestLevels;
        text.AppendLine("| image | " + string.Join(" | ", levels.Select(l => $"σ = {Level255(l)}/255: noisy → denoised (dB)")) + " |");
        text.AppendLine("|---|" + string.Concat(levels.Select(_ => "---:|")));
        foreach (var image in Scores.Select(s => s.Image).Distinct())
            text.AppendLine($"| {image} | " + string.Join(" | ", levels.Select(l => Cell(Scores.Where(s => s.Image == image), l))) + " |");
        if (Scores.Count > 0) text.AppendLine("| **mean** | " + string.Join(" | ", levels.Select(l => "**" + Cell(Scores, l) + "**")) + " |");
        if (FashionScores.Count > 0)
            text.AppendLine($"| Fashion-MNIST (mean of {FashionScores.Select(s => s.Image).Distinct().Count()}) | " + string.Join(" | ", levels.Select(l => Cell(FashionScores, l))) + " |");
        return text.ToString();
    }

    private static string Cell(IEnumerable<DenoisingScore> scores, double level)
    {
        var (noisy, denoised) = Mean(scores, level);
        return double.IsNaN(noisy) ? "—" : string.Create(CultureInfo.InvariantCulture, $"{noisy:F2} → {denoised:F2}");
    }

    /// <summary><c>report.md</c>.</summary>
    public byte[] Markdown()
    {
        var text = new StringBuilder();
        text.AppendLine($"# Denoiser `{Denoiser}` (run `{Run}`)");
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{ArchitectureText}, {Parameters:N0} parameters ({DType}), trained at σ = {string.Join(", ", NoiseLevels.Select(Level255))}/255 on {PatchCount:N0} patches of {PatchSize}×{PatchSize}: {Patches}."));
        text.AppendLine();
        text.AppendLine("Lipschitz bound: " + LipschitzBound.Match(l => l.ToString("G6", CultureInfo.InvariantCulture), () => "none proven")
            + "; averagedness: " + Averagedness.Match(a => a.ToString("G6", CultureInfo.InvariantCulture), () => "none proven") + ".");
        text.AppendLine();
        text.AppendLine("## PSNR on the held-out test images");
        text.AppendLine();
        text.Append(Table());
        text.AppendLine();
        text.AppendLine("## Training");
        text.AppendLine();
        if (History.Count > 0)
        {
            var last = History[^1];
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{last.Epoch + 1} epochs{(ResumedFrom is { } r ? $" (resumed at epoch {r})" : "")}; last epoch: MSE {last.Loss:E3} ({last.Psnr:F2} dB, noisy patches {last.NoisyPsnr:F2} dB); median {MedianEpochSeconds:F1} s per epoch."));
            text.AppendLine();
        }
        text.AppendLine($"Model: `{ModelFile}`.");
        text.AppendLine();
        foreach (var p in Plots) text.AppendLine($"![{p}]({p})");
        text.AppendLine();
        text.AppendLine("## Settings");
        text.AppendLine();
        text.AppendLine("| key | value |");
        text.AppendLine("|---|---|");
        foreach (var (key, value) in Settings) text.AppendLine($"| {key} | `{value}` |");
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}

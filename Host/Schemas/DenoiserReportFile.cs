using System.Text.Json.Serialization;
using RobustNode.Training.Denoising;

namespace RobustNode.Host.Schemas;

/// <summary>
/// <c>report.json</c> of <c>train-denoiser</c>: <c>run</c>, <c>denoiser</c>, <c>finished</c>, <c>model</c>,
/// <c>data</c>, <c>training</c>, <c>test</c> (PSNR of the held-out images and of the Fashion-MNIST test images; noise
/// levels in grey levels of 255), <c>settings</c> (the checkpoint's fingerprint) and <c>plots</c>.
/// </summary>
internal sealed record DenoiserReportFile(
    string Run,
    string Denoiser,
    DateTimeOffset Finished,
    DenoiserModelJson Model,
    DenoiserDataJson Data,
    DenoiserTrainingJson Training,
    DenoiserTestJson Test,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<string> Plots);

/// <summary>
/// The network: <c>{ "description", "architecture", "architectureSettings", "parameters", "dtype", "lipschitzBound",
/// "averagedness", "file" }</c> — the bounds null when the architecture proves none.
/// </summary>
internal sealed record DenoiserModelJson(
    string Description,
    string Architecture,
    IReadOnlyDictionary<string, string> ArchitectureSettings,
    long Parameters,
    string DType,
    double? LipschitzBound,
    double? Averagedness,
    string File);

/// <summary>The training patches: <c>{ "patches" (their description), "count", "patchSize" }</c>.</summary>
internal sealed record DenoiserDataJson(string Patches, int Count, int PatchSize);

/// <summary>
/// How the denoiser was trained: <c>{ "noiseLevels" (grey levels of 255), "epochs", "resumedFrom" (null for a fresh
/// run), "medianSecondsPerEpoch", "history" }</c>.
/// </summary>
internal sealed record DenoiserTrainingJson(IReadOnlyList<double> NoiseLevels, int Epochs, int? ResumedFrom, double MedianSecondsPerEpoch,
    IReadOnlyList<DenoisingEpochJson> History);

/// <summary>The test: <c>{ "noiseLevelUnit", "images", "fashionMnist" }</c>.</summary>
internal sealed record DenoiserTestJson(string NoiseLevelUnit, DenoiserScoresJson Images, DenoiserScoresJson FashionMnist);

/// <summary>Scores of a set of test images: <c>{ "count", "mean" (per level), "scores" (per image and level; absent for Fashion-MNIST) }</c>.</summary>
internal sealed record DenoiserScoresJson(
    int Count,
    IReadOnlyList<MeanScoreJson> Mean,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<DenoisingScoreJson>? Scores = null);

/// <summary>One image at one noise level: <c>{ "image", "noiseLevel", "noisyPsnr", "denoisedPsnr" }</c> (dB).</summary>
internal sealed record DenoisingScoreJson(string Image, double NoiseLevel, double NoisyPsnr, double DenoisedPsnr)
{
    /// <summary>A score, its noise level in grey levels of 255.</summary>
    public static DenoisingScoreJson From(DenoisingScore s) => new(s.Image, Math.Round(s.NoiseLevel * 255, 6), s.NoisyPsnr, s.DenoisedPsnr);
}

/// <summary>Mean PSNR over the images at one noise level: <c>{ "noiseLevel", "noisyPsnr", "denoisedPsnr" }</c>.</summary>
internal sealed record MeanScoreJson(double NoiseLevel, double NoisyPsnr, double DenoisedPsnr);

/// <summary>
/// One epoch of a denoiser's training (<c>checkpoints/&lt;denoiser&gt;.history.json</c> is an array of them, and so is
/// <c>training.history</c> in report.json): <c>{ "epoch" (from 1), "loss", "psnr", "noisyLoss", "noisyPsnr",
/// "learningRate", "batches", "samples", "seconds" }</c>; losses are mean squared errors per pixel.
/// </summary>
internal sealed record DenoisingEpochJson(int Epoch, double Loss, double Psnr, double NoisyLoss, double NoisyPsnr, double LearningRate, int Batches, int Samples,
    double Seconds)
{
    /// <summary>An epoch's metrics (seconds rounded to 0.1 ms).</summary>
    public static DenoisingEpochJson From(DenoisingEpoch m) =>
        new(m.Epoch + 1, m.Loss, m.Psnr, m.NoisyLoss, m.NoisyPsnr, m.LearningRate, m.Batches, m.Samples, Math.Round(m.WallTime.TotalSeconds, 4));

    /// <summary>The metrics again (epochs counted from 0).</summary>
    public DenoisingEpoch ToEpoch() =>
        new(Epoch - 1, Loss, NoisyLoss, LearningRate, Batches, Samples, TimeSpan.FromSeconds(double.IsFinite(Seconds) ? Seconds : 0));
}

using System.Diagnostics;
using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Denoising;
using RobustNode.Host.IO;
using RobustNode.Host.Reports;
using RobustNode.Host.Runs;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Denoising;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode train-denoiser --denoiser NAME [--name RUN] [--resume]</c>: trains the denoiser of section
/// <c>Denoising:Denoisers:&lt;NAME&gt;</c> on noisy patches of the training images (checkpointing after every epoch),
/// measures its PSNR on the held-out test images at every test noise level, and writes
/// <c>&lt;Output:Folder&gt;/&lt;run&gt;/</c>: <c>models/&lt;NAME&gt;.ckpt</c> (what <c>pnp --denoiser</c> reads),
/// <c>report.json</c>, <c>report.md</c>, <c>training.png</c> and <c>denoised.png</c>. The <c>Denoising</c> section is
/// validated before anything is loaded; bad settings, images or checkpoints exit with 2, a failed training with 3.
/// Results are written at the end, each atomically.
/// </summary>
internal sealed class TrainDenoiserVerb(OutputSettings output, TorchRuntime torch, IConfiguration configuration, HostConsole console, ILogger<TrainDenoiserVerb> log) : IVerb
{
    private readonly VerbConsole _console = new(Descriptor.Name, console);

    /// <inheritdoc/>
    public static VerbDescriptor Descriptor { get; } = new("train-denoiser", "train a denoiser of the Denoising section on noisy image patches and measure its PSNR",
    [
        new VerbOption("denoiser", "NAME", "a denoiser of the Denoising:Denoisers section, e.g. dncnn-25", Required: true),
        new VerbOption("name", "RUN", "the run's folder under Output:Folder (default: the denoiser's name)"),
        new VerbOption("resume", null, "continue from the run's last checkpoint"),
    ]);

    /// <inheritdoc/>
    public int Run(VerbArguments arguments)
    {
        var clock = Stopwatch.StartNew();
        bool resume = arguments["resume"] == "true";
        var settings = DenoisingSettingsReader.Read(configuration, torch.Threads);
        if (settings.IsFail) return _console.Invalid("invalid configuration", settings.FailToSeq());
        var all = (DenoisingSettings)settings.SuccessToSeq().Head;
        var name = arguments["denoiser"]!;
        var denoiser = all.Find(name);
        if (denoiser is null)
            return _console.Invalid("invalid command line", Seq1(HostErrors.CommandLine("--denoiser",
                $"no denoiser '{name}' in the {DenoisingSettingsReader.Section}:Denoisers section; known: {string.Join(", ", all.Denoisers.Select(d => d.Name))}")));
        var folderResult = RunFolder.For(output.Folder, arguments["name"] ?? denoiser.Name);
        if (folderResult.IsFail) return _console.Invalid("invalid command line", folderResult.FailToSeq());
        var folder = (RunFolder)folderResult.SuccessToSeq().Head;
        SavedModel.UseThreads(denoiser.Threads);

        var loaded = DenoisingData.Load(all.Data, denoiser.DType);
        if (loaded.IsFail) return _console.Invalid("cannot load the denoising data", loaded.FailToSeq());
        var data = (DenoisingData)loaded.SuccessToSeq().Head;
        log.LogInformation("Denoiser {Denoiser}: {Patches} training patches of {Size}×{Size}; {Test} test images, {Fashion} Fashion-MNIST test images",
            denoiser.Name, data.Patches.Count, data.Patches.Size, data.Patches.Size, data.TestImages.Count, data.FashionTest.Count);
        int cleaned = RunPublication.Clean(folder);
        if (cleaned > 0) log.LogInformation("Removed {Count} temporary file(s) or folder(s) an interrupted run left in or beside {Folder}", cleaned, folder.Path);
        var writable = folder.EnsureWritable();
        if (writable.IsFail) return _console.Invalid("cannot write the run", writable.FailToSeq());

        var prepared = Prepare(denoiser, data, folder, resume);
        if (prepared.IsFail) return _console.Invalid($"cannot {(resume ? "resume" : "start")} run '{Path.GetFileName(folder.Path)}'", prepared.FailToSeq());
        var (state, fingerprint, earlier) = ((TrainingState<TorchSharp.torch.Tensor>, ConfigurationFingerprint, IReadOnlyList<DenoisingEpoch>))prepared.SuccessToSeq().Head;
        using var _ = state;
        int resumedFrom = state.Epoch;

        var history = earlier.ToList();
        var progress = new EpochProgress(console, denoiser.Name, denoiser.Training.Epochs);
        foreach (var epoch in DenoiserTrainer.Epochs(state, denoiser.Architecture, data.Patches, denoiser.Training, progress))
        {
            if (epoch.IsFail) return Failed($"training {denoiser.Name}", epoch.Match(Succ: _ => Error.New(""), Fail: e => e));
            var m = (DenoisingEpoch)epoch;
            history.Add(m);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{denoiser.Name} epoch {m.Epoch + 1}/{denoiser.Training.Epochs}: MSE {m.Loss:E3}, PSNR {m.Psnr:F2} dB (noisy {m.NoisyPsnr:F2} dB), {m.WallTime.TotalSeconds:F1} s");
            console.Error.WriteLine(console.Interactive ? "\r" + line + "          " : line);
            try
            {
                CheckpointFile.Write(folder.Checkpoint(denoiser.Name), state, fingerprint);
                DenoisingHistory.Write(folder.History(denoiser.Name), history);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                console.Problem($"robustnode train-denoiser: cannot write the checkpoint to '{folder.Checkpoints}': {ex.Message}");
                return ExitCodes.InvalidInput;
            }
        }
        return Report(denoiser, all.Data, data, folder, state, fingerprint, history, resume && resumedFrom > 0 ? resumedFrom : null, clock);
    }

    private Validation<Error, (TrainingState<TorchSharp.torch.Tensor>, ConfigurationFingerprint, IReadOnlyList<DenoisingEpoch>)> Prepare(DenoiserSettings denoiser, DenoisingData data, RunFolder folder, bool resume)
    {
        var fingerprint = DenoiserCheckpoint.Fingerprint(denoiser.Name, denoiser.Architecture, denoiser.DType, denoiser.Seed, data.Patches, denoiser.Training);
        var template = denoiser.Architecture.Build(denoiser.Seed, denoiser.DType).ToValidation();
        var checkpoint = folder.Checkpoint(denoiser.Name);
        if (!resume || !File.Exists(checkpoint))
        {
            if (resume) log.LogInformation("{Denoiser}: no checkpoint at {Path}; training from the start", denoiser.Name, checkpoint);
            return template.Bind(network => DenoiserTrainer.Start(network, denoiser.Training).ToValidation())
                .Map(state => (state, fingerprint, (IReadOnlyList<DenoisingEpoch>)[]));
        }
        return (template, CheckpointFile.Read(checkpoint)).Apply((t, c) => (t, c))
            .Bind(x => DenoiserCheckpoint.Resume(x.c, x.t, denoiser.Training, fingerprint).ToValidation().MapFail(e => HostErrors.File(checkpoint, e.Message)))
            .Bind(state => state.Epoch <= denoiser.Training.Epochs
                ? Success<Error, TrainingState<TorchSharp.torch.Tensor>>(state)
                : Fail<Error, TrainingState<TorchSharp.torch.Tensor>>(HostErrors.File(checkpoint, $"the checkpoint is at epoch {state.Epoch}, beyond the {denoiser.Training.Epochs} epochs this run asks for (Training:Epochs)")))
            .Map(state =>
            {
                var path = folder.History(denoiser.Name);
                IReadOnlyList<DenoisingEpoch> earlier = File.Exists(path)
                    ? DenoisingHistory.Read(path).Match(Succ: h => h.Where(m => m.Epoch < state.Epoch).ToArray(), Fail: _ => [])
                    : [];
                return (state, fingerprint, earlier);
            });
    }

    private int Report(DenoiserSettings denoiser, DenoisingDataSettings settings, DenoisingData data, RunFolder folder, TrainingState<TorchSharp.torch.Tensor> state, ConfigurationFingerprint fingerprint,
        IReadOnlyList<DenoisingEpoch> history, int? resumedFrom, Stopwatch clock)
    {
        var trained = new TrainedDenoiser(denoiser.Name, denoiser.Architecture, state.Model);
        var d = trained.In(denoiser.DType);
        var levels = settings.TestNoiseLevels.Select(l => l / 255.0).ToArray();
        var natural = DenoisingEvaluation.Run(d, data.TestImages, levels, (i, l) => DenoisingData.TestNoiseSeed(settings.Seed, i, l), denoiser.DType);
        if (natural.IsFail) return Failed("the test", natural.Match(Succ: _ => Error.New(""), Fail: e => e));
        var fashion = DenoisingEvaluation.Scores(d, data.FashionTest, levels, (i, l) => DenoisingData.TestNoiseSeed(settings.Seed + 1, i, l), denoiser.DType);
        if (fashion.IsFail) return Failed("the Fashion-MNIST test", fashion.Match(Succ: _ => Error.New(""), Fail: e => e));
        var (scores, images) = ((IReadOnlyList<DenoisingScore>, IReadOnlyList<(GreyImage Noisy, GreyImage Denoised)>))natural;

        // One row per image: the clean image, then noisy and denoised at every test level.
        var grid = new List<CaptionedImage>();
        for (int k = 0; k < scores.Count; k++)
        {
            var s = scores[k];
            if (k % levels.Length == 0) grid.Add(new CaptionedImage(data.TestImages[k / levels.Length].ToArray(), $"{s.Image}: clean"));
            string level = DenoiserReport.Level255(s.NoiseLevel);
            grid.Add(new CaptionedImage(images[k].Noisy.ToArray(), string.Create(CultureInfo.InvariantCulture, $"σ = {level}/255: {s.NoisyPsnr:F2} dB")));
            grid.Add(new CaptionedImage(images[k].Denoised.ToArray(), string.Create(CultureInfo.InvariantCulture, $"denoised: {s.DenoisedPsnr:F2} dB")));
        }
        var files = new List<(string Name, byte[] Bytes)>
        {
            ("training.png", DenoisingCurvesPlot.Render(denoiser.Name, history)),
            ("denoised.png", ImageGridPlot.Render(grid, 1 + 2 * levels.Length, $"{denoiser.Name}: held-out test images", 220)),
        };
        var modelFile = Path.Combine("models", denoiser.Name + ".ckpt");
        var report = new DenoiserReport(Path.GetFileName(folder.Path), denoiser.Name, DateTimeOffset.UtcNow,
            denoiser.Architecture.Describe(), state.Parameters.Sum(p => p.numel()), denoiser.DType.ToString(),
            data.Patches.Name, data.Patches.Count, data.Patches.Size, denoiser.Training.NoiseLevels, resumedFrom, history,
            scores, fashion.Match(Succ: f => f, Fail: _ => []), d.LipschitzBound, d.Averagedness, fingerprint.Entries, modelFile, files.Select(f => f.Name).ToArray());
        try
        {
            // All or nothing: the results go to a new folder that replaces the run folder in one step (checkpoints kept).
            RunPublication.Publish(folder, staged =>
            {
                CheckpointFile.Write(staged.File(modelFile), state, fingerprint);
                foreach (var (file, bytes) in files) AtomicFile.WriteAllBytes(staged.File(file), bytes);
                AtomicFile.WriteAllBytes(staged.ReportJson, report.Json());
                AtomicFile.WriteAllBytes(staged.ReportMarkdown, report.Markdown());
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            console.Problem($"robustnode train-denoiser: cannot write the results to '{folder.Path}': {ex.Message}");
            return ExitCodes.InvalidInput;
        }
        console.Out.Write(report.Table());
        log.LogInformation("Run {Run} finished in {Seconds:F1} s; wrote {Model}, {Report}, {Markdown} and {Plots}",
            report.Run, clock.Elapsed.TotalSeconds, folder.File(modelFile), folder.ReportJson, folder.ReportMarkdown, string.Join(", ", report.Plots));
        return ExitCodes.Success;
    }

    private int Failed(string what, Error error) => _console.Failed(what, error);
}

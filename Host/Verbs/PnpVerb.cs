using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.Denoising;
using RobustNode.Host.Images;
using RobustNode.Host.IO;
using RobustNode.Host.Reports;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Verbs;

/// <summary>
/// <c>robustnode pnp --denoiser FILE[,FILE…] --problem deblur|inpaint [--image NAME|PATH[,…]] [--out FOLDER] …</c>:
/// Plug-and-Play reconstruction with trained denoisers side by side. Each image (by default the held-out test images of
/// <c>Denoising:Data</c>, centre-cropped) is blurred and noised, or loses random pixels; every denoiser reconstructs it
/// by forward–backward splitting, is applied 100 times to its own output, and has its averagedness tested on random
/// pairs. Writes <c>report.json</c>, <c>report.md</c>, <c>reconstructions.png</c> (clean, degraded, one
/// reconstruction per denoiser), <c>convergence.png</c> (PSNR and residual per iteration) and
/// <c>self-application.png</c> into the output folder, each atomically; prints the summary table. Bad options, images or
/// checkpoints exit with 2 before anything is computed; a failed iteration exits with 3.
/// </summary>
internal sealed class PnpVerb(OutputSettings output, TorchRuntime torch, IConfiguration configuration, HostConsole console, ILogger<PnpVerb> log) : IVerb
{
    private readonly VerbConsole _console = new(Descriptor.Name, console);

    /// <inheritdoc/>
    public static VerbDescriptor Descriptor { get; } = new("pnp",
        "Plug-and-Play deblurring or inpainting with trained denoisers: PSNR and fixed-point residual per iteration, 100-fold self-application",
        PnpRequest.Options);

    /// <inheritdoc/>
    public int Run(VerbArguments arguments)
    {
        var parsed = PnpRequest.Parse(arguments).Bind(r => PnpRun.Options(r).Map(o => (r, o)));
        if (parsed.IsFail) return _console.Invalid("invalid command line", parsed.FailToSeq());
        var (request, options) = ((PnpRequest, Training.Reconstruction.PnpOptions))parsed.SuccessToSeq().Head;
        var data = DenoisingSettingsReader.Read(configuration, torch.Threads).Map(s => s.Data);
        if (data.IsFail) return _console.Invalid("invalid configuration", data.FailToSeq());
        var dataSettings = (DenoisingDataSettings)data.SuccessToSeq().Head;

        var inputs = (request.Denoisers.Select(SavedDenoiser.Load).Sequence(), Images(request, dataSettings)).Apply((d, i) => (d.ToArray(), i));
        if (inputs.IsFail) return _console.Invalid("cannot read the input", inputs.FailToSeq());
        var (denoisers, images) = ((SavedDenoiser[], IReadOnlyList<Training.Denoising.GreyImage>))inputs.SuccessToSeq().Head;
        var names = denoisers.GroupBy(d => d.Denoiser.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (names.Length > 0)
            return _console.Invalid("invalid command line", Seq1(HostErrors.CommandLine("--denoiser", $"two denoisers are named {string.Join(", ", names)}; give each run its own denoiser name")));

        var folder = request.Out ?? Path.Combine(output.Folder, request.Problem == PnpProblem.Deblur ? "pnp-deblur" : "pnp-inpaint");
        var writable = Writable(folder);
        if (writable.IsFail) return _console.Invalid("cannot write the results", writable.FailToSeq());
        log.LogInformation("Plug-and-Play {Problem} of {Images} with {Denoisers}", request.Problem, string.Join(", ", images.Select(i => $"{i.Name} ({i.Height}×{i.Width})")),
            string.Join(", ", denoisers.Select(d => d.Denoiser.Name)));

        var outcome = new PnpRun(request, denoisers, images, log).Run(options);
        if (outcome.IsFail) return _console.Failed("plug-and-play", outcome.Match(Succ: _ => Error.New(""), Fail: e => e));
        var o = (PnpOutcome)outcome;
        var files = new List<(string Name, byte[] Bytes)>
        {
            ("reconstructions.png", Grid(o)),
            ("convergence.png", ConvergencePlot.PlugAndPlay(o)),
            ("self-application.png", ConvergencePlot.SelfApplication(o)),
        };
        var plots = files.Select(f => f.Name).ToArray();
        files.Add(("report.json", PnpReport.Json(o, plots)));
        files.Add(("report.md", PnpReport.Markdown(o, plots)));
        try
        {
            foreach (var (name, bytes) in files) AtomicFile.WriteAllBytes(Path.Combine(folder, name), bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            console.Problem($"robustnode pnp: cannot write the results to '{folder}': {ex.Message}");
            return ExitCodes.InvalidInput;
        }
        console.Out.Write(PnpReport.Table(o));
        log.LogInformation("Wrote {Files} to {Folder}", string.Join(", ", files.Select(f => f.Name)), folder);
        return ExitCodes.Success;
    }

    /// <summary>The images: by name from the configured folder or by path, centre-cropped as asked.</summary>
    private static Validation<Error, IReadOnlyList<Training.Denoising.GreyImage>> Images(PnpRequest request, DenoisingDataSettings data) =>
        (request.Images is null
            ? DenoisingData.ReadAll(data.Folder, data.TestImages, $"{DenoisingSettingsReader.Section}:Data:TestImages")
            : request.Images.Select(i => NaturalImages.Resolve(data.Folder, i, "--image").Bind(path => GreyImageFile.Read(path))).Sequence()
                .Map(list => (IReadOnlyList<Training.Denoising.GreyImage>)list.ToArray()))
        .Bind(list => list.Select(i => request.Crop == 0 ? Success<Error, Training.Denoising.GreyImage>(i)
                : i.CenterCrop(request.Crop).Match(Succ: Success<Error, Training.Denoising.GreyImage>,
                    Fail: e => Fail<Error, Training.Denoising.GreyImage>(HostErrors.CommandLine("--crop", $"{e.Message}; choose a smaller --crop or 0 for whole images"))))
            .Sequence().Map(l => (IReadOnlyList<Training.Denoising.GreyImage>)l.ToArray()));

    /// <summary>Creates the folder and proves it writable before anything is computed.</summary>
    private static Validation<Error, Unit> Writable(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".write-test-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return Success<Error, Unit>(unit);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return Fail<Error, Unit>(HostErrors.File(folder, $"the output folder is not writable: {ex.Message}"));
        }
    }

    /// <summary>One row per image: clean, degraded, then each denoiser's reconstruction, captioned with PSNR.</summary>
    private static byte[] Grid(PnpOutcome o)
    {
        var cells = new List<CaptionedImage>();
        foreach (var image in o.Images)
        {
            cells.Add(new CaptionedImage(image.Clean.ToArray(), $"{image.Clean.Name}: clean"));
            cells.Add(new CaptionedImage(image.Degraded.ToArray(), string.Create(CultureInfo.InvariantCulture, $"degraded: {image.DegradedPsnr:F2} dB")));
            foreach (var r in image.Reconstructions)
                cells.Add(new CaptionedImage(r.Image.ToArray(), string.Create(CultureInfo.InvariantCulture,
                    $"{r.Denoiser}: {r.FinalPsnr:F2} dB"), !r.Converged));
        }
        int columns = 2 + (o.Images.Count == 0 ? 0 : o.Images[0].Reconstructions.Count);
        string title = o.Request.Problem == PnpProblem.Deblur
            ? string.Create(CultureInfo.InvariantCulture, $"PnP deblurring (blur {o.Request.BlurWidth:G3} px, noise {o.Request.NoiseSigma * 255:G3}/255); red: not converged")
            : string.Create(CultureInfo.InvariantCulture, $"PnP inpainting ({o.Request.Missing * 100:G3} % missing); red: not converged");
        return ImageGridPlot.Render(cells, columns, title, 220);
    }
}

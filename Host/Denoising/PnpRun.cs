using RobustNode.Core.Engines;
using System.Diagnostics;
using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Logging;
using RobustNode.Host.Composition;
using RobustNode.Training;
using RobustNode.Training.Denoising;
using RobustNode.Training.Reconstruction;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Denoising;

/// <summary>A denoiser as the pnp verb used it: where it came from, what is proven of it, and what a sample of pairs says.</summary>
/// <param name="Name">Its name.</param>
/// <param name="File">Its checkpoint file.</param>
/// <param name="TrainedAt">Training noise levels (grey levels of [0, 1]).</param>
/// <param name="LipschitzBound">Proven Lipschitz bound, if any.</param>
/// <param name="Averagedness">Proven averagedness, if any.</param>
/// <param name="Check">
/// The averagedness inequality at the proven α (or α = 1, non-expansiveness, when none is proven) on pairs near the
/// images: x a noisy version of an image, y = x + r·ε with r from 10⁻³ to 1.
/// </param>
/// <param name="JacobianNorm">
/// The largest ‖J_D(x)‖₂ found by power iteration at noisy versions of the images (their central 64×64): a lower bound
/// of D's Lipschitz constant, so a value above 1 proves D is not non-expansive.
/// </param>
internal sealed record PnpDenoiser(string Name, string File, IReadOnlyList<double> TrainedAt, Option<double> LipschitzBound, Option<double> Averagedness,
    AveragednessCheck Check, double JacobianNorm);

/// <summary>One denoiser's reconstruction of one image.</summary>
internal sealed record PnpReconstruction(string Denoiser, GreyImage Image, IReadOnlyList<PnpIteration> Iterations, bool Converged, TimeSpan WallTime)
{
    /// <summary>PSNR of the last iterate.</summary>
    public double FinalPsnr => Iterations[^1].Psnr[0];

    /// <summary>Residual of the last iteration.</summary>
    public double FinalResidual => Iterations[^1].Residual[0];

    /// <summary>The best PSNR over the iterations, and when.</summary>
    public (double Psnr, int Iteration) Best => Iterations.Select(i => (i.Psnr[0], i.Iteration)).MaxBy(p => p.Item1);

    /// <summary>
    /// Iterations whose residual exceeds the one before: each is a pair (x_k, x_(k−1)) that the iteration map T
    /// expanded, a proof that T — and so the denoiser — is not non-expansive (an averaged T never does this).
    /// </summary>
    public int Rises => Rising(Iterations.Select(i => i.Residual[0]).ToArray());

    /// <summary>How many entries exceed their predecessor (beyond rounding).</summary>
    public static int Rising(double[] values) => Enumerable.Range(1, Math.Max(0, values.Length - 1)).Count(k => values[k] > values[k - 1] * (1 + 1e-9) + 1e-15);
}

/// <summary>One denoiser applied again and again to its own output, from a noisy version of one image.</summary>
internal sealed record PnpSelfApplication(string Denoiser, double NoiseLevel, double StartPsnr, IReadOnlyList<SelfApplicationStep> Steps)
{
    /// <summary>Applications whose drift exceeds the one before: pairs (x_k, x_(k−1)) the denoiser expanded.</summary>
    public int Rises => PnpReconstruction.Rising(Steps.Select(s => s.Drift[0]).ToArray());
}

/// <summary>Everything the pnp verb did with one image.</summary>
internal sealed record PnpImage(GreyImage Clean, GreyImage Degraded, double DegradedPsnr, double StartPsnr, IReadOnlyList<PnpReconstruction> Reconstructions,
    IReadOnlyList<PnpSelfApplication> SelfApplications);

/// <summary>What the pnp verb reports.</summary>
internal sealed record PnpOutcome(PnpRequest Request, string Operator, double StepSize, IReadOnlyList<PnpDenoiser> Denoisers, IReadOnlyList<PnpImage> Images,
    DateTimeOffset Finished);

/// <summary>
/// The computation of <c>robustnode pnp</c>: for every image, degrade it (Gaussian blur + noise, or missing pixels), then
/// for every denoiser run Plug-and-Play forward–backward splitting in float64 and apply the denoiser 100 times to its own
/// output; beside it, test each denoiser's averagedness on random pairs. Everything is derived from the request's seed.
/// </summary>
internal sealed class PnpRun(PnpRequest request, IReadOnlyList<SavedDenoiser> saved, IReadOnlyList<GreyImage> images, ILogger log)
{
    /// <summary>The type everything runs in (residuals of 1e-6 need float64).</summary>
    public const ScalarType DType = ScalarType.Float64;

    // Streams of the seeds derived from the request's seed (Seeds.Derive(seed, stream, image)).
    private const long MeasurementNoise = 11, MissingPixels = 12, SelfApplicationNoise = 13, AveragednessPairs = 14, PowerIterationStart = 15;

    /// <summary>The measurement operator for an image of that size.</summary>
    public static Fin<ILinearOperator> Operator(PnpRequest request, int height, int width, int index) =>
        request.Problem == PnpProblem.Deblur
            ? GaussianBlur.Create(request.BlurWidth).Map(b => (ILinearOperator)b)
            : PixelMask.Random(height, width, request.Missing, Seeds.Derive(request.Seed, MissingPixels, index)).Map(m => (ILinearOperator)m);

    /// <summary>Checks the step size against the problems' L before anything is computed.</summary>
    public static Validation<Error, PnpOptions> Options(PnpRequest request)
    {
        double lipschitz = 1.0; // both operators: ‖A‖₂² ≤ 1
        return new PnpOptions(request.StepSize ?? 1 / lipschitz, request.Iterations, request.Tolerance).Validate(lipschitz)
            .Match(Succ: Success<Error, PnpOptions>, Fail: e => Fail<Error, PnpOptions>(HostErrors.CommandLine("--step/--iterations/--tolerance", e.Message)));
    }

    /// <summary>Runs everything; a failing iteration or denoiser is an error naming the image and denoiser.</summary>
    public Fin<PnpOutcome> Run(PnpOptions options)
    {
        // One float64 copy of each network serves PnP, self-application and the Jacobian.
        var networks = saved.Select(s => s.Denoiser with { Network = s.Denoiser.NetworkIn(DType) }).ToArray();
        var denoisers = saved.Zip(networks, (s, n) => (Saved: s, Denoiser: n.In(DType))).ToArray();
        var entries = new List<PnpDenoiser>();
        foreach (var ((s, d), network) in denoisers.Zip(networks))
        {
            using var scope = NewDisposeScope();
            var (x, y) = PairsNearImages(s.NoiseLevels.Count > 0 ? s.NoiseLevels[0] : 25 / 255.0);
            var check = Averagedness.Check(d.Apply, d.Averagedness.IfNone(1.0), x, y);
            if (check.IsFail) return Failed($"the averagedness test of '{d.Name}'", check);
            long side = Math.Min(64, Math.Min(x.shape[2], x.shape[3]));
            var centres = x.narrow(0, 0, Math.Min(x.shape[0], images.Count))
                .narrow(2, (x.shape[2] - side) / 2, side).narrow(3, (x.shape[3] - side) / 2, side);
            var norms = JacobianNorm.Estimate(network.Network, centres, iterations: 20, seed: Seeds.Derive(request.Seed, PowerIterationStart));
            if (norms.IsFail) return Failed($"the Jacobian of '{d.Name}'", norms);
            entries.Add(new PnpDenoiser(d.Name, s.Path, s.NoiseLevels, d.LipschitzBound, d.Averagedness, (AveragednessCheck)check,
                norms.Match(n => n.Max(), _ => double.NaN)));
        }
        var results = new List<PnpImage>();
        string description = "";
        for (int i = 0; i < images.Count; i++)
        {
            using var scope = NewDisposeScope();
            var image = images[i];
            var clean = image.ToTensor(DType);
            var observed = Operator(request, image.Height, image.Width, i).Bind(op => InverseProblem.Observe(op, clean, request.NoiseSigma, Seeds.Derive(request.Seed, MeasurementNoise, i)));
            if (observed.IsFail) return Failed($"degrading {image.Name}", observed);
            var problem = (InverseProblem)observed;
            description = problem.Operator.Describe();
            var reconstructions = new List<PnpReconstruction>();
            var self = new List<PnpSelfApplication>();
            double startPsnr = Psnr.PerImage(problem.Start(), clean)[0];
            foreach (var (s, d) in denoisers)
            {
                var clock = Stopwatch.StartNew();
                var solved = PlugAndPlay.Solve(problem, d, options, clean);
                if (solved.IsFail) return Failed($"plug-and-play with '{d.Name}' on {image.Name}", solved);
                var r = (PnpResult)solved;
                var reconstruction = new PnpReconstruction(d.Name, GreyImage.FromTensor(image.Name, r.Reconstruction), r.Iterations, r.Converged, clock.Elapsed);
                reconstructions.Add(reconstruction);
                log.LogInformation("{Image}, {Denoiser}: {State} after {Iterations} iterations, residual {Residual:E2}, PSNR {Psnr:F2} dB (best {Best:F2} dB at {At}), {Seconds:F1} s",
                    image.Name, d.Name, r.Converged ? "converged" : "stopped", r.Iterations.Count, reconstruction.FinalResidual, reconstruction.FinalPsnr,
                    reconstruction.Best.Psnr, reconstruction.Best.Iteration, clock.Elapsed.TotalSeconds);

                double level = request.SelfNoise is { } n ? n / 255 : s.NoiseLevels.Count > 0 ? s.NoiseLevels[0] : 25 / 255.0;
                var applied = GaussianNoise.Add(clean, level, Seeds.Derive(request.Seed, SelfApplicationNoise, i))
                    .Bind(start => SelfApplication.Run(d, start, clean, request.Applications));
                if (applied.IsFail) return Failed($"the self-application of '{d.Name}' on {image.Name}", applied);
                var a = (SelfApplicationResult)applied;
                self.Add(new PnpSelfApplication(d.Name, level, a.StartPsnr[0], a.Steps));
                log.LogInformation("{Image}, {Denoiser} applied {Count} times to its own output: PSNR {First:F2} dB after one, {Last:F2} dB after {All}; last drift {Drift:E2}",
                    image.Name, d.Name, request.Applications, a.Steps[0].Psnr[0], a.Steps[^1].Psnr[0], request.Applications, a.Steps[^1].Drift[0]);
            }
            results.Add(new PnpImage(image, GreyImage.FromTensor(image.Name, problem.Observation), Psnr.PerImage(problem.Observation, clean)[0], startPsnr,
                reconstructions, self));
            problem.Observation.Dispose();
        }
        return new PnpOutcome(request, description, options.StepSize, entries, results, DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// Pairs for the averagedness test where the denoiser works: x = an image (the first, whose size all share) plus
    /// noise of the denoiser's level, 4 noise draws per image, y = x + r·ε/√n with r log-spaced from 10⁻³ to 1.
    /// </summary>
    private (Tensor X, Tensor Y) PairsNearImages(double level)
    {
        using var scope = NewDisposeScope();
        var centres = new List<Tensor>();
        using var generator = new Generator(unchecked((ulong)Seeds.Derive(request.Seed, AveragednessPairs)));
        var sameSize = images.Where(i => i.Height == images[0].Height && i.Width == images[0].Width).ToArray();
        for (int k = 0; k < 4; k++)
            foreach (var image in sameSize)
                centres.Add(image.ToTensor(DType).Plus(randn([1, 1, image.Height, image.Width], DType, generator: generator), level));
        var x = cat(centres, 0);
        long pairs = x.shape[0], n = x.shape[2] * x.shape[3];
        var radii = pairs == 1 ? ones(1, DType) : linspace(-3, 0, pairs, DType).TimesInPlace(Math.Log(10)).exp_();
        var y = x.Plus(randn(x.shape, DType, generator: generator).mul_(radii.view(pairs, 1, 1, 1).Over(Math.Sqrt(n))));
        return (x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }

    private static Fin<PnpOutcome> Failed<T>(string what, Fin<T> failure) =>
        FinFail<PnpOutcome>(HostErrors.Computation(what, failure.Match(Succ: _ => "", Fail: e => e.Message)));
}

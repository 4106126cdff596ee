using System.Globalization;
using System.Text;
using LanguageExt;
using RobustNode.Host.Denoising;
using RobustNode.Host.Schemas;

namespace RobustNode.Host.Reports;

/// <summary>
/// The pnp verb's <c>report.json</c> and <c>report.md</c>: the problem, every denoiser (what is proven of it and what the
/// averagedness test found), and per image the degraded PSNR, each reconstruction's PSNR and fixed-point residual per
/// iteration, and each denoiser's self-application (PSNR and drift per application).
/// </summary>
internal static class PnpReport
{
    private static string F(double v, string format = "F2") =>
        double.IsPositiveInfinity(v) ? "∞" : v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary><c>report.json</c> (<see cref="PnpReportFile"/>).</summary>
    public static byte[] Json(PnpOutcome o, IReadOnlyList<string> plots) => JsonFiles.Write(File(o, plots), JsonFiles.Default.PnpReportFile);

    /// <summary>The report as its schema record.</summary>
    public static PnpReportFile File(PnpOutcome o, IReadOnlyList<string> plots)
    {
        var r = o.Request;
        return new PnpReportFile(o.Finished,
            new PnpProblemJson(r.Problem == PnpProblem.Deblur ? "deblur" : "inpaint", o.Operator, Math.Round(r.NoiseSigma * 255, 6), "grey levels of 255",
                o.StepSize, r.Iterations, r.Tolerance, r.Crop, r.Applications, r.Seed),
            o.Denoisers.Select(d => new PnpDenoiserJson(d.Name, d.File, d.TrainedAt.Select(l => Math.Round(l * 255, 6)).ToArray(),
                Nullable(d.LipschitzBound), Nullable(d.Averagedness),
                new AveragednessTestJson(d.Check.Alpha, d.Check.Pairs, d.Check.Violations, d.Check.Holds, d.Check.WorstSlack, d.Check.SmallestAlpha, d.Check.LargestRatio),
                d.JacobianNorm)).ToArray(),
            o.Images.Select(image => new PnpImageJson(image.Clean.Name, image.Clean.Height, image.Clean.Width, image.DegradedPsnr, image.StartPsnr,
                image.Reconstructions.Select(x => new PnpReconstructionJson(x.Denoiser, x.Converged, x.Iterations.Count, x.FinalResidual, x.Rises, x.FinalPsnr,
                    x.Best.Psnr, x.Best.Iteration, Math.Round(x.WallTime.TotalSeconds, 3),
                    x.Iterations.Select(i => i.Psnr[0]).ToArray(), x.Iterations.Select(i => i.Residual[0]).ToArray())).ToArray(),
                image.SelfApplications.Select(a => new PnpSelfApplicationJson(a.Denoiser, Math.Round(a.NoiseLevel * 255, 6), a.StartPsnr, a.Rises,
                    a.Steps.Select(x => x.Psnr[0]).ToArray(), a.Steps.Select(x => x.Drift[0]).ToArray())).ToArray())).ToArray(),
            plots);
    }

    private static double? Nullable(Option<double> value) => value.MatchUnsafe(v => (double?)v, () => null);

    /// <summary>The summary table: per image and denoiser the final and best PSNR, convergence and the last residual.</summary>
    public static string Table(PnpOutcome o)
    {
        var text = new StringBuilder();
        text.AppendLine("| image | degraded (dB) | denoiser | PnP PSNR (dB) | best (dB) at k | converged | iterations | last residual | residual rises |");
        text.AppendLine("|---|---:|---|---:|---:|:---:|---:|---:|---:|");
        foreach (var image in o.Images)
            foreach (var r in image.Reconstructions)
                text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {image.Clean.Name} | {F(image.DegradedPsnr)} | {r.Denoiser} | {F(r.FinalPsnr)} | {F(r.Best.Psnr)} at {r.Best.Iteration} | {(r.Converged ? "yes" : "no")} | {r.Iterations.Count} | {r.FinalResidual:E2} | {r.Rises} |"));
        return text.ToString();
    }

    /// <summary><c>report.md</c>.</summary>
    public static byte[] Markdown(PnpOutcome o, IReadOnlyList<string> plots)
    {
        var r = o.Request;
        var text = new StringBuilder();
        text.AppendLine($"# Plug-and-Play {(r.Problem == PnpProblem.Deblur ? "deblurring" : "inpainting")}");
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Forward–backward splitting x_(k+1) = D(x_k − γ Aᵀ(A x_k − y)) from x_0 = Aᵀy, with A = `{o.Operator}`, noise σ = {F(r.NoiseSigma * 255, "G4")}/255, γ = {o.StepSize:G4} (L = 1), "
            + $"at most {r.Iterations} iterations, stopping when ‖x_(k+1) − x_k‖₂ ≤ {r.Tolerance:G3}; images {(r.Crop == 0 ? "whole" : $"cropped to their central {r.Crop}×{r.Crop}")}, float64, seed {r.Seed}."));
        text.AppendLine();
        text.AppendLine("## Denoisers");
        text.AppendLine();
        text.AppendLine("The test checks ‖Dx − Dy‖² ≤ ‖x − y‖² − (1 − α)/α ‖(I − D)x − (I − D)y‖² at the proven α (α = 1, non-expansiveness, when none is proven) on pairs near the images: x a noisy image, y = x + r·ε, r from 10⁻³ to 1. A sample can refute averagedness, never prove it.");
        text.AppendLine();
        text.AppendLine("‖J_D‖₂ is the largest spectral norm of D's Jacobian found by power iteration (20 steps) at noisy versions of the images (central 64×64): a lower bound of D's Lipschitz constant, so above 1 it proves D expansive.");
        text.AppendLine();
        text.AppendLine("| denoiser | trained at σ (/255) | proven Lipschitz bound | proven averagedness α | test of α on pairs | smallest α on the pairs | largest ‖Dx − Dy‖/‖x − y‖ | ‖J_D‖₂ |");
        text.AppendLine("|---|---|---:|---:|---|---:|---:|---:|");
        foreach (var d in o.Denoisers)
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {d.Name} | {string.Join(", ", d.TrainedAt.Select(l => F(l * 255, "G4")))} | {d.LipschitzBound.Match(v => F(v, "G4"), () => "—")} | {d.Averagedness.Match(v => F(v, "G4"), () => "—")} | α = {d.Check.Alpha:G4}: {(d.Check.Holds ? "holds" : $"fails on {d.Check.Violations} of {d.Check.Pairs}")} | {(double.IsPositiveInfinity(d.Check.SmallestAlpha) ? "none (expansive)" : F(d.Check.SmallestAlpha, "G4"))} | {F(d.Check.LargestRatio, "G4")} | {F(d.JacobianNorm, "G4")} |"));
        text.AppendLine();
        text.AppendLine("## Reconstructions");
        text.AppendLine();
        text.AppendLine("A residual that rises (‖x_(k+1) − x_k‖ > ‖x_k − x_(k−1)‖) proves the iteration map expansive at that pair; an averaged map never does it.");
        text.AppendLine();
        text.Append(Table(o));
        text.AppendLine();
        text.AppendLine($"## Each denoiser applied {r.Applications} times to its own output");
        text.AppendLine();
        text.AppendLine("From a noisy image (σ as listed in report.json); a drift that rises proves the denoiser expansive at that pair.");
        text.AppendLine();
        int[] marks = new[] { 1, 10, r.Applications }.Where(k => k <= r.Applications).Distinct().ToArray();
        text.AppendLine("| image | denoiser | start (dB) | " + string.Join(" | ", marks.Select(k => $"PSNR after {k}")) + " | " + string.Join(" | ", marks.Select(k => $"drift at {k}")) + " | drift rises |");
        text.AppendLine("|---|---|---:|" + string.Concat(marks.Select(_ => "---:|")) + string.Concat(marks.Select(_ => "---:|")) + "---:|");
        foreach (var image in o.Images)
            foreach (var s in image.SelfApplications)
                text.AppendLine($"| {image.Clean.Name} | {s.Denoiser} | {F(s.StartPsnr)} | " + string.Join(" | ", marks.Select(k => F(s.Steps[k - 1].Psnr[0])))
                    + " | " + string.Join(" | ", marks.Select(k => s.Steps[k - 1].Drift[0].ToString("E2", CultureInfo.InvariantCulture))) + $" | {s.Rises} |");
        text.AppendLine();
        foreach (var p in plots) text.AppendLine($"![{p}]({p})");
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}

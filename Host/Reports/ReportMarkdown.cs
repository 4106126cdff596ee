using System.Globalization;
using System.Text;

namespace RobustNode.Host.Reports;

/// <summary>
/// <c>report.md</c>: the run in prose and tables — accuracy versus ε per model and attack, training time per epoch per
/// trainer with the ratios to standard training, the plots, and every setting used.
/// </summary>
internal static class ReportMarkdown
{
    /// <summary>The report as UTF-8 markdown.</summary>
    public static byte[] Write(RunReport report)
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine(inv, $"# Run `{report.Run}` (experiment `{report.Experiment}`)");
        md.AppendLine();
        md.AppendLine(inv, $"Finished {report.Finished:yyyy-MM-dd HH:mm:ss} UTC.");
        md.AppendLine();
        md.AppendLine(inv, $"- training data: {report.TrainCount} samples, `{report.TrainData}`");
        md.AppendLine(inv, $"- test data: {report.TestCount} samples, `{report.TestData}`");
        md.AppendLine(inv, $"- model: `{report.Model}`, {report.Parameters} parameters");
        md.AppendLine(inv, $"- engine: {report.Engine}");
        md.AppendLine();
        md.AppendLine(inv, $"## Test accuracy versus attack radius ε ({NormName(report.Norm)} attacks)");
        md.AppendLine();
        md.Append(AccuracyTable.Markdown(report.Trainers.Select(t => (t.Name, t.Scores)).ToArray()));
        md.AppendLine();
        md.Append(CertifiedNote(report));
        md.Append(Evaluation(report.Norm, report.TestCount, report.Attacks, report.Trainers.Select(t => (t.Name, t.Scores)).ToArray()));
        md.AppendLine("## Training time");
        md.AppendLine();
        bool pgd = report.Trainers.Any(t => t.Name == "pgd");
        md.AppendLine(pgd
            ? "| trainer | objective | epochs | median s/epoch | mean s/epoch | total s | median time / standard | median time / pgd | median CPU s/epoch | CPU / standard | CPU / pgd |"
            : "| trainer | objective | epochs | median s/epoch | mean s/epoch | total s | median time / standard | median CPU s/epoch | CPU / standard |");
        md.AppendLine(pgd ? "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|" : "|---|---|---:|---:|---:|---:|---:|---:|---:|");
        static string Ratio(double? r) => r is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "–";
        foreach (var t in report.Trainers)
        {
            string overPgd = pgd ? $" {Ratio(report.TimeRatio(t.Name, "pgd"))} |" : "";
            string cpuOverPgd = pgd ? $" {Ratio(report.CpuTimeRatio(t.Name, "pgd"))} |" : "";
            string cpu = double.IsNaN(t.MedianEpochCpuSeconds) ? "–" : Seconds(t.MedianEpochCpuSeconds);
            string resumed = t.ResumedFrom > 0 ? $" (resumed at {t.ResumedFrom})" : "";
            md.AppendLine(inv, $"| {t.Name} | `{t.Objective}` | {t.Epochs}{resumed} | {Seconds(t.MedianEpochSeconds)} | {Seconds(t.MeanEpochSeconds)} | {Seconds(t.TotalSeconds)} | {Ratio(report.TimeRatio(t.Name))} |{overPgd} {cpu} | {Ratio(report.CpuTimeRatio(t.Name))} |{cpuOverPgd}");
        }
        md.AppendLine();
        md.AppendLine("CPU: the process's processor time per epoch, all threads; on a shared machine it is the fairer measure of cost.");
        md.AppendLine();
        if (report.TimeRatio("augmented") is { } augmented)
        {
            md.AppendLine(inv, $"An epoch of augmented training (second-order adjoint) took {augmented:F2} times as long as an epoch of standard training (medians over the epochs).");
            md.AppendLine();
        }
        if (report.Trainers.Any(t => t.History.Count < t.Epochs))
        {
            md.AppendLine("Some epochs were trained before a resume whose history was not recorded; times cover the recorded epochs only.");
            md.AppendLine();
        }
        if (report.Plots.Count > 0)
        {
            md.AppendLine("## Plots");
            md.AppendLine();
            foreach (var p in report.Plots) md.AppendLine(inv, $"![{p}]({p})");
            md.AppendLine();
        }
        md.AppendLine("## Settings used");
        md.AppendLine();
        md.AppendLine("| setting | value |");
        md.AppendLine("|---|---|");
        foreach (var (k, v) in report.Settings) md.AppendLine(inv, $"| {k} | `{v.Replace("|", "\\|")}` |");
        md.AppendLine();
        return Encoding.UTF8.GetBytes(md.ToString());
    }

    /// <summary>
    /// The attacks with their budgets, what the worst case is over and on which samples, and every model's sanity checks in
    /// words (shared with the <c>evaluate</c> verb's markdown).
    /// </summary>
    public static string Evaluation(string norm, int testCount, IReadOnlyList<Runs.AttackDescription>? attacks, IReadOnlyList<(string Model, Runs.ModelScores Scores)> models)
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        if (attacks is { Count: > 0 })
        {
            md.AppendLine("Attacks:");
            md.AppendLine();
            foreach (var a in attacks)
                md.AppendLine(inv, $"- `{a.Name}`: {a.Settings}{(a.TestCount > 0 && a.TestCount < testCount ? $"; the first {a.TestCount} test samples" : "")}");
            md.AppendLine();
        }
        string worst = Runs.ModelEvaluation.WorstCaseName(norm);
        var withWorst = models.Select(m => m.Scores.Curves.FirstOrDefault(c => c.Attack == worst)).FirstOrDefault(c => c is not null);
        if (withWorst is not null)
        {
            string samples = withWorst.SubsetSize is { } n ? $"the first {n} test samples, the ones every attack saw" : $"all {testCount} test samples";
            md.AppendLine(inv, $"Robust accuracy, `{worst}`, is the worst case per sample over the attacks: a sample counts as correct at ε only when it is classified correctly without attack and after every attack of radius ε — and of every smaller radius, since an adversarial example inside a smaller ball lies inside the larger one too. It is measured on {samples}.");
            md.AppendLine();
        }
        var checks = models.Where(m => m.Scores.Sanity is { Findings.Count: > 0 }).ToArray();
        if (checks.Length == 0) return md.ToString();
        md.AppendLine("## Sanity checks");
        md.AppendLine();
        md.AppendLine("A robustness figure is believed only if (1) accuracy falls with ε under every attack, (2) at a radius that covers the data every model falls to chance, and (3) the gradient-free Square attack does not beat the gradient-based attacks (Carlini et al. 2019, Athalye et al. 2018). Differences are judged on the same samples by the exact sign test at 5 %, so sampling noise alone raises no warning.");
        md.AppendLine();
        foreach (var (model, scores) in checks)
        {
            var findings = scores.Sanity!.Findings;
            int warnings = findings.Count(f => !f.Passed);
            md.AppendLine(inv, $"**{model}**: {(warnings == 0 ? "every check passes." : $"{warnings} warning{(warnings == 1 ? "" : "s")}.")}");
            md.AppendLine();
            foreach (var f in findings) md.AppendLine(inv, $"- {(f.Passed ? "" : "**Warning:** ")}{f.Message}");
            md.AppendLine();
        }
        return md.ToString();
    }

    private static string NormName(string norm) => norm == "inf" ? "ℓ∞" : $"ℓ{norm}";

    /// <summary>How the certified curves were obtained, with each model's Lipschitz bound; empty without any.</summary>
    public static string CertifiedNote(RunReport report)
    {
        var bounded = report.Trainers.Where(t => t.Scores.Bound is not null).ToArray();
        if (bounded.Length == 0) return "";
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(inv, $"Certified accuracy (`certified-{report.Norm}`): the fraction of test samples classified correctly whose certified radius ");
        text.Append("r₂ = min_{j≠y} (z_y − z_j) / (L_body · ‖w_y − w_j‖₂) exceeds ε for a network ending in an affine read-out W (L_body the bound before it; Leino et al. 2021), ");
        text.Append("otherwise r₂ = margin / (√2 · L) (Tsuzuku et al. 2018), L the ℓ2 Lipschitz bound of the logits");
        text.Append(report.Norm switch
        {
            "inf" => "; in the max-norm through ‖δ‖₂ ≤ √n ‖δ‖∞ (n input entries), r∞ = r₂ / √n",
            "1" => "; in the 1-norm through ‖δ‖₂ ≤ ‖δ‖₁, r₁ = r₂",
            _ => "",
        });
        text.AppendLine(". It is a proven lower bound of the accuracy under any attack of that radius. Lipschitz bounds:");
        text.AppendLine();
        foreach (var t in bounded)
            text.AppendLine(inv, $"- {t.Name}: L = {t.Scores.Bound!.Value:G4} = {string.Join(" × ", t.Scores.Bound.Factors.Select(f => $"{f.Block} {f.Bound:G4}"))}");
        text.AppendLine();
        return text.ToString();
    }

    private static string Seconds(double s) => double.IsFinite(s) ? s.ToString(s < 10 ? "F3" : "F1", CultureInfo.InvariantCulture) : "–";
}

using System.Globalization;
using System.Text;
using RobustNode.Host.Schemas;

namespace RobustNode.Host.Reports;

/// <summary>
/// <c>report.md</c> of a sweep: what ran and what a seed changes, then per grid point robust accuracy, accuracy per
/// attack and training time per trainer, each as mean ± standard deviation [95 % interval] over the seeds; the Pareto
/// table, the plots, the runs and the experiment's settings.
/// </summary>
internal static class SweepMarkdown
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The report as UTF-8 markdown.</summary>
    public static byte[] Write(SweepReportFile report)
    {
        var md = new StringBuilder();
        md.AppendLine(Inv, $"# Sweep `{report.Run}` (experiment `{report.Experiment}`)");
        md.AppendLine();
        var grid = report.Grid.Count > 0
            ? $" at each of {report.Points.Count} grid points ({string.Join("; ", report.Grid.Select(a => $"`{a.Key}` = {string.Join(", ", a.Values)}"))})."
            : ".";
        md.AppendLine(Inv, $"Finished {report.Finished:yyyy-MM-dd HH:mm:ss} UTC. {report.Seeds.Count} seed{(report.Seeds.Count == 1 ? "" : "s")} ({string.Join(", ", report.Seeds)}){grid}");
        md.AppendLine();
        var data = report.SeedSettings.Contains("Data:Seed") ? "the data are drawn anew for every seed" : "the data are the same for every seed";
        md.AppendLine(Inv, $"Seed s sets {string.Join(", ", report.SeedSettings.Select(k => $"`{k}`"))} to s; {data}.");
        md.AppendLine(Inv, $"Every number below is {SeedStatistics()}.");
        md.AppendLine();
        foreach (var point in report.Points)
        {
            string heading = point.Name.Length == 0 ? "##" : "###";
            if (point.Name.Length > 0)
            {
                md.AppendLine(Inv, $"## {point.Name}");
                md.AppendLine();
            }
            var robustName = string.Join("; ", point.Trainers.Select(t => t.RobustAccuracy.Attack).Distinct());
            md.AppendLine(Inv, $"{heading} Robust accuracy ({robustName}) versus ε ({NormName(report.Norm)})");
            md.AppendLine();
            md.Append(Header("trainer", report.Epsilons, clean: false));
            foreach (var t in point.Trainers)
            {
                md.Append(Inv, $"| {t.Name} |");
                foreach (var p in t.RobustAccuracy.Points) md.Append(' ').Append(Cell(p.Mean, p.Std, p.Ci95Low, p.Ci95High)).Append(" |");
                md.AppendLine();
            }
            md.AppendLine();
            md.AppendLine(Inv, $"{heading} Test accuracy per attack");
            md.AppendLine();
            md.Append(Header("trainer | attack", report.Epsilons, clean: true));
            foreach (var t in point.Trainers)
                foreach (var c in t.Robustness)
                {
                    md.Append(Inv, $"| {t.Name} | {c.Attack}{(c.TestSamples is { } n ? $" (first {n} test samples)" : "")} | {Cell(t.CleanAccuracy)} |");
                    foreach (var p in c.Points) md.Append(' ').Append(Cell(p.Mean ?? p.Accuracy, p.Std ?? double.NaN, p.Ci95Low ?? double.NaN, p.Ci95High ?? double.NaN)).Append(" |");
                    md.AppendLine();
                }
            md.AppendLine();
            md.AppendLine(Inv, $"{heading} Training time");
            md.AppendLine();
            md.AppendLine("| trainer | objective | epochs | s/epoch (median of each run) | / standard |");
            md.AppendLine("|---|---|---:|---:|---:|");
            var standard = point.Trainers.FirstOrDefault(t => t.Name == "standard");
            foreach (var t in point.Trainers)
            {
                string ratio = standard is not null && standard.SecondsPerEpoch.Mean > 0 ? (t.SecondsPerEpoch.Mean / standard.SecondsPerEpoch.Mean).ToString("F2", Inv) : "–";
                md.AppendLine(Inv, $"| {t.Name} | `{t.Objective}` | {t.Epochs} | {Seconds(t.SecondsPerEpoch)} | {ratio} |");
            }
            md.AppendLine();
        }
        md.AppendLine(Inv, $"## Robust accuracy versus training time (ε = {report.Pareto.Epsilon:G4})");
        md.AppendLine();
        md.AppendLine("| trainer | attack | s/epoch | robust accuracy |");
        md.AppendLine("|---|---|---:|---:|");
        foreach (var p in report.Pareto.Points)
            md.AppendLine(Inv, $"| {p.Label} | {p.Attack} | {Seconds(p.SecondsPerEpoch)} | {Cell(p.RobustAccuracy)} |");
        md.AppendLine();
        md.AppendLine("Times were measured while the runs of the sweep shared the machine; compare them within one sweep.");
        md.AppendLine();
        if (report.Plots.Count > 0)
        {
            md.AppendLine("## Plots");
            md.AppendLine();
            foreach (var p in report.Plots) md.AppendLine(Inv, $"![{p}]({p})");
            md.AppendLine();
        }
        md.AppendLine("## Runs");
        md.AppendLine();
        md.AppendLine("| grid point | seed | run folder |");
        md.AppendLine("|---|---:|---|");
        foreach (var point in report.Points)
            foreach (var r in point.Runs) md.AppendLine(Inv, $"| {(point.Name.Length == 0 ? "–" : point.Name)} | {r.Seed} | [{r.Folder}]({r.Folder}/report.md) |");
        md.AppendLine();
        md.AppendLine("## Settings of the experiment");
        md.AppendLine();
        md.AppendLine("| setting | value |");
        md.AppendLine("|---|---|");
        foreach (var (k, v) in report.Configuration) md.AppendLine(Inv, $"| {k} | `{v.Replace("|", "\\|")}` |");
        md.AppendLine();
        return Encoding.UTF8.GetBytes(md.ToString());
    }

    private static string SeedStatistics() => "the mean ± the sample standard deviation over the seeds, with the 95 % interval of the mean in brackets (Student t, n − 1 degrees of freedom), clipped to the range of the quantity (0–100 % for accuracies, ≥ 0 for times)";

    private static string Header(string first, IReadOnlyList<double> epsilons, bool clean)
    {
        var text = new StringBuilder();
        text.Append(Inv, $"| {first} |");
        if (clean) text.Append(" clean |");
        foreach (var e in epsilons) text.Append(Inv, $" ε = {e:G4} |");
        text.AppendLine();
        text.Append(string.Concat(Enumerable.Repeat("|---", first.Count(c => c == '|') + 1))).Append('|');
        if (clean) text.Append("---:|");
        foreach (var _ in epsilons) text.Append("---:|");
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>An accuracy over seeds in percent: <c>85.3 ± 1.2 [84.0, 86.6]</c> (the mean alone for one seed).</summary>
    private static string Cell(double mean, double std, double low, double high) =>
        !double.IsFinite(mean) ? "–"
        : !double.IsFinite(std) ? (100 * mean).ToString("F1", Inv)
        : string.Create(Inv, $"{100 * mean:F1} ± {100 * std:F1} [{100 * low:F1}, {100 * high:F1}]");

    private static string Cell(StatisticJson s) => Cell(s.Mean, s.Std, s.Ci95Low, s.Ci95High);

    /// <summary>Seconds over seeds, every part with the decimals of the mean: <c>70.5 ± 1.0 [68.0, 73.1]</c>.</summary>
    private static string Seconds(StatisticJson s)
    {
        if (!double.IsFinite(s.Mean)) return "–";
        string format = Math.Abs(s.Mean) < 10 ? "F3" : "F1";
        string F(double v) => v.ToString(format, Inv);
        return !double.IsFinite(s.Std) ? F(s.Mean) : $"{F(s.Mean)} ± {F(s.Std)} [{F(s.Ci95Low)}, {F(s.Ci95High)}]";
    }

    private static string NormName(string norm) => norm == "inf" ? "ℓ∞" : $"ℓ{norm}";
}

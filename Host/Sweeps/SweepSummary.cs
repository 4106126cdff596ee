using LanguageExt;
using LanguageExt.Common;
using RobustNode.Host.Composition;
using RobustNode.Host.Schemas;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Sweeps;

/// <summary>A finished run of a sweep and its report.</summary>
internal sealed record FinishedRun(SweepRun Run, string ReportPath, ReportFile Report);

/// <summary>
/// The sweep's report from its runs' reports: per grid point, trainer, attack and ε the mean, standard deviation and
/// 95 % interval over the seeds (<see cref="SeedStatistics"/>); robust accuracy per trainer and ε (the curve
/// <c>worst-case-&lt;norm&gt;</c> when the runs report it, otherwise at each ε the attack with the lowest mean
/// accuracy, the later of equally strong ones); and the Pareto data, robust accuracy against seconds per epoch (each run's median) at the evaluated
/// radius nearest <c>Evaluation:AttackEpsilon</c>.
/// </summary>
internal static class SweepSummary
{
    /// <summary>The report without its plots; an error naming the report of a run that does not match the others.</summary>
    public static Validation<Error, SweepReportFile> Summarise(SweepPlan plan, IReadOnlyList<IReadOnlyList<FinishedRun>> points, string run,
        IReadOnlyDictionary<string, string> configuration, DateTimeOffset finished)
    {
        var first = points[0][0].Report;
        double paretoEpsilon = Nearest(first.Evaluation.Epsilons, plan.Points[0].Experiment.Evaluation.AttackEpsilon);
        var summarised = points.Select((runs, i) => Point(plan.Folder, plan.Points[i], runs, paretoEpsilon)).Sequence();
        return summarised.Map(list =>
        {
            var summaries = list.ToArray();
            return new SweepReportFile(
                run, plan.Experiment.Name, finished, plan.Seeds, plan.SeedSettings,
                plan.Grid.Axes.Select(a => new GridAxisJson(a.Key, a.Values)).ToArray(),
                first.Evaluation.Norm, first.Evaluation.Epsilons, SeedStatistics.Interval,
                summaries.Select(s => s.Point).ToArray(),
                new ParetoJson(paretoEpsilon, summaries.SelectMany(s => s.Pareto).ToArray()),
                configuration, []);
        });
    }

    private static double Nearest(IReadOnlyList<double> epsilons, double target) =>
        epsilons.OrderBy(e => Math.Abs(e - target)).ThenBy(e => e).FirstOrDefault(double.NaN);

    private static Validation<Error, (SweepPointJson Point, IReadOnlyList<ParetoPointJson> Pareto)> Point(string folder, SweepPointPlan plan, IReadOnlyList<FinishedRun> runs, double paretoEpsilon)
    {
        var first = runs[0].Report;
        var errors = new List<Error>();
        foreach (var r in runs.Skip(1))
        {
            if (!r.Report.Trainers.Select(t => t.Name).SequenceEqual(first.Trainers.Select(t => t.Name)))
                errors.Add(HostErrors.File(r.ReportPath, $"its trainers ({string.Join(", ", r.Report.Trainers.Select(t => t.Name))}) differ from those of {runs[0].Run.Label} ({string.Join(", ", first.Trainers.Select(t => t.Name))})"));
            if (!r.Report.Evaluation.Epsilons.SequenceEqual(first.Evaluation.Epsilons))
                errors.Add(HostErrors.File(r.ReportPath, $"its radii differ from those of {runs[0].Run.Label}"));
        }
        if (errors.Count > 0) return Fail<Error, (SweepPointJson, IReadOnlyList<ParetoPointJson>)>(Seq(errors));
        int paretoIndex = IndexOfNearest(first.Evaluation.Epsilons, paretoEpsilon);
        var trainers = new List<SweepTrainerJson>();
        var pareto = new List<ParetoPointJson>();
        foreach (var name in first.Trainers.Select(t => t.Name))
        {
            var perSeed = runs.Select(r => r.Report.Trainers.First(t => t.Name == name)).ToArray();
            var curves = new List<(CurveJson Summary, double[][] Values)>();
            foreach (var curve in perSeed[0].Robustness)
            {
                var values = new double[curve.Points.Count][];
                for (int j = 0; j < values.Length; j++) values[j] = new double[runs.Count];
                for (int s = 0; s < runs.Count; s++)
                {
                    var own = perSeed[s].Robustness.FirstOrDefault(c => c.Attack == curve.Attack);
                    if (own is null || own.Points.Count != curve.Points.Count)
                    {
                        errors.Add(HostErrors.File(runs[s].ReportPath, $"{name} has no curve {curve.Attack} of {curve.Points.Count} radii, unlike {runs[0].Run.Label}"));
                        continue;
                    }
                    for (int j = 0; j < values.Length; j++) values[j][s] = own.Points[j].Accuracy;
                }
                curves.Add((new CurveJson(curve.Attack, curve.Points.Select((p, j) => SeedStatistics.Point(p.Epsilon, values[j])).ToArray(), curve.TestSamples), values));
            }
            if (errors.Count > 0) continue;
            var robust = Robust(curves, first.Evaluation.Norm, first.Evaluation.Epsilons);
            trainers.Add(new SweepTrainerJson(name, perSeed[0].Objective, runs.Count, perSeed[0].Epochs,
                SeedStatistics.Of(perSeed.Select(t => t.SecondsPerEpoch.Median).ToArray(), lower: 0),
                SeedStatistics.OfAccuracy(perSeed.Select(t => t.CleanAccuracy).ToArray()),
                curves.Select(c => c.Summary).ToArray(), robust.Json));
            if (paretoIndex >= 0 && robust.Values.Count > 0)
                pareto.Add(new ParetoPointJson(plan.Point.Name, name, robust.Json.Points[paretoIndex].Attack,
                    SeedStatistics.Of(perSeed.Select(t => t.SecondsPerEpoch.Median).ToArray(), lower: 0), SeedStatistics.OfAccuracy(robust.Values[paretoIndex])));
        }
        if (errors.Count > 0) return Fail<Error, (SweepPointJson, IReadOnlyList<ParetoPointJson>)>(Seq(errors));
        var point = new SweepPointJson(plan.Point.Name, plan.Point.Settings.ToDictionary(s => s.Key, s => s.Value),
            runs.Select(r => new SweepRunJson(r.Run.Seed, Path.GetRelativePath(folder, r.Run.Folder))).ToArray(),
            trainers);
        return Success<Error, (SweepPointJson, IReadOnlyList<ParetoPointJson>)>((point, pareto));
    }

    private static int IndexOfNearest(IReadOnlyList<double> epsilons, double target)
    {
        int best = -1;
        for (int j = 0; j < epsilons.Count; j++)
            if (best < 0 || Math.Abs(epsilons[j] - target) < Math.Abs(epsilons[best] - target)) best = j;
        return best;
    }

    /// <summary>Robust accuracy per ε with the per-seed values it comes from.</summary>
    private static (RobustAccuracyJson Json, IReadOnlyList<double[]> Values) Robust(IReadOnlyList<(CurveJson Summary, double[][] Values)> all, string norm, IReadOnlyList<double> epsilons)
    {
        // Robust accuracy is the strongest attack's; a certified curve is a proven lower bound, not an attack.
        var curves = all.Where(c => !c.Summary.Attack.StartsWith("certified-", StringComparison.Ordinal)).ToList();
        if (curves.Count == 0) return (new RobustAccuracyJson("none", []), []);
        var worst = curves.FirstOrDefault(c => c.Summary.Attack == $"worst-case-{norm}");
        var chosen = new List<(CurveJson Summary, double[][] Values)>();
        for (int j = 0; j < curves[0].Values.Length; j++)
        {
            // Among equally strong attacks the later one is named: the suite lists stronger attacks later (FGSM, PGD, …).
            int index = j;
            chosen.Add(worst.Summary is not null ? worst : curves.Aggregate((best, c) => c.Summary.Points[index].Accuracy <= best.Summary.Points[index].Accuracy ? c : best));
        }
        var points = chosen.Select((c, j) =>
        {
            var p = c.Summary.Points[j];
            return new RobustPointJson(p.Epsilon, c.Summary.Attack, p.Accuracy, p.Mean ?? p.Accuracy, p.Std ?? double.NaN, p.Ci95Low ?? double.NaN, p.Ci95High ?? double.NaN);
        }).ToArray();
        var name = worst.Summary is not null ? worst.Summary.Attack : string.Join(", ", chosen.Select(c => c.Summary.Attack).Distinct());
        return (new RobustAccuracyJson(name, points), chosen.Select((c, j) => c.Values[j]).ToArray());
    }
}

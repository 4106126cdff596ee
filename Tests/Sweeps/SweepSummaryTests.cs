using Microsoft.Extensions.Configuration;
using RobustNode.Host.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Host.Schemas;
using RobustNode.Host.Sweeps;
using RobustNode.Tests.Host;
using Xunit;

namespace RobustNode.Tests.Sweeps;

/// <summary>Robust accuracy and the Pareto data of a sweep, from its runs' reports.</summary>
public class SweepSummaryTests
{
    private static SweepPlan Plan(int seeds)
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();
        var settings = HostSettingsValidation.Validate(configuration, () => false).Match(s => s, e => throw new Xunit.Sdk.XunitException(e.Head.Message));
        var moons = settings.Experiments.Find("moons").Match(e => e, e => throw new Xunit.Sdk.XunitException(e.Head.Message));
        return SweepPlan.Create(configuration, moons, Enumerable.Range(1, seeds).Select(s => (long)s).ToArray(), SweepGrid.None, false, "/tmp/sweep", () => false)
            .Match(p => p, e => throw new Xunit.Sdk.XunitException(e.Head.Message));
    }

    private static CurveJson Curve(string attack, params double[] accuracy) =>
        new(attack, accuracy.Select((a, j) => new CurvePointJson(0.1 * j, a)).ToArray());

    private static ReportFile Report(params CurveJson[] curves) => new("r", "moons", DateTimeOffset.UnixEpoch,
        new ReportDataJson("train", 10, "test", 10, 2), new ReportModelJson("m", "torch", 1), new ReportEvaluationJson("inf", [0, 0.1, 0.2]),
        [new TrainerJson("standard", "J", 2, 0, new SecondsPerEpochJson(0.5, 0.5), 1, curves[0].Points[0].Accuracy, curves, "models/standard.ckpt", [])],
        new ReportTimingJson(new Dictionary<string, double> { ["standard"] = 0.5 }), new Dictionary<string, string>(), new Dictionary<string, string>(), []);

    private static SweepReportFile Summary(SweepPlan plan, params ReportFile[] reports) =>
        SweepSummary.Summarise(plan, [plan.Points[0].Runs.Select((r, i) => new FinishedRun(r, $"/tmp/sweep/seed-{i + 1}/report.json", reports[i])).ToArray()],
            "sweep", new Dictionary<string, string>(), DateTimeOffset.UnixEpoch).Match(s => s, e => throw new Xunit.Sdk.XunitException(e.Head.Message));

    [Fact]
    public void Robust_accuracy_is_the_worst_case_curve_when_the_runs_report_one()
    {
        var plan = Plan(2);
        var summary = Summary(plan,
            Report(Curve("fgsm-inf", 0.9, 0.5, 0.3), Curve("pgd20-inf", 0.9, 0.4, 0.2), Curve("worst-case-inf", 0.9, 0.45, 0.25)),
            Report(Curve("fgsm-inf", 0.8, 0.6, 0.3), Curve("pgd20-inf", 0.8, 0.5, 0.2), Curve("worst-case-inf", 0.8, 0.5, 0.15)));

        var robust = summary.Points[0].Trainers[0].RobustAccuracy;
        Assert.Equal("worst-case-inf", robust.Attack);
        Assert.Equal([0.85, 0.475, 0.2], robust.Points.Select(p => Math.Round(p.Mean, 12)));
        Assert.All(robust.Points, p => Assert.Equal("worst-case-inf", p.Attack));
        // Pareto at the radius nearest Evaluation:AttackEpsilon = 0.15 among 0, 0.1, 0.2: 0.1 (the smaller of two equally near).
        Assert.Equal(0.1, summary.Pareto.Epsilon);
        Assert.Equal([0.45, 0.5], summary.Pareto.Points[0].RobustAccuracy.Values);
    }

    [Fact]
    public void Without_a_worst_case_curve_robust_accuracy_is_the_strongest_attack_at_each_radius()
    {
        var plan = Plan(2);
        var summary = Summary(plan,
            Report(Curve("fgsm-inf", 0.9, 0.3, 0.3), Curve("apgd-ce-inf", 0.9, 0.4, 0.1)),
            Report(Curve("fgsm-inf", 0.9, 0.3, 0.3), Curve("apgd-ce-inf", 0.9, 0.4, 0.1)));

        var robust = summary.Points[0].Trainers[0].RobustAccuracy;
        Assert.Equal(["apgd-ce-inf", "fgsm-inf", "apgd-ce-inf"], robust.Points.Select(p => p.Attack));
        Assert.Equal("apgd-ce-inf, fgsm-inf", robust.Attack);
        Assert.Equal([0.9, 0.3, 0.1], robust.Points.Select(p => p.Mean));
        Assert.Equal(0, robust.Points[1].Std);
    }

    [Fact]
    public void Of_equally_strong_attacks_the_later_one_is_named()
    {
        var plan = Plan(1);
        var summary = Summary(plan, Report(Curve("fgsm-inf", 0.9, 0.3, 0.3), Curve("pgd20-inf", 0.9, 0.3, 0.35)));
        Assert.Equal(["pgd20-inf", "pgd20-inf", "fgsm-inf"], summary.Points[0].Trainers[0].RobustAccuracy.Points.Select(p => p.Attack));
    }

    [Fact]
    public void A_run_with_other_curves_is_named()
    {
        var plan = Plan(2);
        var result = SweepSummary.Summarise(plan,
            [[new FinishedRun(plan.Points[0].Runs[0], "a/report.json", Report(Curve("fgsm-inf", 0.9, 0.5, 0.3))),
              new FinishedRun(plan.Points[0].Runs[1], "b/report.json", Report(Curve("pgd20-inf", 0.9, 0.5, 0.3)))]],
            "sweep", new Dictionary<string, string>(), DateTimeOffset.UnixEpoch);

        Assert.True(result.IsFail);
        Assert.Contains("b/report.json: standard has no curve fgsm-inf", result.FailToSeq().Head.Message);
    }
}

using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Core.Norms;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Sensitivity.Attacks;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Experiments;

/// <summary>
/// Reads <c>Experiments:&lt;name&gt;:Evaluation</c>: <c>Norm</c> (inf, 2, 1), <c>Epsilons</c> (a list, or
/// <c>0,0.1,0.2</c> on the command line), <c>Fgsm</c> (true/false), <c>Pgd</c> (<c>Enabled</c>, <c>Steps</c>,
/// <c>Restarts</c>, <c>RelativeStepSize</c> α/ε, <c>Seed</c>, <c>TestCount</c>: the first test samples it attacks, 0 = all), <c>AttackEpsilon</c> (the radius of the arrow plot and
/// the attack grid), <c>Apgd</c>, <c>ApgdDlr</c>, <c>Square</c> (each with <c>Enabled</c> and its budget),
/// <c>CoveringRadius</c> (<c>auto</c>, <c>none</c> or a radius), <c>Certify</c> (true/false: the certified curve from the model's Lipschitz bound), <c>InputBox</c> (<c>[0, 1]</c>, <c>0,1</c> or <c>none</c>; images default to [0, 1]) and, for
/// planar data, <c>Grid</c> (<c>Resolution</c>, <c>Margin</c>) of the level-set plots.
/// </summary>
internal static class EvaluationSettingsReader
{
    /// <summary>Largest level-set grid: <c>Resolution</c>² points are classified and drawn (1000² = one million).</summary>
    public const int MaxGridResolution = 1000;

    /// <summary>Most radii of an accuracy curve.</summary>
    public const int MaxRadii = 100;

    /// <summary>The evaluation settings; the defaults depend on the data kind (radii in input units).</summary>
    public static Validation<Error, EvaluationSettings> Read(IConfigurationSection evaluation, DataKind kind)
    {
        bool images = kind == DataKind.Images;
        double[] defaultEpsilons = images ? [0, 0.05, 0.1, 0.2, 0.3] : [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3];
        var keys = SettingReaders.KnownKeys(evaluation, "Norm", "Epsilons", "Fgsm", "Pgd", "Apgd", "ApgdDlr", "Square", "CoveringRadius",
            "Certify", "AttackEpsilon", "InputBox", "Grid");
        var epsilons = SettingReaders.Numbers(evaluation, "Epsilons", MaxRadii).Bind(list =>
        {
            var values = list.IfNone(defaultEpsilons);
            var errors = values.Select((e, i) => (e, i)).Where(x => x.e < 0 || x.e > TrainingSettingsReader.MaxRadius)
                .Select(x => HostErrors.Configuration($"{evaluation.Path}:Epsilons[{x.i}]", x.e < 0 ? $"an attack radius must not be negative, got {x.e}" : $"an attack radius must be at most {TrainingSettingsReader.MaxRadius}, got {x.e}"))
                .ToList();
            if (values.Length == 0) errors.Add(HostErrors.Configuration($"{evaluation.Path}:Epsilons", "needs at least one radius"));
            return errors.Count > 0 ? Fail<Error, IReadOnlyList<double>>(Seq(errors)) : Success<Error, IReadOnlyList<double>>(values);
        });
        var norm = SettingReaders.Choice(evaluation, "Norm", AttackNorm.Infinity, TrainingSettingsReader.Norms);
        // APGD and Square search ℓ∞ and ℓ2 balls: with Norm = 1 they are off unless switched on, which is then an error.
        var attackNorm = norm.Match(Succ: n => n, Fail: _ => AttackNorm.Infinity);
        var attacks = (SettingReaders.Flag(evaluation, "Fgsm", true), Pgd(evaluation.GetSection("Pgd")),
                Apgd(evaluation.GetSection("Apgd"), images, attackNorm), ApgdDlr(evaluation.GetSection("ApgdDlr"), images, attackNorm),
                Square(evaluation.GetSection("Square"), images, attackNorm))
            .Apply((fgsm, pgd, apgd, apgdDlr, square) => (fgsm, pgd, apgd, apgdDlr, square))
            .Bind(a => a.fgsm || a.pgd.IsSome || a.apgd.IsSome || a.apgdDlr.IsSome || a.square.IsSome
                ? Success<Error, (bool Fgsm, Option<PgdEvaluation> Pgd, Option<ApgdEvaluation> Apgd, Option<ApgdTargetedEvaluation> ApgdDlr, Option<SquareEvaluation> Square)>(a)
                : Fail<Error, (bool Fgsm, Option<PgdEvaluation> Pgd, Option<ApgdEvaluation> Apgd, Option<ApgdTargetedEvaluation> ApgdDlr, Option<SquareEvaluation> Square)>(
                    HostErrors.Configuration(evaluation.Path, "no attack is enabled; enable Fgsm, Pgd, Apgd, ApgdDlr or Square")));
        var grid = Grid(evaluation.GetSection("Grid"), kind);
        return (keys, norm, epsilons, attacks,
                SettingReaders.Number(evaluation, "AttackEpsilon", images ? 0.1 : 0.15, 0, TrainingSettingsReader.MaxRadius, exclusiveMin: true),
                Box(evaluation, images ? InputBox.Unit : null),
                grid,
                (Covering(evaluation), SettingReaders.Flag(evaluation, "Certify", true)).Apply((covering, certify) => (covering, certify)))
            .Apply((_, n, e, a, attackEpsilon, box, g, checks) => new EvaluationSettings(n, e, a.Fgsm,
                a.Pgd.MatchUnsafe(p => p, () => null), attackEpsilon, box.MatchUnsafe(b => b, () => null), g.Resolution, g.Margin,
                a.Apgd.MatchUnsafe(p => p, () => null), a.ApgdDlr.MatchUnsafe(p => p, () => null), a.Square.MatchUnsafe(p => p, () => null),
                checks.covering.MatchUnsafe(c => c, () => null)) { Certify = checks.certify });
    }

    private static Validation<Error, Option<PgdEvaluation>> Pgd(IConfigurationSection section) =>
        (SettingReaders.KnownKeys(section, "Enabled", "Steps", "Restarts", "RelativeStepSize", "Seed", "TestCount"),
                SettingReaders.Flag(section, "Enabled", true),
                SettingReaders.Integer(section, "Steps", 20, 1, TrainingSettingsReader.MaxAttackSteps),
                SettingReaders.Integer(section, "Restarts", 1, 1, 1000),
                SettingReaders.OptionalNumber(section, "RelativeStepSize", 0, 100, exclusiveMin: true),
                SettingReaders.Long(section, "Seed", 0),
                SettingReaders.Integer(section, "TestCount", 0, 0, DataSettingsReader.MaxImages))
            .Apply((_, enabled, steps, restarts, relative, seed, testCount) => enabled
                ? Some(new PgdEvaluation(steps, restarts, relative.MatchUnsafe(r => (double?)r, () => null), seed, testCount))
                : None);

    /// <summary>Most queries of the Square attack per sample and restart.</summary>
    public const int MaxQueries = 100_000;

    /// <summary>
    /// Whether an APGD or Square section is on: by default for the ℓ∞ and ℓ2 norms and off for ℓ1; switched on for ℓ1 it
    /// is an error naming the key.
    /// </summary>
    private static Validation<Error, bool> Enabled(IConfigurationSection section, AttackNorm norm, string attack) =>
        SettingReaders.Flag(section, "Enabled", norm.Q != 1).Bind(on => on && norm.Q == 1
            ? Fail<Error, bool>(HostErrors.Configuration($"{section.Path}:Enabled", $"{attack} searches ℓ∞ or ℓ2 balls, and Norm is 1; set it to false or change Norm"))
            : Success<Error, bool>(on));

    /// <summary>APGD-CE: 100 iterations (AutoAttack's) on at most 1000 test images; 20 on point clouds, where more change nothing.</summary>
    private static Validation<Error, Option<ApgdEvaluation>> Apgd(IConfigurationSection section, bool images, AttackNorm norm) =>
        (SettingReaders.KnownKeys(section, "Enabled", "Iterations", "Restarts", "Seed", "TestCount"),
                Enabled(section, norm, "APGD"),
                SettingReaders.Integer(section, "Iterations", images ? 100 : 20, 1, TrainingSettingsReader.MaxAttackSteps),
                SettingReaders.Integer(section, "Restarts", 1, 1, 1000),
                SettingReaders.Long(section, "Seed", 0),
                SettingReaders.Integer(section, "TestCount", images ? 1000 : 0, 0, DataSettingsReader.MaxImages))
            .Apply((_, enabled, iterations, restarts, seed, testCount) => enabled ? Some(new ApgdEvaluation(iterations, restarts, seed, testCount)) : None);

    /// <summary>APGD-T: as APGD-CE per target class, nine target classes (AutoAttack's; capped at classes − 1), images on at most 500 test samples.</summary>
    private static Validation<Error, Option<ApgdTargetedEvaluation>> ApgdDlr(IConfigurationSection section, bool images, AttackNorm norm) =>
        (SettingReaders.KnownKeys(section, "Enabled", "Iterations", "Restarts", "TargetClasses", "Seed", "TestCount"),
                Enabled(section, norm, "APGD"),
                SettingReaders.Integer(section, "Iterations", images ? 100 : 20, 1, TrainingSettingsReader.MaxAttackSteps),
                SettingReaders.Integer(section, "Restarts", 1, 1, 1000),
                SettingReaders.Integer(section, "TargetClasses", 9, 1, 10_000),
                SettingReaders.Long(section, "Seed", 0),
                SettingReaders.Integer(section, "TestCount", images ? 500 : 0, 0, DataSettingsReader.MaxImages))
            .Apply((_, enabled, iterations, restarts, targets, seed, testCount) =>
                enabled ? Some(new ApgdTargetedEvaluation(iterations, restarts, targets, seed, testCount)) : None);

    /// <summary>
    /// Square: 1000 queries on at most 500 test images (AutoAttack spends 5000); 100 on point clouds, whose ℓ∞ ball has
    /// four corners to try; p_init 0.8 (AutoAttack's).
    /// </summary>
    private static Validation<Error, Option<SquareEvaluation>> Square(IConfigurationSection section, bool images, AttackNorm norm) =>
        (SettingReaders.KnownKeys(section, "Enabled", "Queries", "InitialFraction", "Restarts", "Seed", "TestCount"),
                Enabled(section, norm, "The Square attack"),
                SettingReaders.Integer(section, "Queries", images ? 1000 : 100, 1, MaxQueries),
                SettingReaders.Number(section, "InitialFraction", 0.8, 0, 1, exclusiveMin: true),
                SettingReaders.Integer(section, "Restarts", 1, 1, 1000),
                SettingReaders.Long(section, "Seed", 0),
                SettingReaders.Integer(section, "TestCount", images ? 500 : 0, 0, DataSettingsReader.MaxImages))
            .Apply((_, enabled, queries, fraction, restarts, seed, testCount) =>
                enabled ? Some(new SquareEvaluation(queries, fraction, restarts, seed, testCount)) : None);

    /// <summary>The covering radius of the sanity check: <c>auto</c> (default), <c>none</c>, or a positive radius in input units.</summary>
    private static Validation<Error, Option<CoveringRadiusSetting>> Covering(IConfigurationSection evaluation) =>
        SettingReaders.Scalar(evaluation, "CoveringRadius").Bind(text => text.Match(
            None: () => Success<Error, Option<CoveringRadiusSetting>>(Some(CoveringRadiusSetting.Automatic)),
            Some: t => t.Equals("auto", StringComparison.OrdinalIgnoreCase) ? Success<Error, Option<CoveringRadiusSetting>>(Some(CoveringRadiusSetting.Automatic))
                : t.Equals("none", StringComparison.OrdinalIgnoreCase) ? Success<Error, Option<CoveringRadiusSetting>>(None)
                : SettingReaders.ParseNumber($"{evaluation.Path}:CoveringRadius", t, 0, 1e9, exclusiveMin: true, exclusiveMax: false)
                    .Map(r => Some(new CoveringRadiusSetting(r)))
                    .MapFail(e => HostErrors.Configuration($"{evaluation.Path}:CoveringRadius", $"expected auto, none or a positive radius, got {Echo.Quote(t)}"))));

    private static Validation<Error, (int Resolution, double Margin)> Grid(IConfigurationSection section, DataKind kind)
    {
        if (kind == DataKind.Images && section.Exists())
            return Fail<Error, (int, double)>(HostErrors.Configuration(section.Path, "level-set grids need two-dimensional inputs; remove it for image data"));
        return (SettingReaders.KnownKeys(section, "Resolution", "Margin"),
                SettingReaders.Integer(section, "Resolution", 150, 2, MaxGridResolution),
                SettingReaders.Number(section, "Margin", 0.5, 0, 1000))
            .Apply((_, r, m) => (r, m));
    }

    /// <summary>The valid input box: a two-number list [min, max], "min,max", or "none".</summary>
    private static Validation<Error, Option<InputBox>> Box(IConfigurationSection evaluation, InputBox? fallback)
    {
        string key = $"{evaluation.Path}:InputBox";
        var text = evaluation["InputBox"];
        if (text is not null && text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) return Success<Error, Option<InputBox>>(None);
        return SettingReaders.Numbers(evaluation, "InputBox").Bind(given => given.Match(
            None: () => Success<Error, Option<InputBox>>(Optional(fallback)),
            Some: values => values switch
            {
                [var min, var max] when min < max => Success<Error, Option<InputBox>>(Some(new InputBox(min, max))),
                [var min, var max] => Fail<Error, Option<InputBox>>(HostErrors.Configuration(key, $"needs min < max, got [{min}, {max}]")),
                _ => Fail<Error, Option<InputBox>>(HostErrors.Configuration(key, $"expected [min, max] or none, got {values.Length} numbers")),
            }));
    }
}

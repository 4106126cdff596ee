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
/// the attack grid), <c>Certify</c> (true/false: the certified curve from the model's Lipschitz bound), <c>InputBox</c> (<c>[0, 1]</c>, <c>0,1</c> or <c>none</c>; images default to [0, 1]) and, for
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
        var keys = SettingReaders.KnownKeys(evaluation, "Norm", "Epsilons", "Fgsm", "Pgd", "Certify", "AttackEpsilon", "InputBox", "Grid");
        var epsilons = SettingReaders.Numbers(evaluation, "Epsilons", MaxRadii).Bind(list =>
        {
            var values = list.IfNone(defaultEpsilons);
            var errors = values.Select((e, i) => (e, i)).Where(x => x.e < 0 || x.e > TrainingSettingsReader.MaxRadius)
                .Select(x => HostErrors.Configuration($"{evaluation.Path}:Epsilons[{x.i}]", x.e < 0 ? $"an attack radius must not be negative, got {x.e}" : $"an attack radius must be at most {TrainingSettingsReader.MaxRadius}, got {x.e}"))
                .ToList();
            if (values.Length == 0) errors.Add(HostErrors.Configuration($"{evaluation.Path}:Epsilons", "needs at least one radius"));
            return errors.Count > 0 ? Fail<Error, IReadOnlyList<double>>(Seq(errors)) : Success<Error, IReadOnlyList<double>>(values);
        });
        var attacks = (SettingReaders.Flag(evaluation, "Fgsm", true), Pgd(evaluation.GetSection("Pgd")))
            .Apply((fgsm, pgd) => (fgsm, pgd))
            .Bind(a => a.fgsm || a.pgd.IsSome
                ? Success<Error, (bool Fgsm, Option<PgdEvaluation> Pgd)>(a)
                : Fail<Error, (bool Fgsm, Option<PgdEvaluation> Pgd)>(HostErrors.Configuration(evaluation.Path, "no attack is enabled; enable Fgsm or Pgd")));
        var grid = Grid(evaluation.GetSection("Grid"), kind);
        return (keys,
                SettingReaders.Choice(evaluation, "Norm", AttackNorm.Infinity, TrainingSettingsReader.Norms),
                epsilons, attacks,
                SettingReaders.Number(evaluation, "AttackEpsilon", images ? 0.1 : 0.15, 0, TrainingSettingsReader.MaxRadius, exclusiveMin: true),
                Box(evaluation, images ? InputBox.Unit : null),
                grid,
                SettingReaders.Flag(evaluation, "Certify", true))
            .Apply((_, norm, e, a, attackEpsilon, box, g, certify) => new EvaluationSettings(norm, e, a.Fgsm,
                a.Pgd.MatchUnsafe(p => p, () => null), attackEpsilon, box.MatchUnsafe(b => b, () => null), g.Resolution, g.Margin) { Certify = certify });
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

using System.Globalization;
using Microsoft.Extensions.Configuration;
using RobustNode.Host.Experiments;
using RobustNode.Training.Trainers;

namespace RobustNode.Host.Runs;

/// <summary>The settings a run used, as key–value text: resolved values (defaults included) and the raw configuration section.</summary>
internal static class RunSettings
{
    /// <summary>Every resolved setting of a run.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Resolved(ExperimentSettings e, ExperimentData data, IReadOnlyList<(string Name, TrainingOptions Options)> trainers)
    {
        var inv = CultureInfo.InvariantCulture;
        var ev = e.Evaluation;
        var list = new List<KeyValuePair<string, string>>
        {
            new("experiment", e.Name),
            new("threads", e.Threads.ToString(inv)),
            new("data.train", data.Train.Name),
            new("data.test", data.Test.Name),
        };
        if (!data.Scale.IsIdentity)
            list.Add(new("data.normalisation", FormattableString.Invariant($"(x - {data.Scale.Mean:G6}) / {data.Scale.Std:G6}")));
        list.Add(new("model", ExperimentModel.Describe(e.Model, data.Train)));
        list.Add(new("model.seed", e.Model.Seed.ToString(inv)));
        list.Add(new("engine", e.Model.Engine));
        list.Add(new("training.optimizer", e.Training.Optimizer.Describe()));
        list.Add(new("training.schedule", e.Training.Schedule.Describe()));
        list.Add(new("training.epochs", e.Training.Epochs.ToString(inv)));
        list.Add(new("training.batchSize", e.Training.BatchSize.ToString(inv)));
        list.Add(new("training.seed", e.Training.Seed.ToString(inv)));
        list.Add(new("training.divergence", (e.Training.Divergence ?? DivergenceRule.Default).Describe()));
        if (trainers.FirstOrDefault().Options?.Shift is { Pixels: > 0 } shift) list.Add(new("training.randomShift", shift.Describe()));
        foreach (var (name, options) in trainers) list.Add(new($"trainer.{name}", options.Objective.Describe()));
        list.Add(new("evaluation.norm", ev.Norm.ToString()));
        list.Add(new("evaluation.epsilons", string.Join(", ", ev.Epsilons.Select(x => x.ToString(inv)))));
        list.Add(new("evaluation.fgsm", ev.Fgsm ? "true" : "false"));
        list.Add(new("evaluation.pgd", ev.Pgd is { } p
            ? FormattableString.Invariant($"steps={p.Steps}, restarts={p.Restarts}, stepSize={(p.RelativeStepSize ?? 2.5 / p.Steps):G4}·ε, randomStart=true, seed={p.Seed}")
            : "off"));
        list.Add(new("evaluation.apgd", ev.Apgd is { } a
            ? FormattableString.Invariant($"iterations={a.Iterations}, restarts={a.Restarts}, seed={a.Seed}, testCount={(a.TestCount > 0 ? a.TestCount.ToString(inv) : "all")}")
            : "off"));
        list.Add(new("evaluation.apgdDlr", ev.ApgdDlr is { } t
            ? FormattableString.Invariant($"loss={(data.Train.Classes >= 4 ? "targeted-dlr" : "targeted-margin")}, iterations={t.Iterations}, targetClasses={Math.Min(t.TargetClasses, data.Train.Classes - 1)}, restarts={t.Restarts}, seed={t.Seed}, testCount={(t.TestCount > 0 ? t.TestCount.ToString(inv) : "all")}")
            : "off"));
        list.Add(new("evaluation.square", ev.Square is { } q
            ? FormattableString.Invariant($"queries={q.Queries}, p_init={q.InitialFraction}, restarts={q.Restarts}, seed={q.Seed}, testCount={(q.TestCount > 0 ? q.TestCount.ToString(inv) : "all")}")
            : "off"));
        list.Add(new("evaluation.coveringRadius", ev.CoveringRadius is { } c
            ? ModelEvaluation.Covering(ev, data.Test, data.Scale) is { } r ? FormattableString.Invariant($"{r.Radius:G6} ({r.What})") : "auto"
            : "none"));
        list.Add(new("evaluation.attackEpsilon", ev.AttackEpsilon.ToString(inv)));
        list.Add(new("evaluation.inputBox", ev.Box?.ToString() ?? "none"));
        if (e.IsPlanar) list.Add(new("evaluation.grid", FormattableString.Invariant($"resolution={ev.GridResolution}, margin={ev.GridMargin}")));
        return list;
    }

    /// <summary>The experiment's configuration section as given (after overrides), flattened and sorted.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Configuration(IConfiguration configuration, string experiment) =>
        configuration.GetSection($"{ExperimentValidation.Section}:{experiment}")
            .AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value!))
            .ToArray();
}

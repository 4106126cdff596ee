using System.Text.Json;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Norms;
using RobustNode.Host.Composition;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;
using static RobustNode.Host.Problems.JsonValues;

namespace RobustNode.Host.Problems;

/// <summary>
/// The <c>"objective"</c> of a problem file: a robust training objective evaluated on the file's network and batch, with
/// its random draw given in the file (<c>"perturbation"</c> [B][d]) so that the result is deterministic — the random start of
/// FGSM with random start, LLR and the augmented loss at an adversarial point, GradAlign's η, TRADES' start x′ = x + δ⁰.
/// The <c>sensitivity</c> verb writes its value and control gradients beside the loss's.
/// </summary>
/// <param name="Name"><c>fgsm-rs</c>, <c>trades</c>, <c>gradalign</c>, <c>llr</c> or <c>augmented-adversarial</c>.</param>
/// <param name="Epsilon">The radius ε &gt; 0.</param>
/// <param name="Q">The attack norm q.</param>
/// <param name="Perturbation">The random draw [B][d].</param>
/// <param name="Weight">TRADES' β, GradAlign's λ, LLR's λ (<c>"linearityWeight"</c>), the augmented penalty weight w.</param>
/// <param name="GradientWeight">LLR's μ.</param>
/// <param name="Steps">Attack steps of TRADES and LLR.</param>
/// <param name="StepSize">The attack step α.</param>
internal sealed record ProblemObjective(string Name, double Epsilon, AttackNorm Q, double[,] Perturbation,
    double? Weight = null, double? GradientWeight = null, int? Steps = null, double? StepSize = null)
{
    /// <summary>The objectives a file may name, with the keys each takes beside <c>name</c>, <c>epsilon</c>, <c>q</c> and <c>perturbation</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Keys = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["fgsm-rs"] = ["stepSize"],
        ["trades"] = ["weight", "steps", "stepSize"],
        ["gradalign"] = ["weight"],
        ["llr"] = ["linearityWeight", "gradientWeight", "steps", "stepSize"],
        ["augmented-adversarial"] = ["weight", "stepSize"],
    };

    private static readonly string[] Common = ["name", "epsilon", "q", "perturbation"];

    /// <summary>The library's objective with these settings (defaults where the file is silent; no input box).</summary>
    public IRobustObjective Objective()
    {
        var norm = Q;
        return Name switch
        {
            "fgsm-rs" => new FgsmRsObjective(Epsilon, norm) { StepSize = StepSize },
            "trades" => new TradesObjective(Epsilon, norm) { Weight = Weight ?? 6, Steps = Steps ?? 10, StepSize = StepSize },
            "gradalign" => new GradAlignObjective(Epsilon, norm) { Weight = Weight ?? 0.2 },
            "llr" => new LlrObjective(Epsilon, norm) { LinearityWeight = Weight ?? 4, GradientWeight = GradientWeight ?? 3, Steps = Steps ?? 2, StepSize = StepSize },
            "augmented-adversarial" => new AugmentedAdversarialObjective(Epsilon, norm) { Weight = Weight, StepSize = StepSize },
            _ => throw new InvalidOperationException($"unknown objective '{Name}' passed validation"),
        };
    }

    /// <summary>
    /// Reads <c>$.objective</c>: an object with a known <c>name</c>, <c>epsilon</c> &gt; 0, an optional <c>q</c>, a
    /// <c>perturbation</c> shaped like x0 and only the keys its objective takes, every problem reported with its path.
    /// TRADES compares class distributions, so it needs the cross-entropy loss.
    /// </summary>
    public static Validation<Error, ProblemObjective> Read(JsonElement e, int? batch, int? dim, string? loss)
    {
        const string at = "$.objective";
        if (e.ValueKind != JsonValueKind.Object)
            return Fail<Error, ProblemObjective>(HostErrors.ProblemFile(at, $"expected an object with \"name\", \"epsilon\" and \"perturbation\", got {Describe(e)}"));
        var entries = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in e.EnumerateObject()) entries[property.Name] = property.Value;
        Option<JsonElement> Entry(string key) => entries.TryGetValue(key, out var v) ? Some(v) : None;
        Validation<Error, JsonElement> Need(string key) =>
            Entry(key).Match(Some: Success<Error, JsonElement>, None: () => Fail<Error, JsonElement>(HostErrors.ProblemFile($"{at}.{key}", "missing")));
        Validation<Error, Option<T>> Optional<T>(string key, Func<JsonElement, string, Validation<Error, T>> read) =>
            Entry(key).Match(Some: v => read(v, $"{at}.{key}").Map(Some), None: () => Success<Error, Option<T>>(None));

        return Need("name").Bind(n => Choice(n, $"{at}.name", Keys.ToDictionary(k => k.Key, k => k.Key))).Bind(name =>
        {
            var allowed = Common.Concat(Keys[name]).ToArray();
            var unknown = entries.Keys.Where(k => !allowed.Contains(k))
                .Select(k => HostErrors.ProblemFile($"{at}.{Echo.Clip(k, Echo.ValueLength)}", $"not a setting of \"{name}\"; it takes {string.Join(", ", allowed)}"))
                .ToList();
            var keys = unknown.Count == 0 ? Success<Error, Unit>(unit) : Fail<Error, Unit>(Seq(unknown));
            var lossFits = name == "trades" && loss is not null && loss != "cross-entropy"
                ? Fail<Error, Unit>(HostErrors.ProblemFile(at, "trades compares the class distributions of two outputs, so it needs \"loss\": \"cross-entropy\""))
                : Success<Error, Unit>(unit);
            var weightKey = name == "llr" ? "linearityWeight" : "weight";
            return (keys, lossFits,
                    Need("epsilon").Bind(v => Number(v, $"{at}.epsilon", x => x > 0, "positive")),
                    Optional("q", Norm).Map(q => q.IfNone(AttackNorm.Infinity)),
                    Need("perturbation").Bind(v => Matrix(v, $"{at}.perturbation", batch, dim)),
                    Optional(weightKey, (v, p) => Number(v, p, x => x >= 0, "at least 0")),
                    Optional("gradientWeight", (v, p) => Number(v, p, x => x >= 0, "at least 0")),
                    Optional("steps", (v, p) => Integer(v, p, 1, 10_000)),
                    Optional("stepSize", (v, p) => Number(v, p, x => x > 0, "positive")))
                .Apply((_, _, epsilon, q, perturbation, weight, mu, steps, step) => new ProblemObjective(name, epsilon, q, perturbation,
                    weight.MatchUnsafe(w => (double?)w, () => null), mu.MatchUnsafe(w => (double?)w, () => null),
                    steps.MatchUnsafe(s => (int?)s, () => null), step.MatchUnsafe(s => (double?)s, () => null)));
        });
    }

    /// <summary>"inf", 2 or 1.</summary>
    private static Validation<Error, AttackNorm> Norm(JsonElement e, string path)
    {
        var text = e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Number => e.GetRawText(),
            _ => null,
        };
        return text is not null && AttackNorm.Parse(text) is { } q
            ? Success<Error, AttackNorm>(q)
            : Fail<Error, AttackNorm>(HostErrors.ProblemFile(path, $"expected \"inf\", 2 or 1, got {Describe(e)}"));
    }
}

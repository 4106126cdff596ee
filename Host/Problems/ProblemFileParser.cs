using System.Text.Json;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using RobustNode.Core.Spectral;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Host.IO;
using static LanguageExt.Prelude;
using static RobustNode.Host.Problems.JsonValues;

namespace RobustNode.Host.Problems;

/// <summary>
/// Reads a problem file (DESIGN §4) with System.Text.Json and validates every entry at once: missing keys,
/// unknown keys, wrong types, non-finite numbers, shapes that disagree with <c>dim</c>, <c>steps</c> and the
/// batch, unknown solvers — each problem naming its JSON path (<c>$.weights[2]: expected 3 rows of 3, got 2</c>).
/// Comments and trailing commas are allowed. A solver the file does not name comes from the <c>Solver</c> settings,
/// an engine it does not name (<c>"engine"</c>: auto or a registered engine) from the <c>Engine</c> settings.
/// </summary>
internal sealed class ProblemFileParser(SolverRegistry solvers, SolverDefaults defaults, EngineCatalog engines, EngineSettings engine)
{
    private static readonly string[] KnownKeys =
    [
        "field", "dim", "steps", "T", "solver", "stepsPerLayer", "adaptive", "rtol", "atol",
        "weights", "biases", "A", "activation", "direction", "unconstrained", "x0", "loss", "labels", "targets", "epsilon", "q", "mode", "adjoint", "engine", "objective",
    ];

    private static readonly Dictionary<string, string> Fields = new() { ["linear"] = "linear", ["node-tanh"] = "node-tanh", ["gradient-flow"] = "gradient-flow" };

    /// <summary>The activations of gradient-flow layers: derivatives σ = γ' of convex potentials (monotone).</summary>
    private static readonly Dictionary<string, Activation> FlowActivations =
        Activation.ByName.Values.Where(a => a.Monotone).ToDictionary(a => a.Name, a => a, StringComparer.Ordinal);

    private static readonly Dictionary<string, FlowDirection> Directions = new()
    {
        ["contractive"] = FlowDirection.Contractive, ["expansive"] = FlowDirection.Expansive,
    };
    private static readonly Dictionary<string, string> Losses = new() { ["cross-entropy"] = "cross-entropy", ["square"] = "square" };
    private static readonly Dictionary<string, AdjointMode> Modes = new() { ["discrete"] = AdjointMode.Discrete, ["continuous"] = AdjointMode.Continuous };
    private static readonly Dictionary<string, AdjointStorage> Storages = new()
    {
        ["stored"] = AdjointStorage.Stored, ["checkpoint"] = AdjointStorage.Checkpoint, ["backsolve"] = AdjointStorage.Backsolve,
    };

    private static readonly JsonDocumentOptions Options = JsonText.Options;

    /// <summary>Most layers N of a problem file (a linear field needs no per-layer data, so only this bounds its work before the step limit).</summary>
    public const int MaxLayers = 10_000_000;

    /// <summary>Parses and validates the text of a problem file.</summary>
    public Validation<Error, ProblemFile> Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Options);
        }
        catch (JsonException ex)
        {
            return Fail<Error, ProblemFile>(HostErrors.ProblemFile("$", SyntaxMessage(json, ex)));
        }
        using (document)
        {
            // System.Text.Json refuses to decode a lone surrogate escape ("\ud800") only when the string is read, with an exception.
            var invalid = JsonText.InvalidStrings(document.RootElement);
            if (invalid.Count > 0)
                return Fail<Error, ProblemFile>(Seq(invalid.Select(p => HostErrors.ProblemFile(p, JsonText.InvalidStringReason))));
            return Parse(document.RootElement);
        }
    }

    /// <summary>Validates a parsed problem file.</summary>
    public Validation<Error, ProblemFile> Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            return Fail<Error, ProblemFile>(HostErrors.ProblemFile("$", $"expected a JSON object, got {Describe(root)}"));
        return new Reader(root, solvers, defaults, engines, engine).Read();
    }

    private static string SyntaxMessage(string json, JsonException ex)
    {
        var message = ex.Message;
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        if (ex.LineNumber is not { } line) return $"not valid JSON: {message}";
        long column = ex.BytePositionInLine ?? 0;
        var text = json.Split('\n').ElementAtOrDefault((int)line) ?? "";
        var rest = column < text.Length ? text[(int)column..] : "";
        var hint = rest.StartsWith("NaN") || rest.StartsWith("Infinity") || rest.StartsWith("-Infinity")
            ? " (NaN and infinite values are not allowed)" : "";
        return $"not valid JSON at line {line + 1}, column {column + 1}: {message}{hint}";
    }

    /// <summary>One pass over one file's root object.</summary>
    private sealed class Reader(JsonElement root, SolverRegistry solvers, SolverDefaults defaults, EngineCatalog engines, EngineSettings engine)
    {
        private readonly Dictionary<string, JsonElement> _entries = new(StringComparer.Ordinal);
        private readonly List<Error> _duplicates = [];

        public Validation<Error, ProblemFile> Read()
        {
            foreach (var property in root.EnumerateObject())
                if (!_entries.TryAdd(property.Name, property.Value))
                    _duplicates.Add(HostErrors.ProblemFile(Path(Echo.Clip(property.Name, Echo.ValueLength)), "duplicate key"));

            var keys = KeysAreKnown();
            var dim = Need("dim").Bind(e => Integer(e, Path("dim"), 1));
            var steps = Need("steps").Bind(e => Integer(e, Path("steps"), 1, MaxLayers));
            var finalTime = Need("T").Bind(e => Number(e, Path("T"), v => v > 0, "positive"));
            int? d = Known(dim), n = Known(steps);
            var x0 = Need("x0").Bind(e => Matrix(e, Path("x0"), null, d));
            // The batch is the number of rows of x0, even when a row is malformed, so that labels and targets are still checked.
            int? batch = Entry("x0").Filter(e => e.ValueKind == JsonValueKind.Array).MatchUnsafe(e => (int?)e.GetArrayLength(), () => null);

            var field = Need("field").Bind(e => Choice(e, Path("field"), Fields)).Bind(kind => kind switch
            {
                "linear" => (Need("A").Bind(e => Matrix(e, Path("A"), d, d)), NotUsed("weights", kind), NotUsed("biases", kind), FlowKeysNotUsed(kind))
                    .Apply((a, _, _, _) => (ProblemField)new ProblemField.Linear(a)),
                "node-tanh" => (Need("weights").Bind(e => Stack(e, Path("weights"), n, d, d)), Need("biases").Bind(e => Matrix(e, Path("biases"), n, d)),
                        NotUsed("A", kind), FlowKeysNotUsed(kind))
                    .Apply((w, b, _, _) => (ProblemField)new ProblemField.NeuralOde(w, b)),
                _ => GradientFlow(n, d),
            });

            var robustness = (Loss(batch, d),
                    Optional("epsilon", e => Number(e, Path("epsilon"), v => v >= 0, "at least 0"), 0.0),
                    Optional("q", AttackNormOf, AttackNorm.Infinity),
                    Optional("mode", e => Choice(e, Path("mode"), Modes), AdjointMode.Discrete),
                    Optional("adjoint", e => Choice(e, Path("adjoint"), Storages), AdjointStorage.Stored))
                .Apply((loss, epsilon, q, mode, adjoint) => (loss, epsilon, q, mode, adjoint));

            return (keys, field, dim, steps, finalTime, Solver(), x0, (robustness, Engine(), Objective(batch, d)).Apply((r, e, o) => (r, e, o)))
                .Apply((_, f, dd, nn, t, solver, x, re) => new ProblemFile(f, dd, nn, t, solver, x, re.r.loss.MatchUnsafe(l => l, () => null),
                    re.r.epsilon, re.r.q, re.r.mode, re.r.adjoint) { Engine = re.e, Objective = re.o.MatchUnsafe(o => o, () => null) })
                .Bind(WithinStepLimit)
                .Bind(StepRuleHolds);
        }

        /// <summary>"weights" [N][m][d] (any m ≥ 1), "biases" [N][m], "activation", "direction" (one, or one per layer) and "unconstrained".</summary>
        private Validation<Error, ProblemField> GradientFlow(int? n, int? d)
        {
            var weights = Need("weights").Bind(e => Stack(e, Path("weights"), n, null, d));
            int? m = weights.MatchUnsafe(w => (int?)w.GetLength(1), _ => null);
            return (weights,
                    Need("biases").Bind(e => Matrix(e, Path("biases"), n, m)),
                    NotUsed("A", "gradient-flow"),
                    Need("activation").Bind(e => e.ValueKind == JsonValueKind.String && Activation.NotMonotone.Contains(e.GetString()!)
                        ? Fail<Error, Activation>(HostErrors.ProblemFile(Path("activation"), Activation.NotAPotentialGradient(Echo.Clip(e.GetString()!, Echo.ValueLength))))
                        : Choice(e, Path("activation"), FlowActivations)),
                    Optional("direction", e => FlowDirections(e, n), new[] { FlowDirection.Contractive }),
                    Optional("unconstrained", e => Boolean(e, Path("unconstrained")), false))
                .Apply((w, b, _, activation, directions, unconstrained) =>
                    (ProblemField)new ProblemField.GradientFlow(w, b, activation, directions, unconstrained));
        }

        /// <summary>"direction": "contractive" | "expansive" for every layer, or a list with one per layer.</summary>
        private static Validation<Error, FlowDirection[]> FlowDirections(JsonElement e, int? layers) =>
            e.ValueKind == JsonValueKind.Array
                ? JsonValues.Array(e, Path("direction"), layers, "directions (one per layer)")
                    .Bind(items => items.Select((item, k) => Choice(item, $"$.direction[{k}]", Directions)).Sequence().Map(v => v.ToArray()))
                : Choice(e, Path("direction"), Directions).Map(direction => new[] { direction });

        private Validation<Error, Unit> FlowKeysNotUsed(string kind) =>
            (NotUsed("activation", kind), NotUsed("direction", kind), NotUsed("unconstrained", kind)).Apply((_, _, _) => unit);

        /// <summary>
        /// A gradient-flow file keeps the step rule of its contractive layers, h·sup σ'·‖A_k‖₂² ≤ 2 with h the constant step
        /// (T/N/stepsPerLayer) — its Euler steps are then non-expansive — unless it says "unconstrained": true.
        /// </summary>
        private static Validation<Error, ProblemFile> StepRuleHolds(ProblemFile problem)
        {
            if (problem.Field is not ProblemField.GradientFlow { Unconstrained: false } flow) return Success<Error, ProblemFile>(problem);
            var directions = Enumerable.Range(0, problem.Steps).Select(k => flow.Directions[flow.Directions.Count == 1 ? 0 : k]).ToArray();
            if (!directions.Contains(FlowDirection.Contractive)) return Success<Error, ProblemFile>(problem);
            if (problem.Solver.Adaptive)
                return Fail<Error, ProblemFile>(HostErrors.ProblemFile(Path("adaptive"),
                    "adaptive steps cannot keep the step rule of contractive gradient-flow layers (h·sup σ'·‖A‖₂² ≤ 2); use constant steps, or \"unconstrained\": true"));
            double h = problem.FinalTime / problem.Steps / problem.Solver.StepsPerLayer;
            int rows = flow.Weights.GetLength(1), cols = flow.Weights.GetLength(2);
            var errors = new List<Error>();
            for (int k = 0; k < problem.Steps; k++)
            {
                if (directions[k] != FlowDirection.Contractive) continue;
                var a = new double[rows * cols];
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++) a[i * cols + j] = flow.Weights[k, i, j];
                double norm = DenseSpectrum.SpectralNorm(a, rows, cols);
                double value = h * flow.Activation.SlopeBound * norm * norm;
                if (value > 2 * (1 + 1e-12))
                    errors.Add(HostErrors.ProblemFile($"$.weights[{k}]", FormattableString.Invariant(
                        $"the step h = {h:G6} breaks the bound of this contractive layer: h·sup σ'·‖A‖₂² = {value:G6} > 2 (‖A‖₂ = {norm:G6}, sup σ' = {flow.Activation.SlopeBound:G3} for {flow.Activation.Name}), so its Euler step may expand distances; take smaller steps (more steps or stepsPerLayer, or a smaller T), smaller weights, or set \"unconstrained\": true")));
            }
            return errors.Count == 0 ? Success<Error, ProblemFile>(problem) : Fail<Error, ProblemFile>(Seq(errors));
        }

        /// <summary>Constant steps: N layers × stepsPerLayer steps, at most Solver:MaxSteps, refused before anything is computed.</summary>
        private Validation<Error, ProblemFile> WithinStepLimit(ProblemFile problem)
        {
            // An adaptive solve takes at least one step per layer.
            long total = problem.Solver.Adaptive ? problem.Steps : (long)problem.Steps * problem.Solver.StepsPerLayer;
            return total <= defaults.MaxSteps
                ? Success<Error, ProblemFile>(problem)
                : Fail<Error, ProblemFile>(HostErrors.ProblemFile(Path(_entries.ContainsKey("stepsPerLayer") ? "stepsPerLayer" : "steps"),
                    problem.Solver.Adaptive
                        ? $"{problem.Steps} layers need at least {total} adaptive steps, more than Solver:MaxSteps = {defaults.MaxSteps}"
                        : $"{problem.Steps} layers × {problem.Solver.StepsPerLayer} steps per layer = {total} steps, more than Solver:MaxSteps = {defaults.MaxSteps}"));
        }

        /// <summary>"objective" (<see cref="ProblemObjective"/>), which needs a "loss".</summary>
        private Validation<Error, Option<ProblemObjective>> Objective(int? batch, int? d) => Entry("objective").Match(
            None: () => Success<Error, Option<ProblemObjective>>(None),
            Some: e => Entry("loss").IsNone
                ? Fail<Error, Option<ProblemObjective>>(HostErrors.ProblemFile("$.objective", "an objective needs a \"loss\""))
                : ProblemObjective.Read(e, batch, d, Entry("loss").Bind(l => l.ValueKind == JsonValueKind.String ? Some(l.GetString()!) : None).MatchUnsafe(l => l, () => null))
                    .Map(Some));

        /// <summary>"engine", or the <c>Engine:Name</c> setting, resolved for the file's dense field.</summary>
        private Validation<Error, string> Engine() => Entry("engine").Match(
            Some: e => Text(e, Path("engine")).Bind(name => engines.Resolve(name, convolutional: false, r => HostErrors.ProblemFile(Path("engine"), r))),
            None: () => engines.Resolve(engine.Name, convolutional: false, r => HostErrors.Configuration("Engine:Name", r)));

        private static string Path(string key) => $"$.{key}";

        private static int? Known(Validation<Error, int> v) => v.MatchUnsafe(Succ: x => (int?)x, Fail: _ => null);

        private Option<JsonElement> Entry(string key) => _entries.TryGetValue(key, out var e) ? Some(e) : None;

        private Validation<Error, JsonElement> Need(string key) =>
            Entry(key).Match(Some: Success<Error, JsonElement>, None: () => Fail<Error, JsonElement>(HostErrors.ProblemFile(Path(key), "missing")));

        private Validation<Error, T> Optional<T>(string key, Func<JsonElement, Validation<Error, T>> read, T fallback) =>
            Entry(key).Match(Some: read, None: () => Success<Error, T>(fallback));

        private Validation<Error, Option<T>> Optional<T>(string key, Func<JsonElement, Validation<Error, T>> read) =>
            Entry(key).Match(Some: e => read(e).Map(Some), None: () => Success<Error, Option<T>>(None));

        private Validation<Error, Unit> NotUsed(string key, string owner) =>
            _entries.ContainsKey(key)
                ? Fail<Error, Unit>(HostErrors.ProblemFile(Path(key), $"not used by the \"{owner}\" field"))
                : Success<Error, Unit>(unit);

        private Validation<Error, Unit> KeysAreKnown()
        {
            var errors = _duplicates.Concat(_entries.Keys.Where(k => !KnownKeys.Contains(k))
                .Select(k => HostErrors.ProblemFile(Path(Echo.Clip(k, Echo.ValueLength)), $"unknown key; known keys: {string.Join(", ", KnownKeys)}"))).ToList();
            return errors.Count == 0 ? Success<Error, Unit>(unit) : Fail<Error, Unit>(Seq(errors));
        }

        /// <summary>"solver" with "stepsPerLayer", or adaptive steps when "rtol"/"atol" are given or "adaptive" is true.</summary>
        private Validation<Error, SolverChoice> Solver()
        {
            var tableau = Entry("solver").Match(
                Some: e => Text(e, Path("solver")).Bind(name => solvers.Resolve(name, r => HostErrors.ProblemFile(Path("solver"), r))),
                None: () => solvers.Resolve(defaults.Name, r => HostErrors.ProblemFile(Path("solver"), r)));
            var rtol = Optional("rtol", e => Number(e, Path("rtol"), v => v > 0, "positive"));
            var atol = Optional("atol", e => Number(e, Path("atol"), v => v > 0, "positive"));
            var flag = Optional("adaptive", e => Boolean(e, Path("adaptive")));
            var perLayer = Optional("stepsPerLayer", e => Integer(e, Path("stepsPerLayer"), 1, HostSettingsValidation.MaxStepsLimit));
            return (tableau, rtol, atol, flag, perLayer).Apply((t, r, a, f, m) => (t, r, a, f, m)).Bind(s =>
            {
                bool tolerances = s.r.IsSome || s.a.IsSome;
                bool adaptive = s.f.IfNone(tolerances);
                var errors = new List<Error>();
                if (s.f == Some(false) && tolerances)
                    errors.Add(HostErrors.ProblemFile(Path(s.r.IsSome ? "rtol" : "atol"), "tolerances need adaptive steps, but \"adaptive\" is false"));
                if (adaptive && s.m.IsSome)
                    errors.Add(HostErrors.ProblemFile(Path("stepsPerLayer"), "applies to constant steps only; this solve is adaptive (\"rtol\", \"atol\" or \"adaptive\": true)"));
                if (adaptive && !s.t.IsAdaptive)
                    errors.Add(HostErrors.ProblemFile(Path("solver"),
                        $"'{s.t.Name}' has no embedded error estimate, so it cannot take adaptive steps (asked for by \"rtol\", \"atol\" or \"adaptive\"); " +
                        $"adaptive solvers: {string.Join(", ", solvers.AdaptiveNames)}"));
                return errors.Count > 0
                    ? Fail<Error, SolverChoice>(Seq(errors))
                    : Success<Error, SolverChoice>(new SolverChoice(s.t.Name, s.m.IfNone(defaults.StepsPerLayer), adaptive,
                        s.r.IfNone(defaults.RelativeTolerance), s.a.IfNone(defaults.AbsoluteTolerance)));
            });
        }

        /// <summary>"loss" with its "labels" [B] in [0, d) or "targets" [B][d]; none when absent.</summary>
        private Validation<Error, Option<ProblemLoss>> Loss(int? batch, int? d) => Entry("loss").Match(
            None: () => (LossDataNeedsLoss("labels"), LossDataNeedsLoss("targets")).Apply((_, _) => Option<ProblemLoss>.None),
            Some: e => Choice(e, Path("loss"), Losses).Bind(kind => kind == "cross-entropy"
                ? (Need("labels").Bind(l => Labels(l, batch, d)), NotUsed("targets", "cross-entropy"))
                    .Apply((labels, _) => Some<ProblemLoss>(new ProblemLoss.CrossEntropy(labels)))
                : (Need("targets").Bind(t => Matrix(t, Path("targets"), batch, d)), NotUsed("labels", "square"))
                    .Apply((targets, _) => Some<ProblemLoss>(new ProblemLoss.Square(targets)))));

        private Validation<Error, Unit> LossDataNeedsLoss(string key) =>
            _entries.ContainsKey(key)
                ? Fail<Error, Unit>(HostErrors.ProblemFile(Path(key), "given without \"loss\""))
                : Success<Error, Unit>(unit);

        private static Validation<Error, int[]> Labels(JsonElement e, int? batch, int? d) =>
            JsonValues.Array(e, Path("labels"), batch, "class labels").Bind(items => items
                .Select((item, i) => Integer(item, $"$.labels[{i}]", 0).Bind(label => d is { } classes && label >= classes
                    ? Fail<Error, int>(HostErrors.ProblemFile($"$.labels[{i}]", $"class {label} is out of range: labels index the {classes} entries of x(T), so 0 ≤ label < {classes}"))
                    : Success<Error, int>(label)))
                .Sequence().Map(v => v.ToArray()));

        private static Validation<Error, AttackNorm> AttackNormOf(JsonElement e)
        {
            var text = e.ValueKind switch
            {
                JsonValueKind.String => e.GetString(),
                JsonValueKind.Number => e.GetRawText(),
                _ => null,
            };
            return text is not null && AttackNorm.Parse(text) is { } q
                ? Success<Error, AttackNorm>(q)
                : Fail<Error, AttackNorm>(HostErrors.ProblemFile(Path("q"), $"expected \"inf\", 2 or 1, got {Describe(e)}"));
        }
    }
}

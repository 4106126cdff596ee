using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using RobustNode.Core.Fields;
using RobustNode.Host.Composition;
using RobustNode.Host.Configuration;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using RobustNode.Training.Models;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Experiments;

/// <summary>
/// Reads <c>Experiments:&lt;name&gt;:Model</c>. Point clouds: <c>Dim</c>, <c>Layers</c>, <c>T</c>, <c>Activation</c>,
/// <c>WeightScale</c>, <c>BiasScale</c>; images: <c>Width</c>, <c>Layers</c>, <c>T</c>, <c>DType</c>. Both: <c>Solver</c>
/// (any name of the <see cref="SolverRegistry"/>), <c>StepsPerLayer</c>, <c>Adaptive</c> / <c>RelativeTolerance</c> /
/// <c>AbsoluteTolerance</c> (giving a tolerance makes the steps adaptive, as in problem files), <c>MaxSteps</c>,
/// <c>Adjoint</c> (discrete, stored, checkpoint, backsolve), <c>Seed</c> and <c>Engine</c> (auto or an engine's name; default
/// the <c>Engine:Name</c> setting), resolved for the network: point clouds are dense, images need convolutions. Both take
/// <c>Field</c> = gradient-flow with <c>Rows</c>, <c>Directions</c>, <c>BlockBound</c>, <c>StepRule</c> (projection, the
/// default, or normalisation: dense layers only) (and <c>Activation</c> for images) for a block of gradient-flow layers; its default solver is euler. Images also take <c>StemBound</c> and
/// <c>ReadOutBound</c>: the operator-norm bounds the stem convolutions and the read-out keep during training (absent:
/// unconstrained), <c>Features</c> (average-pooling, the default, or flatten): what the read-out sees, and <c>Stem</c>
/// (strided, the default, or space-to-depth): how the stem downsamples, and <c>ReadOut</c>: spectral (the default: ‖W‖₂ ≤
/// <c>ReadOutBound</c> when given), unit-rows (every row of W kept at norm 1, so the scale of the logits cannot shrink) or
/// orthonormal (the rows kept orthonormal, so every pairwise distance ‖w_i − w_j‖₂ is √2); <c>ReadOutBound</c> applies
/// to the spectral read-out only.
/// </summary>
internal static class ModelSettingsReader
{
    private static readonly string[] SolverKeys = ["Solver", "StepsPerLayer", "Adaptive", "RelativeTolerance", "AbsoluteTolerance", "MaxSteps", "Adjoint", "Seed", "Engine"];

    /// <summary>The keys of gradient-flow layers (<c>Field = gradient-flow</c>).</summary>
    private static readonly string[] GradientFlowKeys = ["Field", "Rows", "Directions", "BlockBound", "StepRule"];

    // How training keeps gradient-flow layers on their step rule.
    private static readonly Dictionary<string, StepRuleEnforcement> StepRules = new(StringComparer.OrdinalIgnoreCase)
    {
        ["projection"] = StepRuleEnforcement.Projection, ["normalisation"] = StepRuleEnforcement.Normalisation,
    };

    // What the read-out of an image network sees: the channel means or every feature.
    private static readonly Dictionary<string, bool> ReadOutFeatures = new(StringComparer.OrdinalIgnoreCase) { ["average-pooling"] = false, ["flatten"] = true };

    // How an image network's stem downsamples: strided convolutions or space-to-depth before stride-1 ones.
    private static readonly Dictionary<string, bool> Stems = new(StringComparer.OrdinalIgnoreCase) { ["strided"] = false, ["space-to-depth"] = true };

    // The read-out's constraint: its spectral norm (at most ReadOutBound), rows of norm 1, or orthonormal rows.
    private enum ReadOutKind { Spectral, UnitRows, Orthonormal }

    private static readonly Dictionary<string, ReadOutKind> ReadOuts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["spectral"] = ReadOutKind.Spectral, ["unit-rows"] = ReadOutKind.UnitRows, ["orthonormal"] = ReadOutKind.Orthonormal,
    };

    private static readonly Dictionary<string, bool> Fields = new(StringComparer.OrdinalIgnoreCase) { ["node"] = false, ["gradient-flow"] = true };

    // The network of an image experiment: the convolutional one, or the dense one on the pixels as a vector.
    private static readonly Dictionary<string, bool> ImageNetworks = new(StringComparer.OrdinalIgnoreCase) { ["convolutional"] = false, ["dense"] = true };

    /// <summary>
    /// <c>Network</c> of an image experiment: <c>convolutional</c> (the default) or <c>dense</c>, the point-cloud network
    /// (zero padding, an ODE block of dense layers, a linear read-out) on each image's pixels as one vector.
    /// </summary>
    public static Validation<Error, bool> DenseImages(IConfigurationSection model) => SettingReaders.Choice(model, "Network", false, ImageNetworks);

    /// <summary>Most layers of an ODE block.</summary>
    public const int MaxLayers = 100_000;

    /// <summary>Largest final time T.</summary>
    public const double MaxFinalTime = 1e6;

    private static readonly Dictionary<string, ScalarType> DTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["float32"] = ScalarType.Float32, ["float64"] = ScalarType.Float64,
    };

    /// <summary>
    /// The point-cloud network (defaults: d = 4, N = 10, T = 1, tanh, rk4, discrete adjoint, seed 3); with
    /// <paramref name="ofImages"/> the dense network of an image experiment (<c>Network = dense</c>), which reads that key too.
    /// </summary>
    public static Validation<Error, ModelSettings> PointCloud(IConfigurationSection model, SolverRegistry solvers, SolverDefaults defaults,
        EngineCatalog engines, string engine, bool ofImages = false)
    {
        var keys = SettingReaders.KnownKeys(model, [.. SolverKeys, .. GradientFlowKeys, "Dim", "Layers", "T", "Activation", "WeightScale", "BiasScale",
            .. (ofImages ? (string[])["Network"] : [])]);
        bool flowGiven = model["Field"]?.Trim().Equals("gradient-flow", StringComparison.OrdinalIgnoreCase) == true;
        var activation = ActivationOf(model, flowGiven);
        var shape = (SettingReaders.Integer(model, "Dim", 4, 2, 4096),
                SettingReaders.Integer(model, "Layers", 10, 1, MaxLayers),
                SettingReaders.Number(model, "T", 1.0, 0, MaxFinalTime, exclusiveMin: true),
                activation,
                SettingReaders.Number(model, "WeightScale", 1.0, 0, 1000),
                SettingReaders.Number(model, "BiasScale", 0.0, 0, 1000),
                activation.Bind(a => GradientFlow(model, a)))
            .Apply((d, n, t, a, ws, bs, flow) => new PointCloudModel(Dim: d, Layers: n, FinalTime: t, WeightScale: ws, BiasScale: bs) { Activation = a, GradientFlow = flow.MatchUnsafe(f => f, () => null) });
        string fallbackSolver = flowGiven ? "euler" : "rk4";
        return (keys, shape, Solver(model, solvers, defaults, fallbackSolver), Adjoint(model), SettingReaders.Long(model, "Seed", 3),
                Engine(model, engines, engine, convolutional: false))
            .Apply((_, m, solver, adjoint, seed, e) => (m, solver, adjoint, seed, e))
            .Bind(x => (WithinStepLimit(model, x.m.Layers, x.solver.Solver), ConstantStepsFor(model, x.m.GradientFlow, x.solver.Solver))
                .Apply((_, _) => (ModelSettings)new PointCloudModelSettings(
                    x.m with { Solver = x.solver.Solver, Adjoint = x.adjoint }, x.seed, x.solver.Name) { Engine = x.e }));
    }

    /// <summary>The convolutional ODE network (defaults: width 64, N = 6, T = 1, euler, discrete adjoint, float32, seed 3).</summary>
    public static Validation<Error, ModelSettings> Images(IConfigurationSection model, SolverRegistry solvers, SolverDefaults defaults,
        EngineCatalog engines, string engine)
    {
        var keys = SettingReaders.KnownKeys(model, [.. SolverKeys, .. GradientFlowKeys, "Network", "Activation", "Width", "Layers", "T", "DType", "StemBound", "ReadOutBound", "ReadOut", "Features", "Stem"]);
        // Any field but the neural ODE's reads Activation (an unknown field is reported by GradientFlow below).
        bool flowGiven = !string.IsNullOrWhiteSpace(model["Field"]) && !model["Field"]!.Trim().Equals("node", StringComparison.OrdinalIgnoreCase);
        // The neural-ODE image field is tanh; gradient-flow layers take any monotone σ.
        var activation = flowGiven
            ? ActivationOf(model, flow: true)
            : NotForNeuralOde(model, "Activation").Map(_ => Activation.Tanh);
        var shape = (SettingReaders.Integer(model, "Width", 64, 4, 4096),
                SettingReaders.Integer(model, "Layers", 6, 1, MaxLayers),
                SettingReaders.Number(model, "T", 1.0, 0, MaxFinalTime, exclusiveMin: true),
                activation.Bind(a => GradientFlow(model, a)).Bind(flow => flow.Exists(f => f.Enforcement == StepRuleEnforcement.Normalisation)
                    ? Fail<Error, Option<GradientFlowLayers>>(HostErrors.Configuration($"{model.Path}:StepRule",
                        "normalisation is for dense gradient-flow layers; convolutional ones keep their rule by projection"))
                    : Success<Error, Option<GradientFlowLayers>>(flow)),
                SettingReaders.OptionalNumber(model, "StemBound", 0, 1e6, exclusiveMin: true),
                ReadOut(model),
                SettingReaders.Choice(model, "Features", false, ReadOutFeatures),
                SettingReaders.Choice(model, "Stem", false, Stems))
            .Apply((width, layers, t, flow, stem, head, flatten, spaceToDepth) => new ConvolutionalOdeModel(Width: width, Layers: layers, FinalTime: t)
            {
                SpaceToDepth = spaceToDepth,
                Flatten = flatten,
                GradientFlow = flow.MatchUnsafe(f => f, () => null),
                StemBound = stem.MatchUnsafe(b => (double?)b, () => null),
                ReadOutBound = head.Bound,
                ReadOutRowNorm = head.RowNorm,
                ReadOutOrthonormal = head.Orthonormal,
            });
        var dtype = SettingReaders.Choice(model, "DType", ScalarType.Float32, DTypes);
        return (keys, shape, dtype, Solver(model, solvers, defaults, "euler"), Adjoint(model), SettingReaders.Long(model, "Seed", 3),
                Engine(model, engines, engine, convolutional: true))
            .Apply((_, m, t, solver, adjoint, seed, e) => (m, t, solver, adjoint, seed, e))
            .Bind(x => (WithinStepLimit(model, x.m.Layers, x.solver.Solver), ConstantStepsFor(model, x.m.GradientFlow, x.solver.Solver))
                .Apply((_, _) => (ModelSettings)new ImageModelSettings(x.m, x.solver.Solver, x.adjoint, x.t, x.seed, x.solver.Name) { Engine = x.e }));
    }

    /// <summary>
    /// <c>ReadOut</c> (spectral, unit-rows or orthonormal) and <c>ReadOutBound</c>: the read-out's spectral bound c
    /// (spectral, optional), or its row norm 1 (unit-rows, orthonormal: no bound). <c>ReadOutBound = none</c> is the
    /// key left out, so that a command line can lift a bound that the settings file gives.
    /// </summary>
    private static Validation<Error, (double? Bound, double? RowNorm, bool Orthonormal)> ReadOut(IConfigurationSection model) =>
        (SettingReaders.Choice(model, "ReadOut", ReadOutKind.Spectral, ReadOuts),
         model["ReadOutBound"]?.Trim().Equals("none", StringComparison.OrdinalIgnoreCase) == true
            ? Success<Error, Option<double>>(None)
            : SettingReaders.OptionalNumber(model, "ReadOutBound", 0, 1e6, exclusiveMin: true))
            .Apply((kind, bound) => (kind, bound))
            .Bind(x => x.kind != ReadOutKind.Spectral && x.bound.IsSome
                ? Fail<Error, (double?, double?, bool)>(HostErrors.Configuration($"{model.Path}:ReadOutBound",
                    $"applies to the spectral read-out only; ReadOut = {(x.kind == ReadOutKind.UnitRows ? "unit-rows" : "orthonormal")} keeps every row of the read-out at norm 1"))
                : Success<Error, (double?, double?, bool)>(x.kind == ReadOutKind.Spectral
                    ? (x.bound.MatchUnsafe(b => (double?)b, () => null), null, false)
                    : (null, 1.0, x.kind == ReadOutKind.Orthonormal)));

    /// <summary>
    /// <c>Field</c> (node or gradient-flow) and, for gradient-flow layers, <c>Rows</c> (m of each A_k, filters of each
    /// kernel; default the state's width), <c>Directions</c> (a list of contractive / expansive, repeated over the layers;
    /// default contractive), <c>BlockBound</c> (Λ ≥ 1 kept by the expansive layers) and <c>StepRule</c> (projection or
    /// normalisation); null for the neural-ODE field.
    /// </summary>
    private static Validation<Error, Option<GradientFlowLayers>> GradientFlow(IConfigurationSection model, Activation activation) =>
        SettingReaders.Choice(model, "Field", false, Fields).Bind(flow => flow
            ? (SettingReaders.Integer(model, "Rows", 0, 1, 4096), Directions(model), SettingReaders.OptionalNumber(model, "BlockBound", 1, 1e6),
                    SettingReaders.Choice(model, "StepRule", StepRuleEnforcement.Projection, StepRules))
                .Apply((rows, directions, bound, rule) => new GradientFlowLayers(
                    string.IsNullOrWhiteSpace(model["Rows"]) ? null : rows, activation, directions, bound.MatchUnsafe(b => (double?)b, () => null))
                    { Enforcement = rule })
                .Bind(layers => layers.Pattern.Contains(FlowDirection.Contractive) && !activation.Monotone
                    ? Fail<Error, Option<GradientFlowLayers>>(HostErrors.Configuration($"{model.Path}:Activation",
                        Activation.NotAPotentialGradient(activation.Name)))
                    : Success<Error, Option<GradientFlowLayers>>(Some(layers)))
            : (NotForNeuralOde(model, "Rows"), NotForNeuralOde(model, "Directions"), NotForNeuralOde(model, "BlockBound"), NotForNeuralOde(model, "StepRule"))
                .Apply((_, _, _, _) => Option<GradientFlowLayers>.None));

    /// <summary>
    /// <c>Activation</c>; for gradient-flow layers a known non-monotone activation (GELU, SiLU, …) is refused as what it is,
    /// not the derivative of a convex potential.
    /// </summary>
    private static Validation<Error, Activation> ActivationOf(IConfigurationSection model, bool flow) =>
        flow && model["Activation"]?.Trim() is { } name && Activation.NotMonotone.Contains(name)
            ? Fail<Error, Activation>(HostErrors.Configuration($"{model.Path}:Activation", Activation.NotAPotentialGradient(name)))
            : SettingReaders.Choice(model, "Activation", Activation.Tanh, Activation.ByName);

    private static Validation<Error, Unit> NotForNeuralOde(IConfigurationSection model, string key) =>
        model.GetSection(key).Exists()
            ? Fail<Error, Unit>(HostErrors.Configuration($"{model.Path}:{key}", "applies to gradient-flow layers only; set Field = gradient-flow"))
            : Success<Error, Unit>(unit);

    /// <summary><c>Directions</c>: a list (JSON array or comma-separated text) of contractive and expansive.</summary>
    private static Validation<Error, IReadOnlyList<FlowDirection>> Directions(IConfigurationSection model)
    {
        var section = model.GetSection("Directions");
        string key = $"{model.Path}:Directions";
        var items = !string.IsNullOrWhiteSpace(section.Value)
            ? section.Value.Split(',').Select((t, i) => ($"{key}[{i}]", t)).ToArray()
            : section.GetChildren().Select((c, i) => ($"{key}[{i}]", c.Value ?? "")).ToArray();
        if (items.Length == 0) return Success<Error, IReadOnlyList<FlowDirection>>(new[] { FlowDirection.Contractive });
        var errors = new List<Error>();
        var directions = new List<FlowDirection>();
        foreach (var (path, text) in items)
        {
            if (FlowDirections.Parse(text.Trim()) is { } d) directions.Add(d);
            else errors.Add(HostErrors.Configuration(path, $"expected contractive or expansive, got '{text.Trim()}'"));
        }
        return errors.Count > 0 ? Fail<Error, IReadOnlyList<FlowDirection>>(Seq(errors)) : Success<Error, IReadOnlyList<FlowDirection>>(directions);
    }

    /// <summary>Gradient-flow layers keep a step-size rule, which needs constant steps.</summary>
    private static Validation<Error, Unit> ConstantStepsFor(IConfigurationSection model, GradientFlowLayers? flow, OdeSolver solver) =>
        flow is not null && solver.Controller.IsAdaptive
            ? Fail<Error, Unit>(HostErrors.Configuration($"{model.Path}:Adaptive",
                "gradient-flow layers keep a step-size rule (h·sup σ'·‖A‖² ≤ c), so they need constant steps, not adaptive ones"))
            : Success<Error, Unit>(unit);

    /// <summary>The engine of the network: <c>Model:Engine</c> or the <c>Engine:Name</c> setting, resolved for the network's kind.</summary>
    private static Validation<Error, string> Engine(IConfigurationSection model, EngineCatalog engines, string engine, bool convolutional)
    {
        var given = model["Engine"];
        string key = string.IsNullOrWhiteSpace(given) ? "Engine:Name" : $"{model.Path}:Engine";
        string kind = convolutional ? "the convolutional network of images" : "the point-cloud network";
        return engines.Resolve(string.IsNullOrWhiteSpace(given) ? engine : given, convolutional, reason => HostErrors.Configuration(key, $"{reason} ({kind})"));
    }

    /// <summary>Constant steps: Layers × StepsPerLayer steps per solve, at most MaxSteps (checked at start-up, not after the data is loaded).</summary>
    private static Validation<Error, Unit> WithinStepLimit(IConfigurationSection model, int layers, OdeSolver solver) =>
        solver.Controller is ConstantSteps c && (long)layers * c.StepsPerLayer > c.MaxSteps
            ? Fail<Error, Unit>(HostErrors.Configuration($"{model.Path}:StepsPerLayer",
                $"{layers} layers × {c.StepsPerLayer} steps per layer = {(long)layers * c.StepsPerLayer} steps per solve, more than MaxSteps = {c.MaxSteps}"))
            : Success<Error, Unit>(unit);

    private static Validation<Error, IAdjointMethod> Adjoint(IConfigurationSection model) =>
        SettingReaders.Choice(model, "Adjoint", AdjointMode.Discrete, AdjointMode.ByName);

    /// <summary>The solver: a registered tableau stepped with constant steps per layer, or adaptively with tolerances.</summary>
    private static Validation<Error, (OdeSolver Solver, string Name)> Solver(IConfigurationSection model, SolverRegistry solvers, SolverDefaults defaults, string fallback)
    {
        string key = $"{model.Path}:Solver";
        var tableau = SettingReaders.Text(model, "Solver", fallback).Bind(name => solvers.Resolve(name, reason => HostErrors.Configuration(key, reason)));
        bool tolerancesGiven = !string.IsNullOrWhiteSpace(model["RelativeTolerance"]) || !string.IsNullOrWhiteSpace(model["AbsoluteTolerance"]);
        var adaptive = SettingReaders.Flag(model, "Adaptive", tolerancesGiven).Bind(a =>
            !a && tolerancesGiven
                ? Fail<Error, bool>(HostErrors.Configuration($"{model.Path}:Adaptive", "is false, but tolerances are given: tolerances are for adaptive steps"))
                : Success<Error, bool>(a));
        return (tableau, adaptive,
                SettingReaders.Integer(model, "StepsPerLayer", defaults.StepsPerLayer, 1, HostSettingsValidation.MaxStepsLimit),
                SettingReaders.Positive(model, "RelativeTolerance", defaults.RelativeTolerance, 1),
                SettingReaders.Positive(model, "AbsoluteTolerance", defaults.AbsoluteTolerance, 1e6),
                SettingReaders.Integer(model, "MaxSteps", defaults.MaxSteps, 1, HostSettingsValidation.MaxStepsLimit))
            .Apply((t, a, m, rtol, atol, max) => (t, a, m, rtol, atol, max))
            .Bind(s =>
            {
                if (s.a && !s.t.IsAdaptive)
                    return Fail<Error, (OdeSolver, string)>(HostErrors.Configuration(key,
                        $"'{s.t.Name}' has no embedded error estimate, so it cannot take adaptive steps; use one of {string.Join(", ", solvers.AdaptiveNames)}, or constant steps"));
                if (s.a && !string.IsNullOrWhiteSpace(model["StepsPerLayer"]))
                    return Fail<Error, (OdeSolver, string)>(HostErrors.Configuration($"{model.Path}:StepsPerLayer", "applies to constant steps only, but the steps are adaptive"));
                var solver = s.a
                    ? new OdeSolver(s.t, new PIController(s.rtol, s.atol, MaxSteps: s.max))
                    : SolverCatalog.Fixed(s.t, s.m, s.max);
                return Success<Error, (OdeSolver, string)>((solver, s.t.Name));
            });
    }
}

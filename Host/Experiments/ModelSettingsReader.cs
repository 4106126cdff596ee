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
/// the <c>Engine:Name</c> setting), resolved for the network: point clouds are dense, images need convolutions.
/// </summary>
internal static class ModelSettingsReader
{
    private static readonly string[] SolverKeys = ["Solver", "StepsPerLayer", "Adaptive", "RelativeTolerance", "AbsoluteTolerance", "MaxSteps", "Adjoint", "Seed", "Engine"];

    /// <summary>Most layers of an ODE block.</summary>
    public const int MaxLayers = 100_000;

    /// <summary>Largest final time T.</summary>
    public const double MaxFinalTime = 1e6;

    private static readonly Dictionary<string, ScalarType> DTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["float32"] = ScalarType.Float32, ["float64"] = ScalarType.Float64,
    };

    /// <summary>The point-cloud network (defaults: d = 4, N = 10, T = 1, tanh, rk4, discrete adjoint, seed 3).</summary>
    public static Validation<Error, ModelSettings> PointCloud(IConfigurationSection model, SolverRegistry solvers, SolverDefaults defaults,
        EngineCatalog engines, string engine)
    {
        var keys = SettingReaders.KnownKeys(model, [.. SolverKeys, "Dim", "Layers", "T", "Activation", "WeightScale", "BiasScale"]);
        var shape = (SettingReaders.Integer(model, "Dim", 4, 2, 4096),
                SettingReaders.Integer(model, "Layers", 10, 1, MaxLayers),
                SettingReaders.Number(model, "T", 1.0, 0, MaxFinalTime, exclusiveMin: true),
                SettingReaders.Choice(model, "Activation", Activation.Tanh, Activation.ByName),
                SettingReaders.Number(model, "WeightScale", 1.0, 0, 1000),
                SettingReaders.Number(model, "BiasScale", 0.0, 0, 1000))
            .Apply((d, n, t, activation, ws, bs) => new PointCloudModel(Dim: d, Layers: n, FinalTime: t, WeightScale: ws, BiasScale: bs) { Activation = activation });
        return (keys, shape, Solver(model, solvers, defaults, "rk4"), Adjoint(model), SettingReaders.Long(model, "Seed", 3),
                Engine(model, engines, engine, convolutional: false))
            .Apply((_, m, solver, adjoint, seed, e) => (m, solver, adjoint, seed, e))
            .Bind(x => WithinStepLimit(model, x.m.Layers, x.solver.Solver).Map(_ => (ModelSettings)new PointCloudModelSettings(
                x.m with { Solver = x.solver.Solver, Adjoint = x.adjoint }, x.seed, x.solver.Name) { Engine = x.e }));
    }

    /// <summary>The convolutional ODE network (defaults: width 64, N = 6, T = 1, euler, discrete adjoint, float32, seed 3).</summary>
    public static Validation<Error, ModelSettings> Images(IConfigurationSection model, SolverRegistry solvers, SolverDefaults defaults,
        EngineCatalog engines, string engine)
    {
        var keys = SettingReaders.KnownKeys(model, [.. SolverKeys, "Width", "Layers", "T", "DType"]);
        var shape = (SettingReaders.Integer(model, "Width", 64, 4, 4096),
                SettingReaders.Integer(model, "Layers", 6, 1, MaxLayers),
                SettingReaders.Number(model, "T", 1.0, 0, MaxFinalTime, exclusiveMin: true))
            .Apply((width, layers, t) => new ConvolutionalOdeModel(Width: width, Layers: layers, FinalTime: t));
        var dtype = SettingReaders.Choice(model, "DType", ScalarType.Float32, DTypes);
        return (keys, shape, dtype, Solver(model, solvers, defaults, "euler"), Adjoint(model), SettingReaders.Long(model, "Seed", 3),
                Engine(model, engines, engine, convolutional: true))
            .Apply((_, m, t, solver, adjoint, seed, e) => (m, t, solver, adjoint, seed, e))
            .Bind(x => WithinStepLimit(model, x.m.Layers, x.solver.Solver)
                .Map(_ => (ModelSettings)new ImageModelSettings(x.m, x.solver.Solver, x.adjoint, x.t, x.seed, x.solver.Name) { Engine = x.e }));
    }

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

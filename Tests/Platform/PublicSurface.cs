using System.Reflection;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity;
using RobustNode.Solvers;
using RobustNode.Training.Trainers;
using Xunit;

namespace RobustNode.Tests.Platform;

/// <summary>
/// The libraries are internal by default: what an embedder can reach (the exported types, read by reflection) holds the
/// front doors — solving, fields, losses, adjoint strategies, sensitivities, blocks, attacks, trainers, checkpoints,
/// evaluation, certificates, denoisers, engines — and none of the plumbing behind them: kernels, pools, scopes, tapes,
/// stage recurrences, sweep implementations, error factories, host helpers. The host, the benchmarks and the tests
/// reach the plumbing through InternalsVisibleTo; PublicAPI.*.txt freezes the surface this test specifies.
/// </summary>
public sealed class PublicSurface
{
    private static readonly Assembly Core = typeof(ButcherTableau).Assembly;
    private static readonly Assembly Solvers = typeof(Ode).Assembly;
    private static readonly Assembly Sensitivity = typeof(Sensitivities).Assembly;
    private static readonly Assembly Training = typeof(Trainer).Assembly;

    /// <summary>The front doors of each library (full names; generic types with their arity).</summary>
    private static readonly Dictionary<string, string[]> FrontDoors = new()
    {
        ["RobustNode.Core"] =
        [
            "RobustNode.Core.Engines.IEngine`1", "RobustNode.Core.Engines.IStateAlgebra`1", "RobustNode.Core.Engines.TorchEngine",
            "RobustNode.Core.Engines.Managed.ManagedEngine`1", "RobustNode.Core.Engines.Managed.ManagedTensor`1",
            "RobustNode.Core.Fields.IVectorField`1", "RobustNode.Core.Fields.FieldLinearization`1", "RobustNode.Core.Fields.FieldCotangent`1",
            "RobustNode.Core.Fields.ControlParameter`1", "RobustNode.Core.Fields.LayerGrid", "RobustNode.Core.Fields.Activation",
            "RobustNode.Core.Fields.NeuralOdeField", "RobustNode.Core.Fields.NeuralOdeField`1", "RobustNode.Core.Fields.LinearField",
            "RobustNode.Core.Fields.LinearField`1", "RobustNode.Core.Fields.GradientFlowField", "RobustNode.Core.Fields.GradientFlowField`1",
            "RobustNode.Core.Fields.GradientFlowStepRule", "RobustNode.Core.Fields.ConvolutionField", "RobustNode.Core.Fields.ConvolutionGradientFlowField",
            "RobustNode.Core.Fields.FunctionField",
            "RobustNode.Core.Losses.ILoss`1", "RobustNode.Core.Losses.CrossEntropyLoss", "RobustNode.Core.Losses.CrossEntropyLoss`1",
            "RobustNode.Core.Losses.SquaredErrorLoss", "RobustNode.Core.Losses.SquaredErrorLoss`1", "RobustNode.Core.Losses.MarginLoss`1",
            "RobustNode.Core.Norms.AttackNorm", "RobustNode.Core.Errors.ErrorCodes",
            "RobustNode.Core.Tableaux.ButcherTableau", "RobustNode.Core.Tableaux.Tableaux", "RobustNode.Core.Tableaux.OrderConditions",
        ],
        ["RobustNode.Solvers"] =
        [
            "RobustNode.Solvers.Ode", "RobustNode.Solvers.OdeSolver", "RobustNode.Solvers.SolverCatalog",
            "RobustNode.Solvers.Integration.SolveOptions", "RobustNode.Solvers.Integration.OdeSolution`1",
            "RobustNode.Solvers.Integration.SolveStatistics", "RobustNode.Solvers.Dense.DenseSolution`1",
            "RobustNode.Solvers.Control.IStepSizeController", "RobustNode.Solvers.Control.PIController", "RobustNode.Solvers.Control.ConstantSteps",
        ],
        ["RobustNode.Sensitivity"] =
        [
            "RobustNode.Sensitivity.Sensitivities", "RobustNode.Sensitivity.Problems.SensitivityProblem",
            "RobustNode.Sensitivity.Problems.SensitivityProblem`1", "RobustNode.Sensitivity.Problems.LossGradient`1",
            "RobustNode.Sensitivity.Problems.AugmentedGradient`1", "RobustNode.Sensitivity.Problems.SeededGradient`1",
            "RobustNode.Sensitivity.Problems.TangentResult`1", "RobustNode.Sensitivity.Robust.AugmentedLoss",
            "RobustNode.Sensitivity.Networks.LossDerivatives", "RobustNode.Sensitivity.Networks.Inference", "RobustNode.Sensitivity.Networks.IBlock`1",
            "RobustNode.Sensitivity.Networks.Network", "RobustNode.Sensitivity.Networks.Network`1", "RobustNode.Sensitivity.Networks.OdeBlock",
            "RobustNode.Sensitivity.Networks.OdeBlock`1", "RobustNode.Sensitivity.Networks.LinearBlock", "RobustNode.Sensitivity.Networks.ZeroPaddingBlock",
            "RobustNode.Sensitivity.Networks.ConvolutionBlock", "RobustNode.Sensitivity.Networks.GlobalAveragePoolingBlock",
            "RobustNode.Sensitivity.Adjoints.AdjointMode", "RobustNode.Sensitivity.Adjoints.IAdjointMethod",
            "RobustNode.Sensitivity.Adjoints.DiscreteAdjoint", "RobustNode.Sensitivity.Adjoints.ContinuousAdjoint",
            "RobustNode.Sensitivity.Attacks.IAttack", "RobustNode.Sensitivity.Attacks.Fgsm", "RobustNode.Sensitivity.Attacks.Pgd",
            "RobustNode.Sensitivity.Attacks.Apgd", "RobustNode.Sensitivity.Attacks.Square",
            "RobustNode.Sensitivity.Lipschitz.LipschitzBounds", "RobustNode.Sensitivity.Lipschitz.StepConstraints",
        ],
        ["RobustNode.Training"] =
        [
            "RobustNode.Training.Trainers.Trainer", "RobustNode.Training.Trainers.TrainingState`1", "RobustNode.Training.Trainers.TrainingOptions",
            "RobustNode.Training.Trainers.ITrainingObjective", "RobustNode.Training.Trainers.StandardObjective",
            "RobustNode.Training.Trainers.AugmentedObjective", "RobustNode.Training.Trainers.AdversarialObjective",
            "RobustNode.Training.Trainers.GradAlignObjective", "RobustNode.Training.Trainers.TradesObjective",
            "RobustNode.Training.Trainers.LlrObjective", "RobustNode.Training.Trainers.FgsmRsObjective",
            "RobustNode.Training.Trainers.AugmentedAdversarialObjective",
            "RobustNode.Training.Optimization.IOptimizer", "RobustNode.Training.Optimization.Adam", "RobustNode.Training.Optimization.Sgd",
            "RobustNode.Training.Optimization.CosineDecay",
            "RobustNode.Training.Checkpoints.Checkpoint", "RobustNode.Training.Checkpoints.CheckpointSerializer",
            "RobustNode.Training.Models.PointCloudModel", "RobustNode.Training.Models.ConvolutionalOdeModel",
            "RobustNode.Training.Data.Dataset", "RobustNode.Training.Data.Moons", "RobustNode.Training.Data.EngineDataset`1",
            "RobustNode.Training.Data.ImageData", "RobustNode.Training.Data.IdxFile",
            "RobustNode.Training.Evaluation.Classification", "RobustNode.Training.Evaluation.Robustness",
            "RobustNode.Training.Evaluation.AttackSuite", "RobustNode.Training.Evaluation.Certification",
            "RobustNode.Training.Denoising.DenoiserTrainer", "RobustNode.Training.Denoising.GradientFlowDenoiser",
            "RobustNode.Training.Denoising.ResidualCnn", "RobustNode.Training.Denoising.Denoiser",
            "RobustNode.Training.Denoising.DenoiserCheckpoint", "RobustNode.Training.Reconstruction.PlugAndPlay",
        ],
    };

    /// <summary>Namespaces that hold only plumbing.</summary>
    private static readonly Dictionary<string, string[]> PlumbingNamespaces = new()
    {
        ["RobustNode.Core"] = ["RobustNode.Core.Engines.Managed.Kernels"],
        ["RobustNode.Solvers"] = ["RobustNode.Solvers.Stepping"],
        ["RobustNode.Sensitivity"] = ["RobustNode.Sensitivity.Discrete", "RobustNode.Sensitivity.Continuous"],
        ["RobustNode.Training"] = [],
    };

    /// <summary>Plumbing types in the libraries' public namespaces.</summary>
    private static readonly Dictionary<string, string[]> PlumbingTypes = new()
    {
        ["RobustNode.Core"] =
        [
            "RobustNode.Core.Engines.TorchScalars", "RobustNode.Core.Engines.TupleAlgebra`1", "RobustNode.Core.Engines.ValueIdentity`1",
            "RobustNode.Core.Engines.Managed.StoragePool`1",
            "RobustNode.Core.Errors.RobustNodeErrors", "RobustNode.Core.Errors.RobustNodeException", "RobustNode.Core.Errors.ShapeText",
            "RobustNode.Core.Fields.RungeKuttaLipschitz", "RobustNode.Core.Fields.FlowDirections", "RobustNode.Core.Losses.KullbackLeibler",
            "RobustNode.Core.Sampling.SplitMix64", "RobustNode.Core.Spectral.ConvolutionSpectrum", "RobustNode.Core.Spectral.DenseSpectrum",
            "RobustNode.Core.Tableaux.RootedTree",
        ],
        ["RobustNode.Solvers"] =
        [
            "RobustNode.Solvers.Stepping.RungeKuttaStages`1", "RobustNode.Solvers.Stepping.RungeKuttaStep",
            "RobustNode.Solvers.Integration.StepTape`1", "RobustNode.Solvers.Integration.PiecewiseSystem`1",
        ],
        ["RobustNode.Sensitivity"] = ["RobustNode.Sensitivity.Attacks.ApgdLosses", "RobustNode.Sensitivity.Lipschitz.OdeBlockSteps"],
        ["RobustNode.Training"] =
        [
            "RobustNode.Training.Seeds", "RobustNode.Training.TrainingErrors", "RobustNode.Training.Trainers.Warmup",
            "RobustNode.Training.Trainers.RandomStartFgsm", "RobustNode.Training.Evaluation.SignTest",
            "RobustNode.Training.Evaluation.CoveringRadius", "RobustNode.Training.Denoising.DenoiserArchitectures",
            "RobustNode.Training.Denoising.PixelSquaredError", "RobustNode.Training.Denoising.GradientFlowSteps",
        ],
    };

    /// <summary>Name endings that mark plumbing wherever it is declared.</summary>
    private static readonly string[] PlumbingEndings = ["Kernels", "Pool", "Storage", "Scopes", "Tape", "Stages", "Errors", "Exception"];

    public static TheoryData<string> Libraries => new(Core.GetName().Name!, Solvers.GetName().Name!, Sensitivity.GetName().Name!, Training.GetName().Name!);

    private static Assembly Library(string name) => new[] { Core, Solvers, Sensitivity, Training }.Single(a => a.GetName().Name == name);

    private static HashSet<string> Exported(string library) => Library(library).GetExportedTypes().Select(t => t.FullName!).ToHashSet();

    private static string Simple(string fullName) => fullName.Split('.')[^1].Split('`')[0].Split('+')[^1];

    [Theory]
    [MemberData(nameof(Libraries))]
    public void Every_library_exports_its_front_doors(string library)
    {
        var exported = Exported(library);
        var missing = FrontDoors[library].Where(t => !exported.Contains(t)).ToList();
        Assert.True(missing.Count == 0, $"{library} does not export its front doors:\n  " + string.Join("\n  ", missing));
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public void No_library_exports_its_plumbing(string library)
    {
        var exported = Exported(library);
        var leaked = exported
            .Where(t => PlumbingTypes[library].Contains(t)
                || PlumbingNamespaces[library].Any(n => t.StartsWith(n + ".", StringComparison.Ordinal))
                || PlumbingEndings.Any(e => Simple(t).EndsWith(e, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal).ToList();
        Assert.True(leaked.Count == 0, $"{library} exports plumbing; make it internal (the host, the benchmarks and the tests see internals):\n  " +
            string.Join("\n  ", leaked));
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public void The_plumbing_named_here_exists_inside_the_library(string library)
    {
        // Guards the lists above against renames: a plumbing name that no longer exists would make the rule vacuous.
        var types = Library(library).GetTypes();
        var names = types.Select(t => t.FullName).ToHashSet();
        var unknown = PlumbingTypes[library].Where(t => !names.Contains(t))
            .Concat(PlumbingNamespaces[library].Where(n => !types.Any(t => t.Namespace == n)))
            .ToList();
        Assert.True(unknown.Count == 0, $"{library} has no type or namespace of these names:\n  " + string.Join("\n  ", unknown));
    }
}

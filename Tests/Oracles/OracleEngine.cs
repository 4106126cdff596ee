using RobustNode.Core.Engines;
using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Oracles;

/// <summary>Generic code an oracle test runs on one engine; its result is TorchSharp tensors or plain numbers.</summary>
public interface IOracleUser<out TResult>
{
    TResult Use<T>(IEngine<T> engine, Func<SensitivityProblem<Tensor>, SensitivityProblem<T>> transfer);
}

/// <summary>
/// The engines the oracle tests run the library on: TorchSharp and the managed engine, both in float64. A problem is
/// built once on TorchSharp (where the oracles — PyTorch scripts and TorchSharp autograd — read it) and copied value for
/// value into the managed engine; results come back as TorchSharp tensors, so both engines meet the same oracle answer
/// with the same tolerance. Dense fields only: convolutional and function fields exist on TorchSharp alone.
/// </summary>
public static class OracleEngine
{
    public const string Torch = "torch";
    public const string Managed = "managed";

    /// <summary>Both engines' names, as theory data.</summary>
    public static TheoryData<string> Names() => new(Torch, Managed);

    /// <summary>Runs <paramref name="user"/> on the named engine (a fresh float64 managed engine, or TorchSharp).</summary>
    public static TResult On<TResult>(string engine, IOracleUser<TResult> user)
    {
        switch (engine)
        {
            case Torch:
                return user.Use(TorchEngine.Instance, p => p);
            case Managed:
            {
                var managed = new ManagedEngine<double>();
                using var scope = managed.OpenScope();
                return user.Use(managed, p => Transfer(managed, p));
            }
            default:
                throw new ArgumentException($"unknown engine '{engine}'", nameof(engine));
        }
    }

    /// <summary>J, ∇_u J, p(0) and x(T) on the named engine.</summary>
    public static LossGradient<Tensor> Gradient(string engine, SensitivityProblem<Tensor> problem, IAdjointMethod adjoint) =>
        On(engine, new GradientUser(problem, adjoint));

    /// <summary>𝒥 and ∇_u 𝒥 with the first-order results of the same sweeps, on the named engine.</summary>
    public static AugmentedGradient<Tensor> AugmentedGradient(string engine, SensitivityProblem<Tensor> problem, AugmentedLoss augmented, IAdjointMethod adjoint,
        bool trainingStep = false) =>
        On(engine, new AugmentedUser(problem, augmented, adjoint, trainingStep));

    /// <summary>A TorchSharp problem with a dense field (nODE, linear, gradient flow) and a cross-entropy or squared-error loss, on another engine.</summary>
    public static SensitivityProblem<T> Transfer<T>(IEngine<T> e, SensitivityProblem<Tensor> p)
    {
        IVectorField<T> field = p.Field switch
        {
            NeuralOdeField<Tensor> f => Ok(NeuralOdeField.Create(e, e.FromTensor(f.Weights), e.FromTensor(f.Biases), f.Grid.FinalTime, f.Activation)),
            LinearField<Tensor> f => Ok(LinearField.Create(e, e.FromTensor(f.Matrix), f.Grid.FinalTime, f.Grid.Layers)),
            GradientFlowField<Tensor> f => Ok(GradientFlowField.Create(e, e.FromTensor(f.Weights), e.FromTensor(f.Biases), f.Grid.FinalTime, f.Activation, f.Directions, f.Rule)),
            _ => throw new ArgumentException($"{p.Field.GetType().Name} runs on TorchSharp only"),
        };
        ILoss<T> loss = p.Loss switch
        {
            CrossEntropyLoss<Tensor> c => new CrossEntropyLoss<T>(e, e.FromTensor(c.Labels), c.Readout is null ? default : e.FromTensor(c.Readout)),
            SquaredErrorLoss<Tensor> s => new SquaredErrorLoss<T>(e, e.FromTensor(s.Targets)),
            _ => throw new ArgumentException($"{p.Loss.GetType().Name} has no copy on other engines here"),
        };
        return new SensitivityProblem<T>(field, e.FromTensor(p.X0), loss, p.Solver);
    }

    /// <summary>A result of the named engine as a TorchSharp tensor (a copy when it came from another engine).</summary>
    public static Tensor Back<T>(IEngine<T> e, T x) => e.ToTensor(x);

    private static TField Ok<TField>(LanguageExt.Validation<LanguageExt.Common.Error, TField> v) =>
        v.Match(x => x, errors => throw new Xunit.Sdk.XunitException(string.Join("; ", errors.Map(x => x.Message))));

    private static TValue Ok<TValue>(LanguageExt.Fin<TValue> f) => f.Match(x => x, e => throw new Xunit.Sdk.XunitException(e.Message));

    private static LossGradient<Tensor> Back<T>(IEngine<T> e, LossGradient<T> g) =>
        new(g.Loss, g.ControlGradients.Select(c => e.ToTensor(c)).ToArray(), e.ToTensor(g.InputSensitivity), e.ToTensor(g.FinalState), g.Statistics);

    private sealed record GradientUser(SensitivityProblem<Tensor> Problem, IAdjointMethod Adjoint) : IOracleUser<LossGradient<Tensor>>
    {
        public LossGradient<Tensor> Use<T>(IEngine<T> engine, Func<SensitivityProblem<Tensor>, SensitivityProblem<T>> transfer) =>
            Back(engine, Ok(Sensitivities.Gradient(transfer(Problem), Adjoint)));
    }

    // With TrainingStep, ∇𝒥 as a training step computes it (one combined sweep; the first-order part has no control gradients).
    private sealed record AugmentedUser(SensitivityProblem<Tensor> Problem, AugmentedLoss Augmented, IAdjointMethod Adjoint, bool TrainingStep)
        : IOracleUser<AugmentedGradient<Tensor>>
    {
        public AugmentedGradient<Tensor> Use<T>(IEngine<T> engine, Func<SensitivityProblem<Tensor>, SensitivityProblem<T>> transfer)
        {
            var g = Ok(TrainingStep
                ? Sensitivities.AugmentedControlGradient(transfer(Problem), Augmented, Adjoint)
                : Sensitivities.AugmentedGradient(transfer(Problem), Augmented, Adjoint));
            return new(g.AugmentedLoss, g.AugmentedControlGradients.Select(c => engine.ToTensor(c)).ToArray(), Back(engine, g.FirstOrder));
        }
    }
}

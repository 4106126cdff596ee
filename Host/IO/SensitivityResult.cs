using RobustNode.Host.Schemas;
using RobustNode.Sensitivity.Problems;
using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Host.IO;

/// <summary>
/// What the <c>sensitivity</c> verb writes (<see cref="SensitivityFile"/>, DESIGN §4): loss J = mean ℓᵢ and augmented
/// loss 𝒥; gradX0 = ∇_{x0} J [B][d] and inputSensitivity = p(0) (row i = ∇_{x0ᵢ} ℓᵢ = B·gradX0ᵢ); the control gradients
/// of J and of 𝒥 under the names of the field's controls (gradWeights/gradBiases or gradA, augmentedGrad…); the engine
/// that computed them; and the work done. The gradients are TorchSharp tensors (converted at the edge from the engine's
/// values).
/// </summary>
internal sealed record SensitivityResult(AugmentedGradient<Tensor> Gradient, IReadOnlyList<string> ControlNames, string Mode, double WallTimeMs, long PeakMemoryBytes,
    string Engine)
{
    /// <summary>The problem file's robust objective, when it has one.</summary>
    public ObjectiveEvaluation? Objective { get; init; }

    /// <summary>The result as its schema record.</summary>
    public SensitivityFile File()
    {
        var first = Gradient.FirstOrder;
        TensorValues gradX0;
        using (var scope = NewDisposeScope()) gradX0 = TensorValues.Of(first.InputSensitivity.Over(first.InputSensitivity.shape[0]));
        var file = new SensitivityFile(Engine, Mode, first.Loss, Gradient.AugmentedLoss, gradX0, TensorValues.Of(first.InputSensitivity),
            new SolveStatsJson(first.Statistics.FunctionEvaluations, first.Statistics.AcceptedSteps, first.Statistics.RejectedSteps,
                Math.Round(WallTimeMs, 3), PeakMemoryBytes));
        for (int i = 0; i < ControlNames.Count; i++)
            file = file.WithControl(ControlNames[i], TensorValues.Of(first.ControlGradients[i]), TensorValues.Of(Gradient.AugmentedControlGradients[i]));
        if (Objective is { } o)
        {
            var objective = new ObjectiveJson(o.Name, o.Settings, o.Loss, o.Value);
            for (int i = 0; i < ControlNames.Count; i++) objective = objective.WithControl(ControlNames[i], TensorValues.Of(o.Gradients[i]));
            file = file with { Objective = objective };
        }
        return file;
    }

    /// <summary>The result as indented UTF-8 JSON.</summary>
    public byte[] ToJson() => JsonFiles.Write(File(), JsonFiles.Default.SensitivityFile);
}

/// <summary>A robust objective evaluated by the <c>sensitivity</c> verb: its name, settings, clean loss, value and control gradients.</summary>
internal sealed record ObjectiveEvaluation(string Name, string Settings, double Loss, double Value, IReadOnlyList<Tensor> Gradients);

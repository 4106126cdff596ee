using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;

namespace RobustNode.Training.Optimization;

/// <summary>
/// Adam with bias correction and optional L2 weight decay, with PyTorch's update rule: g ← ∇ + λθ;
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; θ ← θ − η (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ϵ).
/// </summary>
/// <param name="LearningRate">Base learning rate η &gt; 0.</param>
/// <param name="Beta1">First-moment decay β₁ in [0, 1).</param>
/// <param name="Beta2">Second-moment decay β₂ in [0, 1).</param>
/// <param name="Epsilon">ϵ &gt; 0 added to the root of the second moment.</param>
/// <param name="WeightDecay">L2 coefficient λ ≥ 0 added to the gradient.</param>
/// <remarks>Kingma &amp; Ba, "Adam: a method for stochastic optimization", ICLR 2015.</remarks>
public sealed record Adam(double LearningRate = 1e-3, double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8, double WeightDecay = 0) : IOptimizer
{
    /// <inheritdoc/>
    public string Name => "adam";

    /// <inheritdoc/>
    public Fin<IOptimizer> Validate() => TrainingErrors.All(Problems()).Map(_ => (IOptimizer)this);

    private IEnumerable<Error> Problems()
    {
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) yield return TrainingErrors.InvalidConfiguration("optimizer.learningRate", $"must be positive and finite, got {LearningRate}");
        if (!(Beta1 >= 0 && Beta1 < 1)) yield return TrainingErrors.InvalidConfiguration("optimizer.beta1", $"must lie in [0, 1), got {Beta1}");
        if (!(Beta2 >= 0 && Beta2 < 1)) yield return TrainingErrors.InvalidConfiguration("optimizer.beta2", $"must lie in [0, 1), got {Beta2}");
        if (!(Epsilon > 0) || !double.IsFinite(Epsilon)) yield return TrainingErrors.InvalidConfiguration("optimizer.epsilon", $"must be positive and finite, got {Epsilon}");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) yield return TrainingErrors.InvalidConfiguration("optimizer.weightDecay", $"must be finite and non-negative, got {WeightDecay}");
    }

    /// <inheritdoc/>
    public OptimizerState<T> Initialize<T>(IEngine<T> engine, IReadOnlyList<T> parameters) => OptimizerState<T>.Zeros(engine, Name, ["m", "v"], parameters);

    /// <inheritdoc/>
    public void Step<T>(OptimizerState<T> state, IReadOnlyList<T> parameters, IReadOnlyList<T> gradients, double learningRate)
    {
        var e = state.Engine;
        using var scope = e.OpenScope();
        using var untracked = e.Untracked();
        long t = state.Steps + 1;
        double correction1 = 1 - Math.Pow(Beta1, t), correction2 = 1 - Math.Pow(Beta2, t);
        for (int i = 0; i < parameters.Count; i++)
        {
            var g = WeightDecay > 0 ? e.Add(gradients[i], parameters[i], WeightDecay) : gradients[i];
            var m = state.Slots[0][i];
            e.ScaleInPlace(m, Beta1);
            e.AddInPlace(m, g, 1 - Beta1);
            var v = state.Slots[1][i];
            e.ScaleInPlace(v, Beta2);
            e.AddProductInPlace(v, g, g, 1 - Beta2);
            // √(v/(1−β₂ᵗ)) + ϵ, then θ ← θ − η/(1−β₁ᵗ) · m/(…).
            var denominator = e.Scale(v, 1 / correction2);
            e.SqrtAddInPlace(denominator, Epsilon);
            e.AddQuotientInPlace(parameters[i], m, denominator, -learningRate / correction1);
        }
        state.Steps = t;
    }

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant(
        $"adam(lr={LearningRate:R}, beta1={Beta1:R}, beta2={Beta2:R}, epsilon={Epsilon:R}, weightDecay={WeightDecay:R})");
}

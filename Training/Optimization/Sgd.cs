using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;

namespace RobustNode.Training.Optimization;

/// <summary>
/// Stochastic gradient descent with optional heavy-ball or Nesterov momentum and L2 weight decay, with PyTorch's
/// update rule (dampening 0): g ← ∇ + λθ; b ← μ b + g (b = g at the first step); d = g + μ b (Nesterov) or b;
/// θ ← θ − η d. Without momentum d = g.
/// </summary>
/// <param name="LearningRate">Base learning rate η &gt; 0.</param>
/// <param name="Momentum">Momentum μ in [0, 1).</param>
/// <param name="Nesterov">Use Nesterov's look-ahead form (needs μ &gt; 0).</param>
/// <param name="WeightDecay">L2 coefficient λ ≥ 0 added to the gradient.</param>
/// <remarks>Sutskever, Martens, Dahl &amp; Hinton, "On the importance of initialization and momentum in deep learning", ICML 2013.</remarks>
public sealed record Sgd(double LearningRate, double Momentum = 0, bool Nesterov = false, double WeightDecay = 0) : IOptimizer
{
    /// <inheritdoc/>
    public string Name => "sgd";

    /// <inheritdoc/>
    public Fin<IOptimizer> Validate() => TrainingErrors.All(Problems()).Map(_ => (IOptimizer)this);

    private IEnumerable<Error> Problems()
    {
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) yield return TrainingErrors.InvalidConfiguration("optimizer.learningRate", $"must be positive and finite, got {LearningRate}");
        if (!(Momentum >= 0 && Momentum < 1)) yield return TrainingErrors.InvalidConfiguration("optimizer.momentum", $"must lie in [0, 1), got {Momentum}");
        if (Nesterov && Momentum == 0) yield return TrainingErrors.InvalidConfiguration("optimizer.nesterov", "Nesterov momentum needs a momentum above 0");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) yield return TrainingErrors.InvalidConfiguration("optimizer.weightDecay", $"must be finite and non-negative, got {WeightDecay}");
    }

    /// <inheritdoc/>
    public OptimizerState<T> Initialize<T>(IEngine<T> engine, IReadOnlyList<T> parameters) =>
        OptimizerState<T>.Zeros(engine, Name, Momentum > 0 ? ["momentum"] : [], parameters);

    /// <inheritdoc/>
    public void Step<T>(OptimizerState<T> state, IReadOnlyList<T> parameters, IReadOnlyList<T> gradients, double learningRate)
    {
        var e = state.Engine;
        using var scope = e.OpenScope();
        using var untracked = e.Untracked();
        for (int i = 0; i < parameters.Count; i++)
        {
            var g = WeightDecay > 0 ? e.Add(gradients[i], parameters[i], WeightDecay) : gradients[i];
            if (Momentum > 0)
            {
                var buffer = state.Slots[0][i];
                if (state.Steps == 0) e.CopyInPlace(buffer, g);
                else
                {
                    e.ScaleInPlace(buffer, Momentum);
                    e.AddInPlace(buffer, g);
                }
                g = Nesterov ? e.Add(g, buffer, Momentum) : buffer;
            }
            e.AddInPlace(parameters[i], g, -learningRate);
        }
        state.Steps++;
    }

    /// <inheritdoc/>
    public string Describe() => FormattableString.Invariant(
        $"sgd(lr={LearningRate:R}, momentum={Momentum:R}, nesterov={Nesterov}, weightDecay={WeightDecay:R})");
}

using LanguageExt;
using LanguageExt.Common;
using static TorchSharp.torch;

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
    public string Name => "sgd";

    public Fin<IOptimizer> Validate() => TrainingErrors.All(Problems()).Map(_ => (IOptimizer)this);

    private IEnumerable<Error> Problems()
    {
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) yield return TrainingErrors.InvalidConfiguration("optimizer.learningRate", $"must be positive and finite, got {LearningRate}");
        if (!(Momentum >= 0 && Momentum < 1)) yield return TrainingErrors.InvalidConfiguration("optimizer.momentum", $"must lie in [0, 1), got {Momentum}");
        if (Nesterov && Momentum == 0) yield return TrainingErrors.InvalidConfiguration("optimizer.nesterov", "Nesterov momentum needs a momentum above 0");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) yield return TrainingErrors.InvalidConfiguration("optimizer.weightDecay", $"must be finite and non-negative, got {WeightDecay}");
    }

    public OptimizerState Initialize(IReadOnlyList<Tensor> parameters) =>
        OptimizerState.Zeros(Name, Momentum > 0 ? ["momentum"] : [], parameters);

    public void Step(OptimizerState state, IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> gradients, double learningRate)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            var g = WeightDecay > 0 ? gradients[i].add(parameters[i], WeightDecay) : gradients[i];
            if (Momentum > 0)
            {
                var buffer = state.Slots[0][i];
                if (state.Steps == 0) buffer.copy_(g);
                else buffer.mul_(Momentum).add_(g);
                g = Nesterov ? g.add(buffer, Momentum) : buffer;
            }
            parameters[i].add_(g, -learningRate);
        }
        state.Steps++;
    }

    public string Describe() => FormattableString.Invariant(
        $"sgd(lr={LearningRate:R}, momentum={Momentum:R}, nesterov={Nesterov}, weightDecay={WeightDecay:R})");
}

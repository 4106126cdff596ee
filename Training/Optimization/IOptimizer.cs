using LanguageExt;
using RobustNode.Core.Engines;

namespace RobustNode.Training.Optimization;

/// <summary>
/// A first-order optimizer as an immutable configuration value (<see cref="Sgd"/>, <see cref="Adam"/>). Its mutable
/// part — step count and per-parameter buffers — lives in an <see cref="OptimizerState{T}"/> that <see cref="Step{T}"/>
/// updates together with the parameters, in place and without autograd, on the parameters' engine.
/// </summary>
public interface IOptimizer
{
    /// <summary>Name used in checkpoints and reports: "sgd", "adam".</summary>
    string Name { get; }

    /// <summary>The base learning rate η (a schedule scales it per epoch).</summary>
    double LearningRate { get; }

    /// <summary>Checks the settings, reporting every problem at once.</summary>
    Fin<IOptimizer> Validate();

    /// <summary>The initial state for these parameters: step count 0, buffers zero, shaped like the parameters.</summary>
    OptimizerState<T> Initialize<T>(IEngine<T> engine, IReadOnlyList<T> parameters);

    /// <summary>One update θ ← θ − η·(direction from the gradient and the state), in place, with the given learning rate.</summary>
    void Step<T>(OptimizerState<T> state, IReadOnlyList<T> parameters, IReadOnlyList<T> gradients, double learningRate);

    /// <summary>A canonical description of every setting (for configuration fingerprints).</summary>
    string Describe();
}

using RobustNode.Core.Engines;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Optimization;

namespace RobustNode.Training.Trainers;

/// <summary>
/// The live state of a training run: the model (whose parameters the trainer updates in place), the optimizer
/// state, and the number of completed epochs (the index of the next epoch). This, the options and the data are all a
/// run depends on: every random choice is derived from (seed, epoch, batch), so a state captured at an epoch boundary
/// (<see cref="Checkpoints.Checkpoint.Capture{T}"/>) and restored continues bit-identically.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class TrainingState<T> : IDisposable
{
    /// <summary>The model being trained.</summary>
    public IBlock<T> Model { get; }

    /// <summary>The optimizer's step count and buffers.</summary>
    public OptimizerState<T> Optimizer { get; }

    /// <summary>Completed epochs; the next epoch to run has this index.</summary>
    public int Epoch { get; internal set; }

    /// <summary>The engine the model computes with.</summary>
    public IEngine<T> Engine => Model.Engine;

    /// <summary>The model's parameters (the values being trained).</summary>
    public IReadOnlyList<T> Parameters => Model.Parameters;

    /// <summary>The state of a run after <paramref name="epoch"/> completed epochs.</summary>
    /// <param name="model">The model, whose parameters are updated in place.</param>
    /// <param name="optimizer">The optimizer's step count and buffers.</param>
    /// <param name="epoch">Completed epochs.</param>
    public TrainingState(IBlock<T> model, OptimizerState<T> optimizer, int epoch) => (Model, Optimizer, Epoch) = (model, optimizer, epoch);

    /// <summary>A deep copy: new parameter and buffer values, so training either copy leaves the other untouched.</summary>
    public TrainingState<T> Clone()
    {
        var parameters = Model.Parameters;
        var copies = new T[parameters.Count];
        for (int i = 0; i < copies.Length; i++) copies[i] = Engine.DetachFromScope(Engine.Clone(parameters[i]));
        return new TrainingState<T>(Model.WithParameters(copies), Optimizer.Clone(), Epoch);
    }

    /// <summary>Releases the parameter and buffer values.</summary>
    public void Dispose()
    {
        foreach (var p in Model.Parameters) Engine.Release(p);
        Optimizer.Dispose();
    }
}

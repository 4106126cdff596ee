using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Optimization;
using static TorchSharp.torch;

namespace RobustNode.Training.Trainers;

/// <summary>
/// The live state of a training run: the model (whose parameter tensors the trainer updates in place), the optimizer
/// state, and the number of completed epochs (the index of the next epoch). This, the options and the data are all a
/// run depends on: every random choice is derived from (seed, epoch, batch), so a state captured at an epoch boundary
/// (<see cref="Checkpoints.Checkpoint.Capture"/>) and restored continues bit-identically.
/// </summary>
public sealed class TrainingState : IDisposable
{
    /// <summary>The model being trained.</summary>
    public IBlock Model { get; }

    /// <summary>The optimizer's step count and buffers.</summary>
    public OptimizerState Optimizer { get; }

    /// <summary>Completed epochs; the next epoch to run has this index.</summary>
    public int Epoch { get; internal set; }

    /// <summary>The model's parameters (the tensors being trained).</summary>
    public IReadOnlyList<Tensor> Parameters => Model.Parameters;

    public TrainingState(IBlock model, OptimizerState optimizer, int epoch) => (Model, Optimizer, Epoch) = (model, optimizer, epoch);

    /// <summary>A deep copy: new parameter and buffer tensors, so training either copy leaves the other untouched.</summary>
    public TrainingState Clone() =>
        new(Model.WithParameters(Model.Parameters.Select(p => p.clone().DetachFromDisposeScope()).ToArray()), Optimizer.Clone(), Epoch);

    /// <summary>Releases the parameter and buffer tensors.</summary>
    public void Dispose()
    {
        foreach (var p in Model.Parameters) p.Dispose();
        Optimizer.Dispose();
    }
}

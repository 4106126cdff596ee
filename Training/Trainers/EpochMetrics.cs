namespace RobustNode.Training.Trainers;

/// <summary>
/// What one epoch did, averaged over its samples.
/// </summary>
/// <param name="Epoch">The epoch's index (0-based).</param>
/// <param name="Loss">Mean cross-entropy J on the clean mini-batches, before each step.</param>
/// <param name="Objective">Mean of the minimised objective (J, 𝒥, or J at the attacked batches).</param>
/// <param name="TrainAccuracy">Fraction of clean training samples classified correctly, before each step.</param>
/// <param name="LearningRate">The learning rate used in this epoch.</param>
/// <param name="Batches">Number of mini-batches (optimizer steps).</param>
/// <param name="Samples">Number of training samples.</param>
/// <param name="WallTime">Wall-clock time of the epoch.</param>
public sealed record EpochMetrics(int Epoch, double Loss, double Objective, double TrainAccuracy, double LearningRate, int Batches, int Samples, TimeSpan WallTime)
{
    /// <summary>
    /// Processor time the process spent during the epoch, all threads (zero when not measured). On a shared machine wall
    /// time depends on the other work; the processor time of a run's own threads does much less, so trainers compared
    /// across epochs run at different moments are compared by it.
    /// </summary>
    public TimeSpan CpuTime { get; init; }
}

/// <summary>Progress within an epoch, reported after every mini-batch (for progress bars).</summary>
/// <param name="Epoch">The epoch's index (0-based).</param>
/// <param name="Batch">The batch just finished (0-based).</param>
/// <param name="Batches">Number of batches in the epoch.</param>
/// <param name="Loss">J on this batch.</param>
/// <param name="Objective">The objective on this batch.</param>
public sealed record BatchProgress(int Epoch, int Batch, int Batches, double Loss, double Objective);

/// <summary>The epochs a <see cref="Trainer.Run"/> call completed, and whether it stopped early because it was cancelled.</summary>
public sealed record TrainingHistory(IReadOnlyList<EpochMetrics> Epochs, bool Cancelled);

namespace RobustNode.Benchmarks.Images;

/// <summary>
/// One timed training epoch of one implementation: wall and CPU seconds (the whole process: every intra-op thread),
/// the mean loss J before each step and the training accuracy before each step (the same network, weights and batches in
/// every implementation, so these agree closely and show that all of them trained the same thing).
/// </summary>
/// <param name="Implementation">robustnode, torchsharp or pytorch.</param>
/// <param name="Objective">standard or augmented.</param>
/// <param name="Method">The JSON method: discrete (RobustNode's sweeps), autograd or double-backprop.</param>
internal sealed record EpochTime(string Implementation, string Objective, string Method, double WallSeconds, double CpuSeconds, double Loss, double Accuracy, int Batches)
{
    public const string RobustNode = "robustnode";
    public const string TorchSharp = "torchsharp";
    public const string PyTorch = "pytorch";
}

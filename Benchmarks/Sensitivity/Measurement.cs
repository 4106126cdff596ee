namespace RobustNode.Benchmarks.Sensitivity;

/// <summary>
/// One method at one depth: median wall time and thread CPU time, peak memory (the least and the most of several runs, bytes; null when not
/// measured), the tensors created from
/// .NET per layer (each is one call into libtorch; autograd's backward pass runs inside libtorch and creates none),
/// and the relative max-norm difference of its ∇_W from the first method's (the autograd baseline).
/// </summary>
internal sealed record Measurement(string Method, int Layers, double Milliseconds, double CpuMilliseconds, long? PeakBytes, long? PeakMostBytes, double TensorsPerLayer, double DifferenceFromBaseline);

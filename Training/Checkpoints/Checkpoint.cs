using LanguageExt;
using LanguageExt.Common;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Checkpoints;

/// <summary>
/// A tensor's dtype, shape and values as managed data, in the tensor's own dtype (float32 stays float32): the values'
/// bytes, little-endian and row-major, exactly as a safetensors file holds them.
/// </summary>
public sealed record TensorData(ScalarType DType, long[] Shape, byte[] Bytes)
{
    /// <summary>Bytes per value of a supported dtype (float32, float64), or 0 for an unsupported one.</summary>
    public static int ElementSize(ScalarType dtype) => dtype switch { ScalarType.Float32 => 4, ScalarType.Float64 => 8, _ => 0 };

    /// <summary>Number of values.</summary>
    public long Count => Shape.Aggregate(1L, (p, n) => p * n);

    /// <summary>A copy of a float32 or float64 tensor's contents, in its dtype.</summary>
    public static TensorData From(Tensor t)
    {
        using var scope = NewDisposeScope();
        var cpu = t.detach().cpu().contiguous();
        byte[] bytes = cpu.dtype switch
        {
            ScalarType.Float32 => LittleEndian(cpu.data<float>().ToArray()),
            ScalarType.Float64 => LittleEndian(cpu.data<double>().ToArray()),
            _ => throw new ArgumentException($"checkpoints hold float32 and float64 tensors, not {cpu.dtype}", nameof(t)),
        };
        return new TensorData(cpu.dtype, cpu.shape, bytes);
    }

    /// <summary>A float64 tensor's values widened from old (version 1) checkpoints, narrowed back to the stored dtype.</summary>
    internal static TensorData FromFloat64(ScalarType dtype, long[] shape, double[] values) =>
        dtype == ScalarType.Float32
            ? new TensorData(dtype, shape, LittleEndian(values.Select(v => (float)v).ToArray()))
            : new TensorData(dtype, shape, LittleEndian(values));

    /// <summary>A new tensor with these contents.</summary>
    public Tensor ToTensor()
    {
        using var scope = NewDisposeScope();
        var result = DType switch
        {
            ScalarType.Float32 => tensor(Values<float>(), Shape, ScalarType.Float32),
            _ => tensor(Values<double>(), Shape, ScalarType.Float64),
        };
        return result.MoveToOuterDisposeScope();
    }

    private T[] Values<T>() where T : struct
    {
        var values = new T[Count];
        Bytes.AsSpan().CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("checkpoints are read on little-endian machines");
        return values;
    }

    private static byte[] LittleEndian<T>(T[] values) where T : struct
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("checkpoints are written on little-endian machines");
        return System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }

    internal string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>An optimizer state as managed data: name, step count, and per slot one tensor per parameter.</summary>
public sealed record OptimizerSnapshot(string Optimizer, long Steps, IReadOnlyList<string> SlotNames, IReadOnlyList<IReadOnlyList<TensorData>> Slots);

/// <summary>
/// Everything needed to resume a run bit-identically at an epoch boundary: the configuration fingerprint, the number of
/// completed epochs, the model parameters and the optimizer state — as managed data, independent of any tensor's
/// lifetime. <see cref="CheckpointSerializer"/> turns it into bytes and back.
/// </summary>
public sealed record Checkpoint(ConfigurationFingerprint Fingerprint, int Epoch, IReadOnlyList<TensorData> Parameters, OptimizerSnapshot Optimizer)
{
    /// <summary>A snapshot of a training state (copies the tensors' values).</summary>
    public static Checkpoint Capture(TrainingState state, ConfigurationFingerprint fingerprint) =>
        new(fingerprint, state.Epoch,
            state.Parameters.Select(TensorData.From).ToArray(),
            new OptimizerSnapshot(state.Optimizer.Optimizer, state.Optimizer.Steps, state.Optimizer.SlotNames,
                state.Optimizer.Slots.Select(s => (IReadOnlyList<TensorData>)s.Select(TensorData.From).ToArray()).ToArray()));

    /// <summary>
    /// The training state this checkpoint describes, for a model shaped like <paramref name="template"/> (whose blocks,
    /// solver and adjoint are kept; only parameter values are replaced, by new tensors) and the given options. Fails,
    /// naming what is wrong, when the fingerprint differs from <paramref name="expected"/>, when the parameters'
    /// count, shapes or dtypes differ from the template's, or when the optimizer state does not belong to the options'
    /// optimizer.
    /// </summary>
    public Fin<TrainingState> Restore(IBlock template, TrainingOptions options, ConfigurationFingerprint expected)
    {
        if (!Fingerprint.Equals(expected))
            return FinFail<TrainingState>(TrainingErrors.CheckpointMismatch(
                "the configuration differs (checkpoint vs this run): " + string.Join("; ", Fingerprint.Differences(expected))));
        var problems = new List<Error>();
        var expectedParameters = template.Parameters;
        if (Parameters.Count != expectedParameters.Count)
            problems.Add(TrainingErrors.CheckpointMismatch($"it holds {Parameters.Count} parameters, the model has {expectedParameters.Count}"));
        else
            for (int i = 0; i < Parameters.Count; i++)
            {
                var p = expectedParameters[i];
                if (!Parameters[i].Shape.SequenceEqual(p.shape) || Parameters[i].DType != p.dtype)
                    problems.Add(TrainingErrors.CheckpointMismatch(
                        $"parameter {i} is {Parameters[i].DType} {Parameters[i].ShapeText}, the model expects {p.dtype} [{string.Join(", ", p.shape)}]"));
            }
        if (Optimizer.Optimizer != options.Optimizer.Name)
            problems.Add(TrainingErrors.CheckpointMismatch($"the optimizer state belongs to '{Optimizer.Optimizer}', the run uses '{options.Optimizer.Name}'"));
        if (Epoch < 0) problems.Add(TrainingErrors.CheckpointMismatch($"negative epoch {Epoch}"));
        if (problems.Count > 0) return TrainingErrors.All(problems).Map(_ => default(TrainingState)!);

        using var fresh = options.Optimizer.Initialize(expectedParameters);
        if (!fresh.SlotNames.SequenceEqual(Optimizer.SlotNames) || Optimizer.Slots.Count != fresh.Slots.Count)
            return FinFail<TrainingState>(TrainingErrors.CheckpointMismatch(
                $"optimizer slots [{string.Join(", ", Optimizer.SlotNames)}] differ from '{options.Optimizer.Name}''s [{string.Join(", ", fresh.SlotNames)}]"));
        for (int k = 0; k < Optimizer.Slots.Count; k++)
        {
            if (Optimizer.Slots[k].Count != Parameters.Count)
                return FinFail<TrainingState>(TrainingErrors.CheckpointMismatch($"optimizer slot '{Optimizer.SlotNames[k]}' has {Optimizer.Slots[k].Count} buffers for {Parameters.Count} parameters"));
            for (int i = 0; i < Parameters.Count; i++)
                if (!Optimizer.Slots[k][i].Shape.SequenceEqual(Parameters[i].Shape))
                    return FinFail<TrainingState>(TrainingErrors.CheckpointMismatch(
                        $"optimizer slot '{Optimizer.SlotNames[k]}' of parameter {i} is {Optimizer.Slots[k][i].ShapeText}, the parameter {Parameters[i].ShapeText}"));
        }

        var parameters = Parameters.Select(p => p.ToTensor().DetachFromDisposeScope()).ToArray();
        var slots = Optimizer.Slots.Select(s => (IReadOnlyList<Tensor>)s.Select(t => t.ToTensor().DetachFromDisposeScope()).ToArray()).ToArray();
        var state = new OptimizerState(Optimizer.Optimizer, Optimizer.Steps, Optimizer.SlotNames, slots);
        return new TrainingState(template.WithParameters(parameters), state, Epoch);
    }
}

using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
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
    internal static int ElementSize(ScalarType dtype) => dtype switch { ScalarType.Float32 => 4, ScalarType.Float64 => 8, _ => 0 };

    /// <summary>Number of values.</summary>
    public long Count => Shape.Aggregate(1L, (p, n) => p * n);

    /// <summary>A copy of a float32 or float64 tensor's contents (on any device), in its dtype.</summary>
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

    /// <summary>A copy of an engine value's contents, in its dtype.</summary>
    public static TensorData From<T>(IEngine<T> engine, T value) => FromFloat64(engine.DType(value), engine.Shape(value), engine.ToArray(value));

    /// <summary>A new CPU tensor with these contents.</summary>
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

    /// <summary>A new engine value with these contents, with the element type and device of <paramref name="like"/>.</summary>
    public T ToValue<T>(IEngine<T> engine, T like) => engine.FromValues(Widened(), like, Shape);

    /// <summary>The values as float64 (exact for float32).</summary>
    internal double[] Widened() => DType == ScalarType.Float32 ? Values<float>().Select(v => (double)v).ToArray() : Values<double>();

    internal string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>An optimizer state as managed data: name, step count, and per slot one tensor per parameter.</summary>
public sealed record OptimizerSnapshot(string Optimizer, long Steps, IReadOnlyList<string> SlotNames, IReadOnlyList<IReadOnlyList<TensorData>> Slots);

/// <summary>
/// Everything needed to resume a run bit-identically at an epoch boundary: the configuration fingerprint, the number of
/// completed epochs, the model parameters and the optimizer state — as managed data, independent of any engine or
/// value's lifetime. <see cref="CheckpointSerializer"/> turns it into bytes and back.
/// </summary>
public sealed record Checkpoint(ConfigurationFingerprint Fingerprint, int Epoch, IReadOnlyList<TensorData> Parameters, OptimizerSnapshot Optimizer)
{
    /// <summary>A snapshot of a training state on any engine (copies the values).</summary>
    public static Checkpoint Capture<T>(TrainingState<T> state, ConfigurationFingerprint fingerprint)
    {
        var engine = state.Engine;
        var parameters = state.Parameters.Select(p => TensorData.From(engine, p)).ToArray();
        var slots = state.Optimizer.Slots.Select(s => (IReadOnlyList<TensorData>)s.Select(v => TensorData.From(engine, v)).ToArray()).ToArray();
        return new(fingerprint, state.Epoch, parameters, new OptimizerSnapshot(state.Optimizer.Optimizer, state.Optimizer.Steps, state.Optimizer.SlotNames, slots));
    }

    /// <summary>
    /// The training state this checkpoint describes, for a model shaped like <paramref name="template"/> (whose blocks,
    /// solver and adjoint are kept; only parameter values are replaced, by new values with the template's element type and
    /// device) and the given options. Fails, naming what is wrong, when the fingerprint differs from
    /// <paramref name="expected"/>, when the parameters' count, shapes or dtypes differ from the template's, or when the
    /// optimizer state does not belong to the options' optimizer.
    /// </summary>
    public Fin<TrainingState<T>> Restore<T>(IBlock<T> template, TrainingOptions options, ConfigurationFingerprint expected)
    {
        if (!Fingerprint.Equals(expected))
            return FinFail<TrainingState<T>>(TrainingErrors.CheckpointMismatch(
                "the configuration differs (checkpoint vs this run): " + string.Join("; ", Fingerprint.Differences(expected))));
        var engine = template.Engine;
        var problems = new List<Error>();
        var expectedParameters = template.Parameters;
        if (Parameters.Count != expectedParameters.Count)
            problems.Add(TrainingErrors.CheckpointMismatch($"it holds {Parameters.Count} parameters, the model has {expectedParameters.Count}"));
        else
            for (int i = 0; i < Parameters.Count; i++)
            {
                var shape = engine.Shape(expectedParameters[i]);
                var dtype = engine.DType(expectedParameters[i]);
                if (!Parameters[i].Shape.SequenceEqual(shape) || Parameters[i].DType != dtype)
                    problems.Add(TrainingErrors.CheckpointMismatch(
                        $"parameter {i} is {Parameters[i].DType} {Parameters[i].ShapeText}, the model expects {dtype} [{string.Join(", ", shape)}]"));
            }
        if (Optimizer.Optimizer != options.Optimizer.Name)
            problems.Add(TrainingErrors.CheckpointMismatch($"the optimizer state belongs to '{Optimizer.Optimizer}', the run uses '{options.Optimizer.Name}'"));
        if (Epoch < 0) problems.Add(TrainingErrors.CheckpointMismatch($"negative epoch {Epoch}"));
        if (problems.Count > 0) return TrainingErrors.All(problems).Map(_ => default(TrainingState<T>)!);

        using var fresh = options.Optimizer.Initialize(engine, expectedParameters);
        if (!fresh.SlotNames.SequenceEqual(Optimizer.SlotNames) || Optimizer.Slots.Count != fresh.Slots.Count)
            return FinFail<TrainingState<T>>(TrainingErrors.CheckpointMismatch(
                $"optimizer slots [{string.Join(", ", Optimizer.SlotNames)}] differ from '{options.Optimizer.Name}''s [{string.Join(", ", fresh.SlotNames)}]"));
        for (int k = 0; k < Optimizer.Slots.Count; k++)
        {
            if (Optimizer.Slots[k].Count != Parameters.Count)
                return FinFail<TrainingState<T>>(TrainingErrors.CheckpointMismatch($"optimizer slot '{Optimizer.SlotNames[k]}' has {Optimizer.Slots[k].Count} buffers for {Parameters.Count} parameters"));
            for (int i = 0; i < Parameters.Count; i++)
                if (!Optimizer.Slots[k][i].Shape.SequenceEqual(Parameters[i].Shape))
                    return FinFail<TrainingState<T>>(TrainingErrors.CheckpointMismatch(
                        $"optimizer slot '{Optimizer.SlotNames[k]}' of parameter {i} is {Optimizer.Slots[k][i].ShapeText}, the parameter {Parameters[i].ShapeText}"));
        }

        var parameters = Parameters.Select((p, i) => engine.DetachFromScope(p.ToValue(engine, expectedParameters[i]))).ToArray();
        var slots = Optimizer.Slots.Select(s => (IReadOnlyList<T>)s.Select((v, i) => engine.DetachFromScope(v.ToValue(engine, expectedParameters[i]))).ToArray()).ToArray();
        var state = new OptimizerState<T>(engine, Optimizer.Optimizer, Optimizer.Steps, Optimizer.SlotNames, slots);
        return new TrainingState<T>(template.WithParameters(parameters), state, Epoch);
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using RobustNode.Tests.Oracles;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using RobustNode.Solvers;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

/// <summary>
/// Checkpoints keep each tensor's own dtype in a safetensors payload inside the envelope (magic, version, SHA-256,
/// fingerprint): a float32 image model is stored at 4 bytes a value, Python reads a model with json, struct and torch,
/// and checkpoints of the older format (every value widened to float64) still load.
/// </summary>
public sealed class SafetensorsCheckpointTests
{
    private static ConfigurationFingerprint Fingerprint => new([new("model", "tiny"), new("data", "none")]);

    private static (TrainingState<Tensor> State, byte[] Bytes) ImageModel()
    {
        var model = Ok(new ConvolutionalOdeModel(InputChannels: 1, ImageSize: 8, Classes: 3, Width: 4, Layers: 2)
            .Build(SolverCatalog.Fixed(SolverCatalog.BuiltIn["euler"]), RobustNode.Sensitivity.Adjoints.AdjointMode.Discrete, 5, ScalarType.Float32));
        var options = new TrainingOptions(new StandardObjective(), new Adam(0.01), Epochs: 1, BatchSize: 4, Seed: 1);
        var state = Ok(Trainer.Start(model, options));
        return (state, CheckpointSerializer.Serialize(Checkpoint.Capture(state, Fingerprint)));
    }

    [Fact]
    public void A_float32_model_is_stored_at_four_bytes_a_value_and_restored_bit_for_bit()
    {
        var (state, bytes) = ImageModel();
        long values = state.Parameters.Sum(p => p.numel());
        Assert.All(state.Parameters, p => Assert.Equal(ScalarType.Float32, p.dtype));
        // Parameters and the two Adam slots, 4 bytes each, plus the header: well under the 8 bytes a value of float64.
        Assert.InRange(bytes.Length, 3 * 4 * values, 3 * 4 * values + 8192);
        var checkpoint = Ok(CheckpointSerializer.Deserialize(bytes));
        Assert.All(checkpoint.Parameters, p => Assert.Equal(ScalarType.Float32, p.DType));
        Assert.Equal(bytes, CheckpointSerializer.Serialize(checkpoint));
        Assert.True(BitIdentical(state.Parameters, checkpoint.Parameters.Select(p => p.ToTensor()).ToArray()));
    }

    [Fact]
    public void The_payload_is_a_safetensors_file_with_the_fingerprint_in_its_metadata()
    {
        var (_, bytes) = ImageModel();
        Assert.Equal(CheckpointSerializer.Version, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)));
        long length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12));
        var payload = bytes.AsSpan(20, (int)length);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(payload);
        Assert.Equal(0, n % 8);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(payload.Slice(8, (int)n)))!.AsObject();
        var meta = header["__metadata__"]!;
        Assert.Equal("robustnode-checkpoint", (string?)meta["format"]);
        Assert.Equal("[[\"model\",\"tiny\"],[\"data\",\"none\"]]", (string?)meta["fingerprint"]);
        Assert.Equal("F32", (string?)header["parameters.0"]!["dtype"]);
        // The tensors tile the data section exactly, in order.
        var offsets = header.Where(kv => kv.Key != "__metadata__").Select(kv => kv.Value!["data_offsets"]!.AsArray().Select(o => (long)o!).ToArray())
            .OrderBy(o => o[0]).ToList();
        Assert.Equal(0, offsets[0][0]);
        for (int i = 1; i < offsets.Count; i++) Assert.Equal(offsets[i - 1][1], offsets[i][0]);
        Assert.Equal(payload.Length - 8 - n, offsets[^1][1]);
    }

    [PyTorchFact]
    public void Python_reads_a_saved_model_with_json_struct_and_torch()
    {
        var (state, bytes) = ImageModel();
        var dir = Directory.CreateTempSubdirectory("robustnode-safetensors-").FullName;
        try
        {
            var path = Path.Combine(dir, "model.ckpt");
            var output = Path.Combine(dir, "model.json");
            File.WriteAllBytes(path, bytes);
            var script = Path.Combine(AppContext.BaseDirectory, "Oracles", "read_checkpoint.py");
            using (var process = Process.Start(new ProcessStartInfo(PyTorchFactAttribute.Python, [script, path, output]) { RedirectStandardError = true })!)
            {
                var error = process.StandardError.ReadToEnd();
                Assert.True(process.WaitForExit(120_000), "python timed out");
                Assert.True(process.ExitCode == 0, error);
            }
            var read = JsonNode.Parse(File.ReadAllText(output))!;
            Assert.Equal(2, (int)read["version"]!);
            Assert.Equal("0", (string?)read["metadata"]!["epoch"]);
            for (int i = 0; i < state.Parameters.Count; i++)
            {
                var tensor = read["tensors"]![$"parameters.{i}"]!;
                Assert.Equal("torch.float32", (string?)tensor["dtype"]);
                Assert.Equal(state.Parameters[i].shape, tensor["shape"]!.AsArray().Select(n => (long)n!));
                var expected = state.Parameters[i].contiguous().data<float>().ToArray().Select(v => (double)v);
                Assert.Equal(expected, tensor["values"]!.AsArray().Select(v => (double)v!));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_version_1_checkpoint_still_loads_with_its_dtypes()
    {
        var (state, _) = ImageModel();
        var legacy = LegacyBytes(Checkpoint.Capture(state, Fingerprint));
        var checkpoint = Ok(CheckpointSerializer.Deserialize(legacy));
        Assert.All(checkpoint.Parameters, p => Assert.Equal(ScalarType.Float32, p.DType));
        Assert.True(BitIdentical(state.Parameters, checkpoint.Parameters.Select(p => p.ToTensor()).ToArray()));
        Assert.Equal(Fingerprint, checkpoint.Fingerprint);
        Assert.Equal(["m", "v"], checkpoint.Optimizer.SlotNames);
    }

    /// <summary>The version 1 layout: a binary payload with every value widened to float64.</summary>
    private static byte[] LegacyBytes(Checkpoint c)
    {
        var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            void Tensors(IReadOnlyList<TensorData> list)
            {
                w.Write(list.Count);
                foreach (var t in list)
                {
                    w.Write((int)t.DType);
                    w.Write(t.Shape.Length);
                    foreach (var n in t.Shape) w.Write(n);
                    using var values = t.ToTensor().to(ScalarType.Float64);
                    foreach (var v in values.contiguous().data<double>().ToArray()) w.Write(v);
                }
            }
            w.Write(c.Fingerprint.Entries.Count);
            foreach (var (k, v) in c.Fingerprint.Entries) { w.Write(k); w.Write(v); }
            w.Write(c.Epoch);
            Tensors(c.Parameters);
            w.Write(c.Optimizer.Optimizer);
            w.Write(c.Optimizer.Steps);
            w.Write(c.Optimizer.Slots.Count);
            for (int k = 0; k < c.Optimizer.Slots.Count; k++) { w.Write(c.Optimizer.SlotNames[k]); Tensors(c.Optimizer.Slots[k]); }
        }
        var bytes = new byte[20 + payload.Length + 32];
        "RNODECKP"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 1);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12), payload.Length);
        payload.ToArray().CopyTo(bytes, 20);
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32), bytes.AsSpan(bytes.Length - 32));
        return bytes;
    }
}

using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LanguageExt;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Checkpoints;

/// <summary>
/// Checkpoints to bytes and back, with no file I/O of its own (bytes or a caller's stream). The envelope, little-endian:
/// <code>
/// "RNODECKP"  magic (8 bytes)
/// int32       format version (2)
/// int64       payload length L
/// payload     (L bytes) a safetensors file
/// SHA-256     of everything before it (32 bytes)
/// </code>
/// The payload is a safetensors file (u64 header length, a JSON header, then the tensors' bytes), so any safetensors
/// reader — or twenty lines of Python with <c>json</c> and <c>struct</c> — reads a RobustNode model from bytes 20 to
/// 20 + L. Tensors keep their own dtype (<c>F32</c>, <c>F64</c>): <c>parameters.&lt;i&gt;</c> for the model,
/// <c>optimizer.&lt;k&gt;.&lt;i&gt;</c> for slot k of the optimizer state. The header's <c>__metadata__</c> (strings, as
/// the format requires) holds <c>format</c> = <c>robustnode-checkpoint</c>, <c>epoch</c>, <c>optimizer</c>,
/// <c>steps</c>, <c>slots</c> (a JSON list of slot names), <c>parameters</c> (their count) and <c>fingerprint</c> (a JSON
/// list of [key, value] pairs). Reading checks magic, version, length and checksum before parsing, and reports each
/// failure as an error value naming what is wrong. Version 1 checkpoints (a binary payload with every value widened to
/// float64) are still read, their values narrowed back to the stored dtype.
/// </summary>
public static class CheckpointSerializer
{
    /// <summary>The format version this library writes.</summary>
    public const int Version = 2;

    /// <summary>The older version this library still reads.</summary>
    public const int LegacyVersion = 1;

    /// <summary>The <c>format</c> entry of a checkpoint's safetensors metadata.</summary>
    public const string Format = "robustnode-checkpoint";

    private static readonly byte[] Magic = "RNODECKP"u8.ToArray();
    private const int HeaderLength = 8 + 4 + 8;
    private const int ChecksumLength = 32;
    private const int MaxRank = 16;
    private const long MaxSafetensorsHeader = 100L << 20;

    /// <summary>The checkpoint as bytes.</summary>
    public static byte[] Serialize(Checkpoint checkpoint)
    {
        var payload = Safetensors(checkpoint);
        var bytes = new byte[HeaderLength + payload.Length + ChecksumLength];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), Version);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12), payload.Length);
        payload.CopyTo(bytes.AsSpan(HeaderLength));
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - ChecksumLength), bytes.AsSpan(bytes.Length - ChecksumLength));
        return bytes;
    }

    /// <summary>Writes the checkpoint's bytes to a stream (the stream stays open).</summary>
    public static void Write(Checkpoint checkpoint, Stream stream) => stream.Write(Serialize(checkpoint));

    /// <summary>The safetensors payload of a checkpoint: header (8-byte aligned, padded with spaces) and data.</summary>
    private static byte[] Safetensors(Checkpoint checkpoint)
    {
        var inv = CultureInfo.InvariantCulture;
        var tensors = new List<(string Name, TensorData Data)>();
        tensors.AddRange(checkpoint.Parameters.Select((t, i) => ($"parameters.{i}", t)));
        for (int k = 0; k < checkpoint.Optimizer.Slots.Count; k++)
            tensors.AddRange(checkpoint.Optimizer.Slots[k].Select((t, i) => ($"optimizer.{k}.{i}", t)));
        var header = new JsonObject
        {
            ["__metadata__"] = new JsonObject
            {
                ["format"] = Format,
                ["epoch"] = checkpoint.Epoch.ToString(inv),
                ["optimizer"] = checkpoint.Optimizer.Optimizer,
                ["steps"] = checkpoint.Optimizer.Steps.ToString(inv),
                ["slots"] = new JsonArray(checkpoint.Optimizer.SlotNames.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()).ToJsonString(),
                ["parameters"] = checkpoint.Parameters.Count.ToString(inv),
                ["fingerprint"] = new JsonArray(checkpoint.Fingerprint.Entries
                    .Select(e => (JsonNode?)new JsonArray(JsonValue.Create(e.Key), JsonValue.Create(e.Value))).ToArray()).ToJsonString(),
            },
        };
        long offset = 0;
        foreach (var (name, data) in tensors)
        {
            header[name] = new JsonObject
            {
                ["dtype"] = data.DType == ScalarType.Float32 ? "F32" : "F64",
                ["shape"] = new JsonArray(data.Shape.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + data.Bytes.Length),
            };
            offset += data.Bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        json.CopyTo(bytes, 8);
        bytes.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        long at = 8 + padded;
        foreach (var (_, data) in tensors)
        {
            data.Bytes.CopyTo(bytes, at);
            at += data.Bytes.Length;
        }
        return bytes;
    }

    /// <summary>The checkpoint in the bytes, or an error naming what is wrong (not a checkpoint, version, truncation, checksum).</summary>
    public static Fin<Checkpoint> Deserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
            return FinFail<Checkpoint>(TrainingErrors.CheckpointFormat("the data does not start with the magic bytes 'RNODECKP'"));
        if (bytes.Length < HeaderLength)
            return FinFail<Checkpoint>(TrainingErrors.CheckpointCorrupted($"truncated header: {bytes.Length} bytes"));
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        if (version is not (Version or LegacyVersion)) return FinFail<Checkpoint>(TrainingErrors.CheckpointVersion(version, Version));
        long length = BinaryPrimitives.ReadInt64LittleEndian(bytes[12..]);
        long expected = HeaderLength + length + ChecksumLength;
        if (length < 0 || expected != bytes.Length)
            return FinFail<Checkpoint>(TrainingErrors.CheckpointCorrupted(
                length < 0 || expected > bytes.Length ? $"truncated: the header announces {expected} bytes, there are {bytes.Length}"
                    : $"{bytes.Length - expected} unexpected bytes after the checksum"));
        Span<byte> checksum = stackalloc byte[ChecksumLength];
        SHA256.HashData(bytes[..^ChecksumLength], checksum);
        if (!checksum.SequenceEqual(bytes[^ChecksumLength..]))
            return FinFail<Checkpoint>(TrainingErrors.CheckpointCorrupted("the SHA-256 checksum does not match the contents"));
        var payload = bytes.Slice(HeaderLength, (int)length);
        try
        {
            return version == Version ? ReadSafetensors(payload) : LegacyPayload.Read(payload.ToArray());
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IOException or DecoderFallbackException
                                       or FormatException or OverflowException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return FinFail<Checkpoint>(TrainingErrors.CheckpointCorrupted($"unreadable payload: {ex.Message}"));
        }
    }

    private static Checkpoint ReadSafetensors(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 8) throw new InvalidDataException("the safetensors payload is shorter than its 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        if (headerLength > (ulong)Math.Min(payload.Length - 8, MaxSafetensorsHeader))
            throw new InvalidDataException($"the safetensors header announces {headerLength} bytes, the payload holds {payload.Length - 8}");
        var header = JsonNode.Parse(payload.Slice(8, (int)headerLength))?.AsObject() ?? throw new InvalidDataException("the safetensors header is not a JSON object");
        var data = payload[(8 + (int)headerLength)..];
        var meta = header["__metadata__"]?.AsObject() ?? throw new InvalidDataException("the safetensors header has no __metadata__");
        string Meta(string key) => meta[key]?.GetValue<string>() ?? throw new InvalidDataException($"the metadata has no '{key}'");
        if (Meta("format") != Format) throw new InvalidDataException($"the metadata's format is '{Meta("format")}', not '{Format}'");
        var inv = CultureInfo.InvariantCulture;
        int epoch = int.Parse(Meta("epoch"), NumberStyles.Integer, inv);
        long steps = long.Parse(Meta("steps"), NumberStyles.Integer, inv);
        int count = int.Parse(Meta("parameters"), NumberStyles.Integer, inv);
        var slotNames = JsonNode.Parse(Meta("slots"))!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        var fingerprint = JsonNode.Parse(Meta("fingerprint"))!.AsArray()
            .Select(pair => new KeyValuePair<string, string>(pair![0]!.GetValue<string>(), pair[1]!.GetValue<string>())).ToList();
        int tensorCount = header.Count - 1;
        if (count < 0 || count > tensorCount) throw new InvalidDataException($"implausible number of parameters: {count}");
        long covered = 0;
        var dataCopy = data.ToArray();
        TensorData Tensor(string name)
        {
            var entry = header[name]?.AsObject() ?? throw new InvalidDataException($"the tensor '{name}' is missing");
            var dtype = entry["dtype"]?.GetValue<string>() switch
            {
                "F32" => ScalarType.Float32,
                "F64" => ScalarType.Float64,
                var other => throw new InvalidDataException($"tensor '{name}' has unsupported dtype '{other}'"),
            };
            var shape = entry["shape"]!.AsArray().Select(n => n!.GetValue<long>()).ToArray();
            if (shape.Length > MaxRank || shape.Any(n => n < 0)) throw new InvalidDataException($"tensor '{name}' has shape [{string.Join(", ", shape)}]");
            var offsets = entry["data_offsets"]!.AsArray().Select(n => n!.GetValue<long>()).ToArray();
            long elements = shape.Aggregate(1L, (p, n) => checked(p * n));
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] > dataCopy.Length || offsets[1] - offsets[0] != checked(elements * TensorData.ElementSize(dtype)))
                throw new InvalidDataException($"tensor '{name}' has data offsets [{string.Join(", ", offsets)}] that do not fit its shape or the payload");
            covered += offsets[1] - offsets[0];
            return new TensorData(dtype, shape, dataCopy[(int)offsets[0]..(int)offsets[1]]);
        }
        var parameters = Enumerable.Range(0, count).Select(i => Tensor($"parameters.{i}")).ToArray();
        var slots = slotNames.Select((_, k) => (IReadOnlyList<TensorData>)Enumerable.Range(0, count).Where(i => header.ContainsKey($"optimizer.{k}.{i}"))
            .Select(i => Tensor($"optimizer.{k}.{i}")).ToArray()).ToArray();
        if (parameters.Length + slots.Sum(s => s.Count) != tensorCount)
            throw new InvalidDataException($"the header lists {tensorCount} tensors, the checkpoint uses {parameters.Length + slots.Sum(s => s.Count)}");
        if (covered != dataCopy.Length) throw new InvalidDataException($"{dataCopy.Length - covered} bytes of tensor data belong to no tensor");
        return new Checkpoint(new ConfigurationFingerprint(fingerprint), epoch, parameters, new OptimizerSnapshot(Meta("optimizer"), steps, slotNames, slots));
    }

    /// <summary>Reads a whole checkpoint from a stream (to its end); I/O failures become error values.</summary>
    public static Fin<Checkpoint> Read(Stream stream)
    {
        try
        {
            var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        catch (IOException ex)
        {
            return FinFail<Checkpoint>(TrainingErrors.CheckpointCorrupted($"reading failed: {ex.Message}"));
        }
    }

    /// <summary>
    /// The version 1 payload: int32 n, n × (string key, string value); int32 epoch; int32 p, p × tensor; string optimizer,
    /// int64 steps, int32 k, k × (string slot, int32 p, p × tensor). Strings are UTF-8 with a 7-bit-encoded length; a
    /// tensor is int32 dtype, int32 rank, rank × int64 dims, then its values as float64.
    /// </summary>
    private static class LegacyPayload
    {
        public static Checkpoint Read(byte[] payload)
        {
            using var r = new BinaryReader(new MemoryStream(payload), Encoding.UTF8);
            int entries = Count(r, "fingerprint entries");
            var fingerprint = new List<KeyValuePair<string, string>>();
            for (int i = 0; i < entries; i++) fingerprint.Add(new(r.ReadString(), r.ReadString()));
            int epoch = r.ReadInt32();
            var parameters = ReadTensors(r);
            string optimizer = r.ReadString();
            long steps = r.ReadInt64();
            int slotCount = Count(r, "optimizer slots");
            var names = new List<string>();
            var slots = new List<IReadOnlyList<TensorData>>();
            for (int k = 0; k < slotCount; k++)
            {
                names.Add(r.ReadString());
                slots.Add(ReadTensors(r));
            }
            if (r.BaseStream.Position != r.BaseStream.Length)
                throw new InvalidDataException($"{r.BaseStream.Length - r.BaseStream.Position} bytes left over in the payload");
            return new Checkpoint(new ConfigurationFingerprint(fingerprint), epoch, parameters, new OptimizerSnapshot(optimizer, steps, names, slots));
        }

        private static IReadOnlyList<TensorData> ReadTensors(BinaryReader r)
        {
            int count = Count(r, "tensors");
            var tensors = new TensorData[count];
            for (int i = 0; i < count; i++)
            {
                var dtype = (ScalarType)r.ReadInt32();
                if (dtype is not (ScalarType.Float64 or ScalarType.Float32))
                    throw new InvalidDataException($"tensor {i} has unsupported dtype code {(int)dtype}");
                int rank = r.ReadInt32();
                if (rank < 0 || rank > MaxRank) throw new InvalidDataException($"tensor {i} has rank {rank}");
                var shape = new long[rank];
                long elements = 1;
                for (int j = 0; j < rank; j++)
                {
                    shape[j] = r.ReadInt64();
                    if (shape[j] < 0) throw new InvalidDataException($"tensor {i} has a negative dimension");
                    elements = checked(elements * shape[j]);
                }
                long remaining = r.BaseStream.Length - r.BaseStream.Position;
                if (elements * sizeof(double) > remaining) throw new EndOfStreamException($"tensor {i} needs {elements} values, the payload ends before");
                var raw = r.ReadBytes((int)(elements * sizeof(double)));
                var values = new double[elements];
                for (int j = 0; j < values.Length; j++) values[j] = BinaryPrimitives.ReadDoubleLittleEndian(raw.AsSpan(j * 8));
                tensors[i] = TensorData.FromFloat64(dtype, shape, values);
            }
            return tensors;
        }

        private static int Count(BinaryReader r, string what)
        {
            int n = r.ReadInt32();
            long remaining = r.BaseStream.Length - r.BaseStream.Position;
            if (n < 0 || n > remaining) throw new InvalidDataException($"implausible number of {what}: {n}");
            return n;
        }
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using LanguageExt;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Checkpoints;

/// <summary>
/// Checkpoints to bytes and back, with no file I/O of its own (bytes or a caller's stream). Layout, little-endian:
/// <code>
/// "RNODECKP"  magic (8 bytes)
/// int32       format version (1)
/// int64       payload length L
/// payload     (L bytes) fingerprint entries, epoch, parameters, optimizer state
/// SHA-256     of everything before it (32 bytes)
/// </code>
/// Payload: int32 n, n × (string key, string value); int32 epoch; int32 p, p × tensor; string optimizer, int64 steps,
/// int32 k, k × (string slot, int32 p, p × tensor). Strings are UTF-8 with a 7-bit-encoded length; a tensor is
/// int32 dtype, int32 rank, rank × int64 dims, then its values as float64. Reading checks magic, version, length
/// and checksum before parsing, and reports each failure as an error value naming what is wrong.
/// </summary>
public static class CheckpointSerializer
{
    /// <summary>The format version this library writes and reads.</summary>
    public const int Version = 1;

    private static readonly byte[] Magic = "RNODECKP"u8.ToArray();
    private const int HeaderLength = 8 + 4 + 8;
    private const int ChecksumLength = 32;
    private const int MaxRank = 16;

    /// <summary>The checkpoint as bytes.</summary>
    public static byte[] Serialize(Checkpoint checkpoint)
    {
        var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(checkpoint.Fingerprint.Entries.Count);
            foreach (var (key, value) in checkpoint.Fingerprint.Entries) { w.Write(key); w.Write(value); }
            w.Write(checkpoint.Epoch);
            WriteTensors(w, checkpoint.Parameters);
            w.Write(checkpoint.Optimizer.Optimizer);
            w.Write(checkpoint.Optimizer.Steps);
            w.Write(checkpoint.Optimizer.Slots.Count);
            for (int k = 0; k < checkpoint.Optimizer.Slots.Count; k++)
            {
                w.Write(checkpoint.Optimizer.SlotNames[k]);
                WriteTensors(w, checkpoint.Optimizer.Slots[k]);
            }
        }
        var bytes = new byte[HeaderLength + payload.Length + ChecksumLength];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), Version);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12), payload.Length);
        payload.GetBuffer().AsSpan(0, (int)payload.Length).CopyTo(bytes.AsSpan(HeaderLength));
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - ChecksumLength), bytes.AsSpan(bytes.Length - ChecksumLength));
        return bytes;
    }

    /// <summary>Writes the checkpoint's bytes to a stream (the stream stays open).</summary>
    public static void Write(Checkpoint checkpoint, Stream stream) => stream.Write(Serialize(checkpoint));

    /// <summary>The checkpoint in the bytes, or an error naming what is wrong (not a checkpoint, version, truncation, checksum).</summary>
    public static Fin<Checkpoint> Deserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
            return FinFail<Checkpoint>(TrainingErrors.CheckpointFormat("the data does not start with the magic bytes 'RNODECKP'"));
        if (bytes.Length < HeaderLength)
            return FinFail<Checkpoint>(TrainingErrors.CheckpointCorrupted($"truncated header: {bytes.Length} bytes"));
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        if (version != Version) return FinFail<Checkpoint>(TrainingErrors.CheckpointVersion(version, Version));
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
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes.Slice(HeaderLength, (int)length).ToArray()), Encoding.UTF8);
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
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IOException or DecoderFallbackException or FormatException or OverflowException)
        {
            return FinFail<Checkpoint>(TrainingErrors.CheckpointCorrupted($"unreadable payload: {ex.Message}"));
        }
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

    private static void WriteTensors(BinaryWriter w, IReadOnlyList<TensorData> tensors)
    {
        w.Write(tensors.Count);
        foreach (var t in tensors)
        {
            w.Write((int)t.DType);
            w.Write(t.Shape.Length);
            foreach (var n in t.Shape) w.Write(n);
            if (BitConverter.IsLittleEndian) w.Write(MemoryMarshal.AsBytes(t.Values.AsSpan()));
            else foreach (var v in t.Values) w.Write(v);
        }
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
            var values = new double[elements];
            var raw = r.ReadBytes((int)(elements * sizeof(double)));
            if (BitConverter.IsLittleEndian) raw.AsSpan().CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            else for (int j = 0; j < values.Length; j++) values[j] = BinaryPrimitives.ReadDoubleLittleEndian(raw.AsSpan(j * 8));
            tensors[i] = new TensorData(dtype, shape, values);
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

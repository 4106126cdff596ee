using System.Numerics;
using System.Runtime.InteropServices;
using RobustNode.Core.Engines.Managed.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Core.Engines.Managed;

/// <summary>
/// The managed engine: dense row-major arrays of float or double (<see cref="ManagedTensor{TScalar}"/>) and SIMD
/// kernels written in C# (<c>System.Numerics.Tensors</c>, <c>Vector256</c>/<c>Vector512</c>), with no native calls. For
/// the small dense states of point-cloud networks (d = 2 … 128, B = 32 … 4096), where each libtorch call costs more in
/// overhead than in arithmetic.
/// </summary>
/// <remarks>
/// <para><b>Memory.</b> Values live in per-thread pools and are owned by dispose scopes exactly as TorchSharp tensors
/// are (<see cref="OpenScope"/>, <see cref="Keep"/>, <see cref="Release"/>): a loop whose body runs in a scope reuses
/// the same arrays every iteration and allocates nothing once warm. See <see cref="ManagedScopes{TScalar}"/>.</para>
/// <para><b>Threads.</b> Pools and scopes are thread-static: use an engine's values on the thread that made them (or
/// read them from others). With <see cref="Threads"/> &gt; 1 the large kernels split their rows across that many threads
/// (<see cref="Blocks"/>); the split is fixed by the shapes, so results are bit-identical for any thread count.</para>
/// <para><b>Numbers.</b> Each kernel mirrors the TorchSharp operation of <see cref="IEngine{T}"/>'s documentation,
/// rounding the same way where it matters (separate roundings where TorchSharp evaluates an expression in steps, fused
/// multiply-add where libtorch fuses), so the engines agree to a few units in the last place. Sums run in a fixed order.
/// Labels are whole numbers stored in the element type.</para>
/// <para><b>Shapes.</b> Elementwise operations take operands of the same shape, or a second operand shaped like the
/// trailing dimensions of the first (a row broadcast, e.g. [d] onto [B, d]). Up to <see cref="ManagedShape.MaxRank"/>
/// dimensions. An absent value (no bias) is <c>default</c>.</para>
/// </remarks>
/// <typeparam name="TScalar">float or double.</typeparam>
public sealed partial class ManagedEngine<TScalar> : IEngine<ManagedTensor<TScalar>>, IRowBlocks
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    /// <summary>An engine whose large kernels use up to <paramref name="threads"/> threads (default one).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public ManagedEngine(int threads = 1)
    {
        if (typeof(TScalar) != typeof(float) && typeof(TScalar) != typeof(double))
            throw new NotSupportedException($"the managed engine computes in float or double, not {typeof(TScalar).Name}");
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
    }

    /// <summary>The number of threads a kernel may use.</summary>
    public int Threads { get; }

    /// <summary>The fewest rows a row block of a split batch has: below it a thread hand-off per sweep costs more than it saves.</summary>
    private const int MinimumBlockRows = 512;

    /// <summary>
    /// One block per thread, each of at least <see cref="MinimumBlockRows"/> rows: a batch of 4096 on two threads is
    /// split in two, a batch of 256 is not split. A thread that already computes a row block does not split again.
    /// </summary>
    int IRowBlocks.RowBlocks(long batch) => Blocks.SingleThreaded ? 1 : (int)Math.Clamp(batch / MinimumBlockRows, 1, Threads);

    /// <inheritdoc/>
    TResult IRowBlocks.JoinBlocks<TPart, TResult>(int blocks, Func<int, TPart> part, Func<TPart[], TResult> join)
    {
        var parts = new TPart[blocks];
        TResult result = default!;
        var rendezvous = new RowBlockThreads.Rendezvous(blocks - 1);
        RowBlockThreads.RunHere(blocks, b =>
        {
            if (b == 0)
            {
                try
                {
                    parts[0] = part(0);
                    if (rendezvous.WaitForParts()) result = join(parts);
                }
                finally { rendezvous.Release(); }
                return;
            }
            using var scope = OpenScope();
            bool done = false;
            try
            {
                parts[b] = part(b);
                done = true;
            }
            finally { rendezvous.PartDone(done); }
            // The part's values stay alive until the caller has joined them, and are released here, on their thread.
            rendezvous.WaitForRelease();
        });
        return result;
    }

    /// <inheritdoc/>
    IRowBlockThreads IRowBlocks.LeaseThreads(int blocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        return RowBlockThreads.Lease(blocks);
    }

    /// <inheritdoc/>
    public string Name => "managed";

    /// <summary>The dtype TorchSharp tensors of this engine's element type have.</summary>
    public static ScalarType ElementType => typeof(TScalar) == typeof(float) ? ScalarType.Float32 : ScalarType.Float64;

    private static ManagedScopes<TScalar> Scopes => ManagedScopes<TScalar>.Current;

    private static TScalar Of(double value) => TScalar.CreateTruncating(value);

    // ---- Ownership --------------------------------------------------------------------------------------------------

    /// <inheritdoc/>
    public IDisposable OpenScope() => Scopes.Open();

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Keep(ManagedTensor<TScalar> y)
    {
        if (y.IsNone) return y;
        _ = y.Span;
        Scopes.Keep(y.Storage!);
        return y;
    }

    /// <inheritdoc/>
    public void Release(ManagedTensor<TScalar> y)
    {
        // Like disposing a TorchSharp tensor twice, releasing a dead or absent value does nothing.
        if (y.IsAlive) Scopes.Release(y.Storage!);
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> DetachFromScope(ManagedTensor<TScalar> x)
    {
        if (x.IsNone) return x;
        _ = x.Span;
        Scopes.Detach(x.Storage!);
        return x;
    }

    /// <inheritdoc/>
    public IDisposable Untracked() => NoRecording.Instance;

    private sealed class NoRecording : IDisposable
    {
        public static readonly NoRecording Instance = new();
        public void Dispose() { }
    }

    /// <summary>A new value of the given shape owned by the innermost scope; its numbers are not initialised.</summary>
    private static ManagedTensor<TScalar> New(ManagedShape shape) => new(Scopes.Allocate(shape.Count), 0, shape);

    /// <summary>A new handle on x's numbers with another offset and shape, owned by the innermost scope.</summary>
    private static ManagedTensor<TScalar> ViewOf(ManagedTensor<TScalar> x, int offset, ManagedShape shape)
    {
        _ = x.Span;
        Scopes.AddHandle(x.Storage!);
        return x.View(offset, shape);
    }

    // ---- Shapes, creation and conversion ----------------------------------------------------------------------------

    /// <inheritdoc/>
    public long[] Shape(ManagedTensor<TScalar> x) => Live(x).Shape.ToArray();

    /// <inheritdoc/>
    public long BatchSize(ManagedTensor<TScalar> x)
    {
        var shape = Live(x).Shape;
        return shape.Rank == 0 ? throw new ArgumentException("a rank-0 value has no batch dimension") : shape[0];
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Zeros(ManagedTensor<TScalar> like, params ReadOnlySpan<long> shape)
    {
        var result = New(ManagedShape.Of(shape));
        result.Span.Clear();
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> ZerosLike(ManagedTensor<TScalar> x)
    {
        var result = New(Live(x).Shape);
        result.Span.Clear();
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Clone(ManagedTensor<TScalar> x)
    {
        var source = x.Span;
        var result = New(x.Shape);
        source.CopyTo(result.Span);
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> FromValues(ReadOnlySpan<double> values, ManagedTensor<TScalar> like, params ReadOnlySpan<long> shape)
    {
        var s = ManagedShape.Of(shape, values.Length);
        if (s.Count != values.Length)
            throw new ArgumentException($"FromValues: {values.Length} values do not fill the shape {s} ({s.Count} elements)");
        var result = New(s);
        var span = result.Span;
        for (int i = 0; i < values.Length; i++) span[i] = Of(values[i]);
        return result;
    }

    /// <summary>Values given in the element type, row-major, in the shape given (a copy).</summary>
    public ManagedTensor<TScalar> FromElements(ReadOnlySpan<TScalar> values, params ReadOnlySpan<long> shape)
    {
        var s = ManagedShape.Of(shape, values.Length);
        if (s.Count != values.Length)
            throw new ArgumentException($"FromElements: {values.Length} values do not fill the shape {s} ({s.Count} elements)");
        var result = New(s);
        values.CopyTo(result.Span);
        return result;
    }

    /// <inheritdoc/>
    public double[] ToArray(ManagedTensor<TScalar> x)
    {
        var span = x.Span;
        var result = new double[span.Length];
        for (int i = 0; i < span.Length; i++) result[i] = double.CreateTruncating(span[i]);
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> FromTensor(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.is_complex())
            throw new ArgumentException($"FromTensor: a managed engine takes real tensors, got {tensor.dtype}");
        if (tensor.dim() > ManagedShape.MaxRank)
            throw new ArgumentException($"FromTensor: a managed tensor has at most {ManagedShape.MaxRank} dimensions, got {tensor.dim()}");
        using var scope = NewDisposeScope();
        // Read in place when the tensor is already contiguous CPU memory of the element type (bytes is a view that
        // starts at the tensor's offset), else through one converted copy.
        var cpu = tensor.detach();
        if (cpu.device_type != DeviceType.CPU) cpu = cpu.cpu();
        if (cpu.dtype != ElementType) cpu = cpu.to_type(ElementType);
        cpu = cpu.contiguous();
        var result = New(ManagedShape.Of(cpu.shape));
        if (result.Count > 0) MemoryMarshal.Cast<byte, TScalar>(cpu.bytes)[..result.Count].CopyTo(result.Span);
        return result;
    }

    /// <inheritdoc/>
    public Tensor ToTensor(ManagedTensor<TScalar> x)
    {
        var values = x.Span;
        var result = empty(x.Shape.ToArray(), ElementType, CPU);
        // bytes is a view of the new tensor's memory: one copy, no intermediate array.
        if (values.Length > 0) values.CopyTo(MemoryMarshal.Cast<byte, TScalar>(result.bytes));
        return result;
    }

    /// <summary>Float32 or Float64, labels included (they are whole numbers of the element type).</summary>
    public ScalarType DType(ManagedTensor<TScalar> x) => ElementType;

    /// <summary>Always true: a managed engine holds only floating-point numbers (labels are whole numbers of the element type).</summary>
    public bool IsFloatingPoint(ManagedTensor<TScalar> x) => true;

    /// <summary>Null: all values of one managed engine have its element type and live in memory.</summary>
    public string? Incompatibility(ManagedTensor<TScalar> reference, ManagedTensor<TScalar> x) => null;

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Concat(IReadOnlyList<ManagedTensor<TScalar>> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("Concat: at least one part is needed");
        var first = Live(parts[0]).Shape;
        if (first.Rank == 0) throw new ArgumentException("Concat: rank-0 values have no first dimension to stack along");
        long rows = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            var shape = Live(parts[i]).Shape;
            if (shape.Rank != first.Rank || shape.RowLength != first.RowLength || shape.WithFirst(first[0]) != first)
                throw new ArgumentException($"Concat: part {i} is {shape}, part 0 {first}; they may differ only in the first dimension");
            rows += shape[0];
        }
        if (rows > int.MaxValue) throw new ArgumentException($"Concat: {rows} rows are too many");
        var result = New(first.WithFirst((int)rows));
        var destination = result.Span;
        int offset = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            var source = parts[i].Span;
            source.CopyTo(destination[offset..]);
            offset += source.Length;
        }
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Select(ManagedTensor<TScalar> x, long index)
    {
        var shape = Live(x).Shape;
        if (shape.Rank == 0) throw new ArgumentException("Select: a rank-0 value has no first dimension");
        if (index < 0 || index >= shape[0])
            throw new ArgumentOutOfRangeException(nameof(index), $"Select: index {index} is outside the first dimension of {shape}");
        var rest = shape.WithoutFirst();
        return ViewOf(x, (int)index * rest.Count, rest);
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Rows(ManagedTensor<TScalar> x, long start, long count)
    {
        var shape = Live(x).Shape;
        if (shape.Rank == 0) throw new ArgumentException("Rows: a rank-0 value has no first dimension");
        if (start < 0 || count < 0 || start + count > shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows: rows {start} … {start + count - 1} are outside the first dimension of {shape}");
        return ViewOf(x, (int)start * shape.RowLength, shape.WithFirst((int)count));
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> GatherRows(ManagedTensor<TScalar> x, ReadOnlySpan<long> rows)
    {
        var source = x.Span;
        var shape = x.Shape;
        if (shape.Rank == 0) throw new ArgumentException("GatherRows: a rank-0 value has no rows");
        int n = shape.RowLength;
        var result = New(shape.WithFirst(rows.Length));
        var destination = result.Span;
        for (int i = 0; i < rows.Length; i++)
        {
            long r = rows[i];
            if (r < 0 || r >= shape[0])
                throw new ArgumentOutOfRangeException(nameof(rows), $"GatherRows: row {r} (position {i}) is outside the first dimension of {shape}");
            source.Slice((int)r * n, n).CopyTo(destination.Slice(i * n, n));
        }
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> Reshape(ManagedTensor<TScalar> x, params ReadOnlySpan<long> shape)
    {
        var s = ManagedShape.Of(shape, Live(x).Count);
        if (s.Count != x.Count) throw new ArgumentException($"Reshape: {x.Shape} ({x.Count} elements) cannot be seen as {s}");
        return ViewOf(x, 0, s);
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> PadColumns(ManagedTensor<TScalar> x, long width)
    {
        var (rows, cols) = Matrix("PadColumns", "x", x);
        if (width < cols) throw new ArgumentException($"PadColumns: width {width} is less than the {cols} columns of x");
        var result = New(ManagedShape.Of(rows, (int)width));
        var source = x.Span;
        var destination = result.Span;
        destination.Clear();
        for (int i = 0; i < rows; i++) source.Slice(i * cols, cols).CopyTo(destination.Slice(i * (int)width, cols));
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> FirstColumns(ManagedTensor<TScalar> x, long count)
    {
        var (rows, cols) = Matrix("FirstColumns", "x", x);
        if (count < 0 || count > cols) throw new ArgumentException($"FirstColumns: {count} columns asked of x with {cols}");
        int c = (int)count;
        var result = New(ManagedShape.Of(rows, c));
        var source = x.Span;
        var destination = result.Span;
        for (int i = 0; i < rows; i++) source.Slice(i * cols, c).CopyTo(destination.Slice(i * c, c));
        return result;
    }

    // ---- Checks -------------------------------------------------------------------------------------------------------

    /// <summary>x itself after checking that it is a live value.</summary>
    private static ManagedTensor<TScalar> Live(ManagedTensor<TScalar> x)
    {
        _ = x.Span;
        return x;
    }

    /// <summary>The rows and columns of a 2-D operand.</summary>
    private static (int Rows, int Columns) Matrix(string operation, string name, ManagedTensor<TScalar> x)
    {
        var shape = Live(x).Shape;
        if (shape.Rank != 2) throw new ArgumentException($"{operation}: {name} must be 2-D, got {shape}");
        return (shape[0], shape[1]);
    }

    /// <summary>The number of samples and the elements per sample of a value with a batch dimension.</summary>
    private static (int Samples, int PerSample) Samples(string operation, string name, ManagedTensor<TScalar> x)
    {
        var shape = Live(x).Shape;
        if (shape.Rank == 0) throw new ArgumentException($"{operation}: {name} must have a batch dimension, got a rank-0 value");
        return (shape[0], shape.RowLength);
    }

    private static void SameShape(string operation, ManagedTensor<TScalar> a, ManagedTensor<TScalar> b)
    {
        if (Live(a).Shape != Live(b).Shape)
            throw new ArgumentException($"{operation}: the operands have different shapes {a.Shape} and {b.Shape}");
    }
}

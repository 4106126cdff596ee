using System.Buffers;
using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Problems;

namespace RobustNode.Sensitivity.Discrete;

/// <summary>
/// The intermediates of g_xᵀp that a discrete adjoint's state-only reverse sweep (the one that finds p(0)) keeps per step
/// and stage for the second-order reverse sweep (<see cref="FieldLinearization{T}.SharesReverseProduct"/>: W ∗ᵀ p for the
/// convolutional field), with a copy of the terminal cotangent λ(T) they come from. A second-order sweep from the same
/// λ(T) runs through the same stage cotangents p (the λ recurrence K̄ᵢ = h bᵢ λ' + h Σⱼ&gt;ᵢ aⱼᵢ X̄ⱼ, λ = λ' + Σ X̄ᵢ of
/// DESIGN §1 is the same in both sweeps), so it takes each stage's intermediate instead of computing it again; from any
/// other λ(T) it takes none.
/// </summary>
/// <remarks>
/// <para>Memory: one intermediate per stage (one state for the convolutional field) and λ(T), from the reverse sweep until the
/// second-order sweep takes them — each is released as its stage consumes it — or until <see cref="Dispose"/>.</para>
/// <para>Only the first second-order sweep takes them (they are released as it goes); a later one recomputes.</para>
/// <para>For a field that forms the control terms paired with p in the earlier sweeps
/// (<see cref="FieldLinearization{T}.PairsControlTerms"/>), the reverse sweep also adds g_uᵀp to <see cref="First"/>
/// (the second-order sweep's first-order sums, which it takes when it <see cref="Serves"/>), and keeps each stage's
/// cotangent p for the tangent sweep, which forms ∂ₓ(g_uᵀp)·s with it and releases it as it passes the stage (so
/// that the kept cotangents give way to the tangents the tangent sweep keeps: one state per stage in all).</para>
/// </remarks>
internal sealed class ReverseProducts<T> : IDisposable
{
    private readonly IEngine<T> _engine;
    private readonly int _stages;
    private readonly StageSlots _values;
    private readonly StageSlots _cotangents;
    private bool[] _paired;
    private readonly int _count;
    private T _lambdaT;
    private bool _open = true;

    /// <param name="engine">The engine of the values.</param>
    /// <param name="steps">The number of steps of the tape.</param>
    /// <param name="stages">The stages of the tableau.</param>
    /// <param name="lambdaT">λ(T) of the reverse sweep (copied).</param>
    /// <param name="first">Where the reverse sweep adds g_uᵀp (null: it adds none).</param>
    /// <param name="keepsCotangents">Whether the sweep keeps the stage cotangents for the tangent sweep (a field that pairs the control terms).</param>
    public ReverseProducts(IEngine<T> engine, int steps, int stages, T lambdaT, ControlAccumulator<T>? first = null, bool keepsCotangents = false)
    {
        KeepsCotangents = keepsCotangents;
        (_engine, _stages, _count) = (engine, stages, steps * stages);
        _values = new StageSlots(engine, _count);
        _cotangents = new StageSlots(engine, _count);
        _paired = ArrayPool<bool>.Shared.Rent(Math.Max(1, _count));
        Array.Clear(_paired, 0, _count);
        _lambdaT = engine.DetachFromScope(engine.Clone(lambdaT));
        First = first;
    }

    /// <summary>
    /// The first-order control sums Σ g_uᵀp the reverse sweep added at the stages it <see cref="Paired"/> (zero elsewhere),
    /// or null. The second-order sweep that <see cref="Serves"/> takes them as its own and adds only the other stages'.
    /// </summary>
    public ControlAccumulator<T>? First { get; private set; }

    /// <summary>
    /// Whether the stage cotangents p are kept for the tangent sweep — also when the second-order sweep wants no first-order
    /// sums (<see cref="First"/> null), since the tangent sweep's ∂ₓ(g_uᵀp)·s is a second-order term.
    /// </summary>
    public bool KeepsCotangents { get; }

    /// <summary>Keeps a stage's cotangent p for the tangent sweep, and records whether the reverse sweep added its g_uᵀp to <see cref="First"/>.</summary>
    public void KeepCotangent(int step, int stage, T cotangent, bool paired)
    {
        int at = step * _stages + stage;
        _cotangents.Put(at, cotangent);
        _paired[at] = paired;
    }

    /// <summary>Whether the reverse sweep added the stage's g_uᵀp to <see cref="First"/>.</summary>
    public bool Paired(int step, int stage) => _paired[step * _stages + stage];

    /// <summary>Takes a stage's kept cotangent p (the caller releases it), or false: only the first tangent sweep gets it.</summary>
    public bool TryTakeCotangent(int step, int stage, out T cotangent) => _cotangents.TryTake(step * _stages + stage, out cotangent);

    /// <summary>Hands <see cref="First"/> to the second-order sweep that <see cref="Serves"/> (null after the first call).</summary>
    public ControlAccumulator<T>? TakeFirst()
    {
        var first = First;
        First = null;
        return first;
    }

    /// <summary>Keeps the intermediate of stage <paramref name="stage"/> of step <paramref name="step"/>, taken out of the current scopes.</summary>
    public void Keep(int step, int stage, T product) => _values.Put(step * _stages + stage, product);

    /// <summary>
    /// Whether a second-order sweep from <paramref name="lambdaT"/> may take the kept intermediates: the first one to ask,
    /// and only if its λ(T) equals the reverse sweep's element for element (shapes and values; NaN never equals).
    /// </summary>
    public bool Serves(T lambdaT)
    {
        if (!_open) return false;
        _open = false;
        var shape = _engine.Shape(lambdaT);
        if (!shape.AsSpan().SequenceEqual(_engine.Shape(_lambdaT))) return false;
        long n = 1;
        foreach (var d in shape) n *= d;
        return _engine.CountEqual(lambdaT, _lambdaT) == n;
    }

    /// <summary>Takes stage <paramref name="stage"/>'s intermediate of step <paramref name="step"/> (the caller releases it), or false.</summary>
    public bool TryTake(int step, int stage, out T product) => _values.TryTake(step * _stages + stage, out product);

    /// <summary>Releases what is still kept and hands the arrays back (disposing twice does nothing).</summary>
    public void Dispose()
    {
        if (_paired.Length == 0) return;
        _values.Dispose();
        _cotangents.Dispose();
        _engine.Release(_lambdaT);
        ArrayPool<bool>.Shared.Return(_paired);
        (_paired, _lambdaT, _open, First) = ([], default!, false, null);
    }

    /// <summary>At most one value per (step, stage) slot, taken out of the current scopes when put, each taken at most once.</summary>
    private sealed class StageSlots(IEngine<T> engine, int count)
    {
        private T[] _values = Rented<T>(count);
        private bool[] _held = Rented<bool>(count);

        private static TItem[] Rented<TItem>(int count)
        {
            var array = ArrayPool<TItem>.Shared.Rent(Math.Max(1, count));
            Array.Clear(array, 0, Math.Max(1, count));
            return array;
        }

        /// <summary>Keeps <paramref name="value"/> in slot <paramref name="at"/>, releasing what it held.</summary>
        public void Put(int at, T value)
        {
            if (_held[at]) engine.Release(_values[at]);
            _values[at] = engine.DetachFromScope(value);
            _held[at] = true;
        }

        /// <summary>Takes slot <paramref name="at"/>'s value (the caller releases it), or false when it holds none.</summary>
        public bool TryTake(int at, out T value)
        {
            if (!_held[at])
            {
                value = default!;
                return false;
            }
            (value, _values[at], _held[at]) = (_values[at], default!, false);
            return true;
        }

        /// <summary>Releases what is still held and hands the arrays back.</summary>
        public void Dispose()
        {
            for (int at = 0; at < count; at++)
                if (_held[at]) engine.Release(_values[at]);
            ArrayPool<T>.Shared.Return(_values, clearArray: true);
            ArrayPool<bool>.Shared.Return(_held);
            (_values, _held) = ([], []);
        }
    }
}

using System.Buffers;
using System.Collections;

namespace RobustNode.Solvers.Integration;

/// <summary>
/// The step tape of a solve (<see cref="TapeStep{T}"/>, one per accepted step) in an array rented from the shared
/// array pool, so that a loop of solves that hand their tapes back allocates nothing per step once warm. Disposing it
/// returns the array (cleared, so that it holds no states) and leaves the tape empty; a tape never disposed is simply
/// collected.
/// </summary>
internal sealed class StepTape<T> : IReadOnlyList<TapeStep<T>>, IDisposable
{
    private TapeStep<T>[] _steps = ArrayPool<TapeStep<T>>.Shared.Rent(16);

    /// <summary>The number of recorded steps.</summary>
    public int Count { get; private set; }

    /// <summary>The step at <paramref name="index"/>, in the order the steps were taken.</summary>
    public TapeStep<T> this[int index] =>
        (uint)index < (uint)Count ? _steps[index] : throw new ArgumentOutOfRangeException(nameof(index), $"the tape has {Count} steps, not a step {index}");

    /// <summary>Records the next step.</summary>
    public void Add(TapeStep<T> step)
    {
        if (Count == _steps.Length)
        {
            var larger = ArrayPool<TapeStep<T>>.Shared.Rent(2 * _steps.Length);
            _steps.AsSpan(0, Count).CopyTo(larger);
            ArrayPool<TapeStep<T>>.Shared.Return(_steps, clearArray: true);
            _steps = larger;
        }
        _steps[Count++] = step;
    }

    /// <inheritdoc/>
    public IEnumerator<TapeStep<T>> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return _steps[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Hands the array back to the pool; the tape is empty afterwards (disposing twice does nothing).</summary>
    public void Dispose()
    {
        if (_steps.Length == 0) return;
        ArrayPool<TapeStep<T>>.Shared.Return(_steps, clearArray: true);
        _steps = [];
        Count = 0;
    }
}

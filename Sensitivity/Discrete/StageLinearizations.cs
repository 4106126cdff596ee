using System.Buffers;
using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Discrete;

/// <summary>
/// The stage linearizations of a discrete adjoint's steps, kept by the forward solve (constant steps, see
/// <see cref="StageRecorder{T}"/>) or else by the first derivative sweep that builds them, for the later sweeps: per step
/// and stage, the stage argument Xᵢ and what the field's linearization saves there (<see cref="FieldLinearization{T}.Save"/>:
/// σ(Xᵢ) for the neural-ODE field, and σ'(Xᵢ) where it is not a function of σ(Xᵢ)). The reverse sweep for p(0), the
/// tangent sweep and the second-order reverse sweep of one augmented gradient then linearize the field at each stage
/// once instead of once per sweep (DESIGN §1: all sweeps run through the same stage points).
/// </summary>
/// <remarks>
/// <para>Memory: (1 + saved) state-sized values per stage, or the saved ones alone where they restore the point without
/// its argument (<see cref="FieldLinearization{T}.RestoresWithoutState"/>: σ(Xᵢ) alone for the neural-ODE field with tanh),
/// for at most <see cref="BudgetBytes"/> in all; the steps beyond the budget are rebuilt from their step-start state by
/// every sweep, as without a cache. A field whose linearizations save nothing (<see cref="FieldLinearization{T}.SavedCount"/>
/// = 0) gets no cache, so its sweeps keep only the step tape.</para>
/// <para>The kept values are taken out of the sweep's scopes and released by <see cref="Dispose"/>; the index arrays
/// come from the shared array pool, so a loop of gradients allocates nothing per step once warm.</para>
/// </remarks>
internal sealed class StageLinearizations<T> : IDisposable
{
    /// <summary>The most bytes of stage values one forward sweep keeps.</summary>
    public const long BudgetBytes = 1L << 28;

    private readonly IEngine<T> _engine;
    private readonly int _steps, _stages;
    private int _slot, _capacity = -1;
    private bool _keepsArguments;
    private T[] _values = [];
    private bool[] _recorded = [];
    private bool[] _atStart = [];
    private bool[] _filled = [];

    /// <param name="engine">The engine of the values.</param>
    /// <param name="steps">The number of steps of the tape.</param>
    /// <param name="stages">The stages of the tableau.</param>
    public StageLinearizations(IEngine<T> engine, int steps, int stages) => (_engine, _steps, _stages) = (engine, steps, stages);

    /// <summary>Whether step <paramref name="step"/>'s stages are kept.</summary>
    public bool Has(int step) => _capacity > 0 && step < _capacity && _recorded[step];

    /// <summary>
    /// Whether step <paramref name="step"/> is to be kept: not yet kept and within the budget (sized on the first call,
    /// from the field's saved values and the state's size).
    /// </summary>
    public bool Wants(int step, FieldLinearization<T> point, T state)
    {
        if (_capacity < 0) Size(point, state);
        return step < _capacity && !_recorded[step];
    }

    private void Size(FieldLinearization<T> point, T state)
    {
        int saved = point.SavedCount;
        _capacity = 0;
        if (saved == 0 || _steps == 0) return;
        _slot = 1 + saved;
        _keepsArguments = !point.RestoresWithoutState;
        long elements = 1;
        foreach (var n in _engine.Shape(state)) elements *= n;
        int kept = saved + (_keepsArguments ? 1 : 0);
        long bytesPerStep = elements * (_engine.DType(state) == ScalarType.Float64 ? 8 : 4) * kept * _stages;
        _capacity = (int)Math.Min(_steps, BudgetBytes / Math.Max(1, bytesPerStep));
        if (_capacity == 0) return;
        _values = ArrayPool<T>.Shared.Rent(_capacity * _stages * _slot);
        _recorded = ArrayPool<bool>.Shared.Rent(_capacity);
        _atStart = ArrayPool<bool>.Shared.Rent(_capacity * _stages);
        _filled = ArrayPool<bool>.Shared.Rent(_capacity * _stages);
        Array.Clear(_recorded, 0, _capacity);
        Array.Clear(_filled, 0, _capacity * _stages);
    }

    /// <summary>
    /// Keeps the stages of step <paramref name="step"/>: each argument (unless it is the step's start state, which the
    /// tape keeps) and its linearization's saved values, all taken out of the current scopes.
    /// </summary>
    public void Keep(int step, T start, ReadOnlySpan<T> arguments, ReadOnlySpan<FieldLinearization<T>?> points)
    {
        for (int i = 0; i < _stages; i++) KeepStage(step, i, arguments[i], ValueIdentity<T>.Instance.Equals(arguments[i], start), points[i]!);
    }

    /// <summary>
    /// Keeps one stage: its argument (unless <paramref name="atStart"/>: it is the step's start state, which the tape
    /// keeps, or the saved values restore the point without it) and the linearization's saved values, taken out of the
    /// current scopes; the step counts as kept once its last stage is.
    /// </summary>
    public void KeepStage(int step, int stage, T argument, bool atStart, FieldLinearization<T> point)
    {
        int slot = step * _stages + stage, at = slot * _slot;
        _atStart[slot] = atStart;
        _values[at] = atStart || !_keepsArguments ? default! : _engine.DetachFromScope(argument);
        var saved = _values.AsSpan(at + 1, _slot - 1);
        point.Save(saved);
        for (int j = 0; j < saved.Length; j++) saved[j] = _engine.DetachFromScope(saved[j]);
        _filled[slot] = true;
        if (stage == _stages - 1) _recorded[step] = true;
    }

    /// <summary>
    /// The kept argument of a stage (the step's start state where the stage is evaluated there; <c>default</c> where the
    /// saved values restore the point without it).
    /// </summary>
    public T Argument(int step, int stage, T start) =>
        _atStart[step * _stages + stage] ? start : _values[(step * _stages + stage) * _slot];

    /// <summary>The kept saved values of a stage, for <see cref="FieldLinearization{T}.At(int, double, T, ReadOnlySpan{T})"/>.</summary>
    public ReadOnlySpan<T> Saved(int step, int stage) => _values.AsSpan((step * _stages + stage) * _slot + 1, _slot - 1);

    /// <summary>Releases every kept value and hands the arrays back (disposing twice does nothing).</summary>
    public void Dispose()
    {
        if (_capacity <= 0) return;
        for (int slot = 0; slot < _capacity * _stages; slot++)
        {
            if (!_filled[slot]) continue;
            int at = slot * _slot;
            if (!_atStart[slot] && _keepsArguments) _engine.Release(_values[at]);
            for (int j = 1; j < _slot; j++) _engine.Release(_values[at + j]);
        }
        ArrayPool<T>.Shared.Return(_values, clearArray: true);
        ArrayPool<bool>.Shared.Return(_recorded);
        ArrayPool<bool>.Shared.Return(_atStart);
        ArrayPool<bool>.Shared.Return(_filled);
        (_values, _recorded, _atStart, _filled, _capacity) = ([], [], [], [], -1);
    }
}

using RobustNode.Core.Fields;

namespace RobustNode.Sensitivity.Discrete;

/// <summary>
/// The right-hand side a discrete adjoint's forward solve evaluates when its steps are constant and its scheme is not
/// FSAL: g(u_k, t, x) through the field's linearization at x, whose saved values (σ(Xᵢ) for the neural-ODE
/// field) and stage arguments (unless the saved values stand for them) are kept in <see cref="StageLinearizations{T}"/>, so that not even the first derivative
/// sweep rebuilds the stages. With constant steps and no FSAL reuse the solver evaluates every step's stages in order,
/// stage 0 at the step's start state, so the i-th call is stage i mod s of step ⌊i / s⌋.
/// </summary>
internal sealed class StageRecorder<T>(IVectorField<T> field, int stages, StageLinearizations<T> kept)
{
    private readonly FieldLinearization<T>?[] _points = new FieldLinearization<T>?[stages];
    private int _calls;

    /// <summary>The number of evaluations so far.</summary>
    public int Calls => _calls;

    /// <summary>g(u_k, t, x), keeping the stage's linearization while the budget lasts.</summary>
    public T Evaluate(int layer, double t, T x)
    {
        int step = _calls / stages, stage = _calls % stages;
        _calls++;
        var point = _points[stage] = _points[stage]?.At(layer, t, x) ?? field.Linearize(layer, t, x);
        // Beyond the budget the field evaluates as usual, leaving no intermediates in the solver's scopes.
        if (!kept.Wants(step, point, x)) return field.Evaluate(layer, t, x);
        var value = point.Value();
        kept.KeepStage(step, stage, x, stage == 0, point);
        return value;
    }
}

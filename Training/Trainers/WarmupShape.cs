namespace RobustNode.Training.Trainers;

/// <summary>How a warm-up brings a radius from its start to its value over the warm-up epochs (<see cref="Warmup"/>).</summary>
public enum WarmupShape
{
    /// <summary>v_e = v · e / K: from 0, a straight line.</summary>
    Linear,

    /// <summary>
    /// GloRo's logarithmic schedule <c>[0.01]-log-[K:1]</c> (Leino et al. 2021, its library's schedules): from v₀ = 0.01 v,
    /// v_e = log(e^{v₀} + (e^{v} − e^{v₀}) e / K) — the exponential of the radius grows linearly, so the radius itself grows
    /// fast at first and ever slower.
    /// </summary>
    Logarithmic,
}

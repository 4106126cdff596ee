namespace RobustNode.Core.Norms;

/// <summary>
/// The attack norm ‖ξ‖_q ≤ 1 (q ∈ {∞, 2, 1}) and its dual ‖·‖_{q*}, 1/q + 1/q* = 1, which the augmented
/// loss penalises: sup_{‖ξ‖_q ≤ 1} ⟨g, ξ⟩ = ‖g‖_{q*} (seed talk, Proposition 1). The engines compute with it
/// (<see cref="Engines.IEngine{T}.DualNorm"/>, <see cref="Engines.IEngine{T}.DualNormGradient"/>, <see cref="Engines.IEngine{T}.Project"/>)
/// per sample, over every dimension but the first.
/// </summary>
/// <remarks>
/// <para>Dual norm φ(g) = ‖g‖_{q*}: q* = 1 the sum of |gⱼ|, q* = 2 the Euclidean length, q* = ∞ the largest |gⱼ|.</para>
/// <para>∇φ(g), which is also the steepest-ascent direction in the unit q-ball: q* = 1: sign(g); q* = 2: g/‖g‖₂;
/// q* = ∞: sign(g_j) e_j at the arg-max j. At kinks it takes PyTorch's subgradient: sign(0) = 0, g = 0 gives 0, ties go
/// to the first arg-max.</para>
/// <para>Projection onto ‖δ‖_q ≤ r: ℓ∞ clips every coordinate to [−r, r]; ℓ₂ scales δ by r/max(r, ‖δ‖₂); ℓ₁ soft-thresholds
/// at the θ found by sorting |δ| (Duchi, Shalev-Shwartz, Singer &amp; Chandra 2008), leaving points inside the ball as they are.</para>
/// </remarks>
public sealed record AttackNorm
{
    /// <summary>q = ∞ (dual: 1-norm).</summary>
    public static AttackNorm Infinity { get; } = new(double.PositiveInfinity);
    /// <summary>q = 2 (dual: 2-norm).</summary>
    public static AttackNorm Two { get; } = new(2);
    /// <summary>q = 1 (dual: max-norm).</summary>
    public static AttackNorm One { get; } = new(1);

    /// <summary>q.</summary>
    public double Q { get; }
    private AttackNorm(double q) => Q = q;

    /// <summary>The dual exponent q*.</summary>
    public double DualQ => Q switch { double.PositiveInfinity => 1, 1 => double.PositiveInfinity, _ => 2 };

    /// <summary>Parses "inf", "2" or "1".</summary>
    public static AttackNorm? Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "inf" or "infinity" or "∞" => Infinity,
        "2" => Two,
        "1" => One,
        _ => null,
    };

    /// <inheritdoc/>
    public override string ToString() => double.IsPositiveInfinity(Q) ? "inf" : Q.ToString("0");
}

using static TorchSharp.torch;

namespace RobustNode.Core.Norms;

/// <summary>
/// The attack norm ‖ξ‖_q ≤ 1 (q ∈ {∞, 2, 1}) and its dual ‖·‖_{q*}, 1/q + 1/q* = 1, which the augmented
/// loss penalises: sup_{‖ξ‖_q ≤ 1} ⟨g, ξ⟩ = ‖g‖_{q*} (seed talk, Proposition 1).
/// </summary>
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

    public override string ToString() => double.IsPositiveInfinity(Q) ? "inf" : Q.ToString("0");

    /// <summary>Per-sample dual norm φ(g) = ‖gᵢ‖_{q*} of samples [B, …] → [B].</summary>
    public Tensor DualNorm(Tensor g)
    {
        using var scope = NewDisposeScope();
        var rows = g.flatten(1);
        var norm = DualQ switch
        {
            1 => rows.abs().sum(1),
            2 => rows.square().sum(1).sqrt(),
            _ => rows.abs().amax([1]),
        };
        return norm.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// ∇φ(g) row by row, which is also the steepest-ascent direction in the unit q-ball:
    /// q*=1: sign(g); q*=2: g/‖g‖; q*=∞: sign(g_j) e_j at the arg-max j. At kinks it takes PyTorch's
    /// subgradient: sign(0) = 0, g = 0 gives 0, ties go to the first arg-max.
    /// </summary>
    public Tensor DualNormGradient(Tensor sample)
    {
        using var scope = NewDisposeScope();
        var g = sample.flatten(1);
        Tensor v = DualQ switch
        {
            1 => g.sign(),
            2 => g / g.square().sum(1, keepdim: true).sqrt().clamp_min(1e-300),
            _ => zeros_like(g).scatter_(1, g.abs().argmax(1, keepdim: true), g.gather(1, g.abs().argmax(1, keepdim: true)).sign()),
        };
        return v.view(sample.shape).MoveToOuterDisposeScope();
    }

    /// <summary>Projects each sample of δ [B, …] onto the ball ‖δᵢ‖_q ≤ radius (ℓ₁: Duchi et al. 2008, sort-based).</summary>
    public Tensor Project(Tensor sample, double radius)
    {
        using var scope = NewDisposeScope();
        var delta = sample.flatten(1);
        Tensor result;
        if (double.IsPositiveInfinity(Q)) result = delta.clamp(-radius, radius);
        else if (Q == 2)
        {
            var norm = delta.square().sum(1, keepdim: true).sqrt();
            result = delta * (radius / norm.clamp_min(radius));
        }
        else
        {
            var abs = delta.abs();
            var inside = abs.sum(1, keepdim: true).le(radius);
            var sorted = abs.sort(1, descending: true).Values;
            var cums = sorted.cumsum(1) - radius;
            var k = arange(1, delta.shape[1] + 1, dtype: delta.dtype, device: delta.device);
            var cond = (sorted - cums / k).gt(0);
            var rho = (cond.to(int64) * arange(1, delta.shape[1] + 1, device: delta.device)).argmax(1, keepdim: true);
            var theta = cums.gather(1, rho) / (rho + 1).to(delta.dtype);
            var shrunk = delta.sign() * (abs - theta).clamp_min(0);
            result = where(inside, delta, shrunk);
        }
        return result.view(sample.shape).MoveToOuterDisposeScope();
    }
}

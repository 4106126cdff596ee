using RobustNode.Core.Engines;
using RobustNode.Core.Norms;
using RobustNode.Core.Sampling;
using RobustNode.Sensitivity.Attacks;

namespace RobustNode.Training.Trainers;

/// <summary>
/// The perturbations the robust objectives start from and step with, on any engine: uniform points of the ε-ball and
/// Gaussian noise from a SplitMix64 stream (handed to the engine as values, so every engine sees the same numbers), and
/// the projected steepest-ascent step x₀ + Π_ε(x − x₀ + α ∇φ(g)) clipped to the input box, where ∇φ is the steepest-ascent
/// direction of the q-ball (sign for ℓ∞; <see cref="AttackNorm"/>).
/// </summary>
internal static class Perturbations
{
    /// <summary>δ uniform in the ball ‖δᵢ‖_q ≤ radius, one row per sample of <paramref name="like"/>.</summary>
    public static T Uniform<T>(IEngine<T> engine, AttackNorm norm, double radius, T like, long seed) =>
        BallSampling.Uniform(engine, norm, radius, like, new SplitMix64(seed));

    /// <summary>scale · ξ with ξ standard normal, shaped like <paramref name="like"/>.</summary>
    public static T Gaussian<T>(IEngine<T> engine, double scale, T like, long seed)
    {
        var shape = engine.Shape(like);
        long count = 1;
        foreach (var n in shape) count *= n;
        var random = new SplitMix64(seed);
        var values = new double[count];
        for (long i = 0; i < count; i++) values[i] = scale * random.NextGaussian();
        return engine.FromValues(values, like, shape);
    }

    /// <summary>x clipped to the box (x itself when there is none).</summary>
    public static T Clip<T>(IEngine<T> engine, T x, InputBox? box) => box is null ? x : box.Clip(engine, x);

    /// <summary>x₀ + δ with δ projected onto the ε-ball, clipped to the box: a start point of an attack.</summary>
    public static T Start<T>(IEngine<T> engine, T x0, T delta, AttackNorm norm, double epsilon, InputBox? box) =>
        Clip(engine, engine.Add(x0, engine.Project(norm, delta, epsilon)), box);

    /// <summary>One projected steepest-ascent step from x along g: x₀ + Π_ε(x − x₀ + α ∇φ(g)), clipped to the box.</summary>
    public static T Step<T>(IEngine<T> engine, T x0, T x, T g, double stepSize, AttackNorm norm, double epsilon, InputBox? box)
    {
        using var scope = engine.OpenScope();
        var delta = engine.Add(x, x0, -1);
        engine.AddInPlace(delta, engine.DualNormGradient(norm, g), stepSize);
        return engine.Keep(Start(engine, x0, delta, norm, epsilon, box));
    }
}

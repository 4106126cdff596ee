using static TorchSharp.torch;

namespace RobustNode.Tests.Solvers;

/// <summary>
/// One non-stiff test problem y' = f(t, y), y(0) = y₀ on [0, T], with its closed-form solution when
/// one is known (null otherwise: the reference then comes from a tight outside solve).
/// </summary>
public sealed record DetestProblem(string Name, string Description, double[] Y0, double FinalTime,
    Func<double, Tensor, Tensor> F, Func<double, double[]>? Exact);

/// <summary>
/// Problems of the non-stiff DETEST set: Hull, Enright, Fellen &amp; Sedgwick, "Comparing numerical
/// methods for ordinary differential equations", SIAM J. Numer. Anal. 9 (1972) 603–637, class A
/// (scalar), B1 (Lotka–Volterra) and D1 (two-body orbit, eccentricity 0.1), all on [0, 20].
/// The same problems are defined for the SciPy oracle in Benchmarks/oracles/detest.py.
/// </summary>
public static class Detest
{
    /// <summary>A1: y' = −y, y(0) = 1; y = e^(−t).</summary>
    public static DetestProblem A1 { get; } = new("A1", "y' = -y", [1.0], 20,
        (t, y) => -y, t => [Math.Exp(-t)]);

    /// <summary>A2: y' = −y³/2, y(0) = 1; y = 1/√(1 + t).</summary>
    public static DetestProblem A2 { get; } = new("A2", "y' = -y^3/2", [1.0], 20,
        (t, y) => y.pow(3).mul_(-0.5), t => [1 / Math.Sqrt(1 + t)]);

    /// <summary>A3: y' = y cos t, y(0) = 1; y = e^(sin t).</summary>
    public static DetestProblem A3 { get; } = new("A3", "y' = y cos t", [1.0], 20,
        (t, y) => y.mul(Math.Cos(t)), t => [Math.Exp(Math.Sin(t))]);

    /// <summary>A4: y' = (y/4)(1 − y/20), y(0) = 1 (logistic); y = 20 / (1 + 19 e^(−t/4)).</summary>
    public static DetestProblem A4 { get; } = new("A4", "y' = y/4 (1 - y/20)", [1.0], 20,
        (t, y) => y.mul(0.25).mul_(y.mul(-0.05).add_(1.0)), t => [20 / (1 + 19 * Math.Exp(-t / 4))]);

    /// <summary>A5: y' = (y − t)/(y + t), y(0) = 4 (no closed form).</summary>
    public static DetestProblem A5 { get; } = new("A5", "y' = (y - t)/(y + t)", [4.0], 20,
        (t, y) => y.sub(t).div_(y.add(t)), null);

    /// <summary>B1: y₁' = 2(y₁ − y₁y₂), y₂' = −(y₂ − y₁y₂), y(0) = (1, 3) (Lotka–Volterra; no closed form).</summary>
    public static DetestProblem B1 { get; } = new("B1", "Lotka-Volterra", [1.0, 3.0], 20,
        (t, y) =>
        {
            using var scope = NewDisposeScope();
            var y1 = y[0];
            var y2 = y[1];
            var p = y1 * y2;
            return stack([(y1 - p).mul_(2.0), p - y2]).MoveToOuterDisposeScope();
        }, null);

    /// <summary>
    /// D1: the two-body problem q'' = −q/|q|³ with eccentricity e = 0.1, q(0) = (1 − e, 0),
    /// q'(0) = (0, √((1 + e)/(1 − e))). Closed form through Kepler's equation u − e sin u = t:
    /// q = (cos u − e, √(1 − e²) sin u), q' = (−sin u, √(1 − e²) cos u)/(1 − e cos u).
    /// </summary>
    public static DetestProblem D1 { get; } = TwoBody("D1", 0.1);

    private static DetestProblem TwoBody(string name, double e) => new(name, $"two-body, e = {e}",
        [1 - e, 0, 0, Math.Sqrt((1 + e) / (1 - e))], 20,
        (t, y) =>
        {
            using var scope = NewDisposeScope();
            var q = y[..2];
            var r3 = q.square().sum().pow(1.5);
            return cat([y[2..], q.div(r3).neg_()]).MoveToOuterDisposeScope();
        },
        t =>
        {
            double u = t;
            for (int i = 0; i < 50; i++) u -= (u - e * Math.Sin(u) - t) / (1 - e * Math.Cos(u));
            double s = Math.Sqrt(1 - e * e), d = 1 - e * Math.Cos(u);
            return [Math.Cos(u) - e, s * Math.Sin(u), -Math.Sin(u) / d, s * Math.Cos(u) / d];
        });

    /// <summary>The problems with a closed-form solution.</summary>
    public static IReadOnlyList<DetestProblem> WithExactSolution { get; } = [A1, A2, A3, A4, D1];

    /// <summary>All problems used here.</summary>
    public static IReadOnlyList<DetestProblem> All { get; } = [A1, A2, A3, A4, A5, B1, D1];

    /// <summary>Looks a problem up by its DETEST name.</summary>
    public static DetestProblem Named(string name) => All.Single(p => p.Name == name);
}

using RobustNode.Solvers;
using RobustNode.Solvers.Integration;
using static TorchSharp.torch;

namespace RobustNode.Tests.Solvers;

/// <summary>
/// Measured order of convergence: errors over a ladder of step sizes, and the least-squares slope of
/// log(error) against log(h) (DiffEqDevTools' <c>test_convergence</c>, Diffrax's order tests).
/// </summary>
public static class ConvergenceStudy
{
    /// <summary>The slope of the least-squares line through (log hᵢ, log eᵢ).</summary>
    public static double LogLogSlope(IReadOnlyList<double> stepSizes, IReadOnlyList<double> errors)
    {
        var x = stepSizes.Select(h => Math.Log(h)).ToArray();
        var y = errors.Select(e => Math.Log(e)).ToArray();
        double mx = x.Average(), my = y.Average();
        double sxy = x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum(), sxx = x.Sum(a => (a - mx) * (a - mx));
        return sxy / sxx;
    }

    /// <summary>
    /// Step counts N₀·2ᵏ, k = 0…3, for an order-p method on the test problems here: fine enough that the
    /// leading error term dominates, coarse enough that errors stay far above float64 rounding (≥ 1e-11).
    /// </summary>
    public static int[] Ladder(int order)
    {
        int first = order switch { 1 => 64, 2 => 32, 3 => 16, _ => 8 };
        return Enumerable.Range(0, 4).Select(k => first << k).ToArray();
    }

    /// <summary>The final state of a solve (throws on a failed solve: tests want the message).</summary>
    public static Tensor FinalOf(LanguageExt.Fin<OdeSolution<Tensor>> solution) =>
        solution.Match(s => s.Final, e => throw new InvalidOperationException(e.Message));

    /// <summary>Max-norm distance between a tensor and the expected values.</summary>
    public static double MaxError(Tensor actual, double[] expected)
    {
        var a = actual.to(float64).reshape(-1).data<double>().ToArray();
        return a.Select((v, i) => Math.Abs(v - expected[i])).Max();
    }
}

namespace RobustNode.Training.Evaluation;

/// <summary>
/// The exact one-sided sign test for paired outcomes on the same samples (McNemar's test in its exact form): of the
/// samples whose outcome differs between two conditions, k went one way and n − k the other; under "no difference" k is
/// Binomial(n, ½). It tells a real difference between two accuracies measured on the same samples from sampling noise.
/// </summary>
internal static class SignTest
{
    /// <summary>The significance below which a difference counts as beyond sampling noise.</summary>
    public const double Level = 0.05;

    /// <summary>P(X ≥ k) for X ~ Binomial(n, ½): the one-sided p-value of k samples going one way out of n that changed.</summary>
    public static double UpperTail(int k, int n)
    {
        if (k <= 0) return 1;
        if (k > n) return 0;
        // Σ_{j=k}^{n} C(n, j) 2⁻ⁿ, summed in logarithms from the largest term down.
        double logTerm = LogChoose(n, k) - n * Math.Log(2), sum = 0;
        for (int j = k; j <= n; j++)
        {
            sum += Math.Exp(logTerm);
            logTerm += Math.Log(n - j) - Math.Log(j + 1);
        }
        return Math.Min(sum, 1);
    }

    /// <summary>True when k of n changed samples going one way is beyond sampling noise (one-sided p &lt; <see cref="Level"/>).</summary>
    public static bool Significant(int k, int n) => UpperTail(k, n) < Level;

    private static double LogChoose(int n, int k)
    {
        double s = 0;
        for (int i = 1; i <= k; i++) s += Math.Log(n - k + i) - Math.Log(i);
        return s;
    }
}

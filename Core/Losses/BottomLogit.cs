namespace RobustNode.Core.Losses;

/// <summary>
/// GloRo's bottom-class logit and the softmax over the C logits and it, row by row:
/// z_⊥ = max_{j≠r} (z_j + m_j) for a reference class r, P = softmax(τ[z, z_⊥]) (Leino, Wang &amp; Fredrikson 2021, eq. 3).
/// </summary>
internal static class BottomLogit
{
    /// <summary>
    /// P = softmax(τ[z, z_⊥]) into <paramref name="probabilities"/> (C + 1 values); returns j*, the class that raised ⊥
    /// (the first on ties), with the largest of z and z_⊥ and the sum Σ e^{τ(z̄ − top)}, so that log Σ e^{τ z̄} = τ top + log sum.
    /// </summary>
    public static int Softmax(ReadOnlySpan<double> z, ReadOnlySpan<double> margins, int reference, double temperature,
        Span<double> probabilities, out double top, out double sum)
    {
        int classes = z.Length, raising = -1;
        double raised = double.NegativeInfinity;
        for (int j = 0; j < classes; j++)
        {
            if (j == reference) continue;
            double candidate = z[j] + margins[j];
            if (raising < 0 || candidate > raised) (raising, raised) = (j, candidate);
        }
        top = Math.Max(raised, z[0]);
        for (int j = 1; j < classes; j++) top = Math.Max(top, z[j]);
        sum = 0;
        for (int j = 0; j < classes; j++) sum += probabilities[j] = Math.Exp(temperature * (z[j] - top));
        sum += probabilities[classes] = Math.Exp(temperature * (raised - top));
        for (int j = 0; j <= classes; j++) probabilities[j] /= sum;
        return raising;
    }
}

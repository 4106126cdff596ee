using RobustNode.Core.Sampling;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>
/// Where the Square attack draws its windows: C channels of H × W images (inputs [B, C, H, W] or [B, H, W]), whose windows
/// are squares, or one channel of a signal of W features (inputs [B, W], H = 1), whose windows are intervals — the
/// one-dimensional analogue, covering the same fraction p of the features. Values of one sample are row-major:
/// index (c H + r) W + col.
/// </summary>
/// <param name="Channels">C.</param>
/// <param name="Height">H (1 for signals).</param>
/// <param name="Width">W.</param>
internal sealed record SquareGeometry(int Channels, int Height, int Width)
{
    /// <summary>The geometry of inputs of the given shape [B, …].</summary>
    public static SquareGeometry Of(long[] shape) => shape.Length switch
    {
        4 => new((int)shape[1], (int)shape[2], (int)shape[3]),
        3 => new(1, (int)shape[1], (int)shape[2]),
        _ => new(1, 1, (int)shape.Skip(1).Aggregate(1L, (a, b) => a * b)),
    };

    /// <summary>Values per sample, C H W.</summary>
    public int Features => Channels * Height * Width;

    /// <summary>True for signals (H = 1): windows are intervals.</summary>
    public bool IsSignal => Height == 1;

    /// <summary>The index of value (c, r, col) in a sample.</summary>
    public int Index(int channel, int row, int column) => (channel * Height + row) * Width + column;

    /// <summary>
    /// The window covering the fraction p of each channel: a square of side round(√(p H W)) for images, an interval of
    /// round(p W) features for signals; at least <paramref name="least"/>, odd when asked (the ℓ₂ attack's windows have a
    /// centre), at most the image's shorter side (the signal's length).
    /// </summary>
    public (int Rows, int Columns) Window(double p, int least, bool odd)
    {
        int side = IsSignal ? (int)Math.Round(p * Width) : (int)Math.Round(Math.Sqrt(p * Height * Width));
        side = Math.Max(side, least);
        if (odd && side % 2 == 0) side++;
        side = Math.Min(side, IsSignal ? Width : Math.Min(Height, Width));
        return IsSignal ? (1, side) : (side, side);
    }

    /// <summary>A uniformly random position (top row, left column) of a window, every position equally likely.</summary>
    public (int Row, int Column) Position((int Rows, int Columns) window, SplitMix64 random) =>
        (random.NextInt(Height - window.Rows + 1), random.NextInt(Width - window.Columns + 1));

    /// <summary>
    /// The tiles of the ℓ₂ attack's starting point: a grid of squares of side max(⌊H/5⌋, 1) (intervals of max(⌊W/5⌋, 1)
    /// features for signals), centred in the image.
    /// </summary>
    public IEnumerable<(int Row, int Column, int Rows, int Columns)> Tiles()
    {
        int rows = IsSignal ? 1 : Math.Max(Height / 5, 1);
        int columns = IsSignal ? Math.Max(Width / 5, 1) : rows;
        int countRows = Height / rows, countColumns = Width / columns;
        int top = (Height - rows * countRows) / 2, left = (Width - columns * countColumns) / 2;
        for (int i = 0; i < countRows; i++)
            for (int j = 0; j < countColumns; j++)
                yield return (top + i * rows, left + j * columns, rows, columns);
    }

    /// <summary>
    /// The paper's schedule of p, the fraction of features a window covers: p_init halved after iterations 10, 50, 200,
    /// 500, 1000, 2000, 4000, 6000 and 8000 of a 10 000-query budget, the iteration rescaled to the actual budget.
    /// </summary>
    public static double Fraction(double initial, int iteration, int queries)
    {
        int it = (int)(iteration / (double)queries * 10000);
        int[] bounds = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
        int halvings = bounds.Count(b => it > b);
        return initial / (1 << halvings);
    }

    /// <summary>
    /// The ℓ₂ attack's pseudo-Gaussian bump on a window (rows × columns), unit ℓ₂ norm: two halves of opposite sign, each
    /// a sum of nested rectangles weighted 1/(k+1)². Squares are transposed, intervals mirrored, with probability ½.
    /// </summary>
    public static double[,] Bump(int rows, int columns, SplitMix64 random)
    {
        var bump = new double[rows, columns];
        if (rows == 1 && columns >= 1)
        {
            Add(bump, Rectangles(1, columns / 2), 0, 0, 1);
            Add(bump, Rectangles(1, columns - columns / 2), 0, columns / 2, -1);
        }
        else
        {
            Add(bump, Rectangles(rows / 2, columns), 0, 0, 1);
            Add(bump, Rectangles(rows - rows / 2, columns), rows / 2, 0, -1);
        }
        Normalise(bump);
        if (random.NextDouble() > 0.5)
        {
            var turned = new double[rows, columns];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    turned[r, c] = rows == columns ? bump[c, r] : bump[rows - 1 - r, columns - 1 - c];
            bump = turned;
        }
        return bump;
    }

    /// <summary>The reference's nested rectangles around the centre of an x × y block, weight 1/(k+1)² for the k-th, unit norm.</summary>
    private static double[,] Rectangles(int x, int y)
    {
        var block = new double[x, y];
        if (x == 0 || y == 0) return block;
        int cx = x / 2, cy = y / 2;
        for (int k = 0; k < Math.Max(x / 2 + 1, y / 2 + 1); k++)
        {
            for (int r = Math.Max(cx - k, 0); r < Math.Min(cx - k + 2 * k + 1, x); r++)
                for (int c = Math.Max(cy - k, 0); c < Math.Min(cy - k + 2 * k + 1, y); c++)
                    block[r, c] += 1.0 / ((k + 1) * (k + 1));
        }
        Normalise(block);
        return block;
    }

    private static void Add(double[,] target, double[,] block, int top, int left, double sign)
    {
        for (int r = 0; r < block.GetLength(0); r++)
            for (int c = 0; c < block.GetLength(1); c++)
                target[top + r, left + c] += sign * block[r, c];
    }

    private static void Normalise(double[,] block)
    {
        double sum = 0;
        foreach (var v in block) sum += v * v;
        if (sum == 0) return;
        double scale = 1 / Math.Sqrt(sum);
        for (int r = 0; r < block.GetLength(0); r++)
            for (int c = 0; c < block.GetLength(1); c++)
                block[r, c] *= scale;
    }
}

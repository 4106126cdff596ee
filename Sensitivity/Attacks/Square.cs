using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Sampling;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>
/// The Square attack (Andriushchenko, Croce, Flammarion &amp; Hein): a random search that needs only the model's outputs —
/// no gradient is ever computed, so a model that hides its gradients cannot hide from it. Each sample keeps its best point
/// x̂ (the lowest margin z_y − max_{j≠y} z_j so far) and, per query, tries x̂ changed on one window (a square of the image,
/// an interval of a feature vector; <see cref="SquareGeometry"/>) covering the fraction p of the features, accepting the
/// change when the margin falls; it stops when the margin is ≤ 0 (misclassified) or the budget is spent. p follows the
/// paper's schedule from <see cref="InitialFraction"/> (halved nine times over a 10 000-query budget, rescaled to
/// <see cref="Queries"/>).
/// <para>ℓ∞: the start has vertical stripes of ±ε (one sign per channel and column); a proposal sets the window of every
/// channel to x ± ε (one random sign per channel), drawn again while it would not change x̂. ℓ₂: the start is a grid of
/// pseudo-Gaussian bumps of random signs scaled to norm ε; a proposal moves the perturbation's mass from a second window
/// into the first, adds a new bump there, and rescales so that ‖δ‖₂ = ε. Points are clipped to the input box.</para>
/// <para>Only samples classified correctly are attacked (a misclassified one is returned unchanged); each restart runs on
/// the samples not yet misclassified. A sample that is never misclassified gets its point of lowest margin.</para>
/// </summary>
/// <param name="Epsilon">Radius ε ≥ 0 of the attack ball.</param>
/// <param name="Norm">Attack norm: ∞ or 2.</param>
/// <param name="Queries">Queries per sample and restart after the first (≥ 1): the budget of forward passes.</param>
/// <param name="InitialFraction">p_init ∈ (0, 1], the fraction of the features the first windows cover (0.8 in AutoAttack; the paper uses 0.05 for ℓ∞ and 0.1 for ℓ₂ on undefended ImageNet models, more for robust ones).</param>
/// <param name="Restarts">Runs on the samples still classified correctly (≥ 1).</param>
/// <param name="Seed">Seed of the random search (a SplitMix64 stream), the same numbers on every engine.</param>
/// <param name="Box">Valid input box, or null for none.</param>
/// <remarks>
/// Andriushchenko, Croce, Flammarion &amp; Hein, "Square Attack: a query-efficient black-box adversarial attack via random
/// search", ECCV 2020, Algorithms 1–3. Windows are drawn per sample as in the authors' implementation
/// (max-andr/square-attack), whose ℓ∞ redraw of unchanged proposals is kept; the ℓ₂ update follows AutoAttack's
/// <c>square.py</c>. Every window position is drawn with equal probability (the reference implementations never draw the
/// last row and column). The random numbers are drawn on the host, so every engine sees the same proposals.
/// </remarks>
public sealed record Square(
    double Epsilon,
    AttackNorm Norm,
    int Queries = 5000,
    double InitialFraction = 0.8,
    int Restarts = 1,
    long Seed = 0,
    InputBox? Box = null) : IAttack
{
    /// <summary>How often an ℓ∞ proposal is drawn again while it would leave the window unchanged.</summary>
    private const int Redraws = 100;

    /// <inheritdoc/>
    public string Name => "square";

    /// <inheritdoc/>
    public IAttack WithEpsilon(double epsilon) => this with { Epsilon = epsilon };

    /// <inheritdoc/>
    public IAttack WithSeed(long seed) => this with { Seed = seed };

    /// <summary>Checks the settings, reporting every problem at once.</summary>
    public Fin<Square> Validate() => AttackChecks.All(Problems()).Map(_ => this);

    private IEnumerable<Error> Problems()
    {
        foreach (var e in AttackChecks.Settings(Epsilon, Box)) yield return e;
        if (!double.IsPositiveInfinity(Norm.Q) && Norm.Q != 2)
            yield return RobustNodeErrors.InvalidArgument("norm", $"the Square attack searches the ℓ∞ or the ℓ2 ball, got ℓ{Norm}");
        if (Queries < 1) yield return RobustNodeErrors.InvalidArgument("queries", $"the Square attack needs at least one query, got {Queries}");
        if (!(InitialFraction > 0 && InitialFraction <= 1))
            yield return RobustNodeErrors.InvalidArgument("initialFraction", $"p_init is a fraction of the features in (0, 1], got {InitialFraction}");
        if (Restarts < 1) yield return RobustNodeErrors.InvalidArgument("restarts", $"the Square attack needs at least one restart, got {Restarts}");
    }

    /// <inheritdoc/>
    public Fin<T> Perturb<T>(IBlock<T> model, T x0, ILoss<T> loss) =>
        Validate().Bind(_ => AttackChecks.Inputs(model, x0, loss, Box)).Bind(_ => AttackChecks.Classification(loss, "the Square attack")).Bind(classification =>
        {
            var engine = model.Engine;
            if (Epsilon == 0) return FinSucc(engine.Clone(x0));
            using var scope = engine.OpenScope();
            var shape = engine.Shape(x0);
            var geometry = SquareGeometry.Of(shape);
            var labels = BatchRows.Classes(engine, classification.Labels);
            var clean = Margins(model, x0, labels);
            if (clean.IsFail) return clean.Map(_ => default(T)!);
            var unbroken = ((double[])clean).Select(m => m > 0).ToArray();
            var x = engine.ToArray(x0);
            var result = (double[])x.Clone();
            var random = new SplitMix64(Seed);
            int n = geometry.Features;
            for (int restart = 0; restart < Restarts; restart++)
            {
                var rows = BatchRows.Where(unbroken).Select(r => (int)r).ToArray();
                if (rows.Length == 0) break;
                var search = new Search<T>(this, model, x0, shape, geometry, x, rows, labels, random);
                var run = search.Run();
                if (run.IsFail) return run.Map(_ => default(T)!);
                for (int j = 0; j < rows.Length; j++)
                {
                    System.Array.Copy(search.Best, j * n, result, rows[j] * n, n);
                    if (search.Margin[j] <= 0) unbroken[rows[j]] = false;
                }
            }
            return FinSucc(engine.Keep(engine.FromValues(result, x0, shape)));
        });

    /// <summary>The margins z_y − max_{j≠y} z_j of the model's outputs at x [B, …] (negative: misclassified).</summary>
    private static Fin<double[]> Margins<T>(IBlock<T> model, T x, int[] labels)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return Inference.Output(model, x).Map(output =>
        {
            var scores = engine.ToArray(output);
            int m = scores.Length / Math.Max(labels.Length, 1);
            var margins = new double[labels.Length];
            for (int i = 0; i < margins.Length; i++)
            {
                var z = scores.AsSpan(i * m, m);
                double best = double.NegativeInfinity;
                for (int j = 0; j < m; j++) if (j != labels[i]) best = Math.Max(best, z[j]);
                margins[i] = z[labels[i]] - best;
            }
            return margins;
        });
    }

    /// <summary>One run of the random search on some rows, on host copies of their values.</summary>
    private sealed class Search<T>(Square attack, IBlock<T> model, T like, long[] shape, SquareGeometry geometry, double[] x, int[] rows,
        int[] labels, SplitMix64 random)
    {
        private readonly int _n = geometry.Features;
        private readonly bool _infinity = double.IsPositiveInfinity(attack.Norm.Q);
        private double Epsilon => attack.Epsilon;

        /// <summary>The best point of each row [rows × n].</summary>
        public double[] Best { get; } = new double[rows.Length * geometry.Features];

        /// <summary>The margin at each row's best point.</summary>
        public double[] Margin { get; private set; } = [];

        public Fin<Unit> Run()
        {
            for (int j = 0; j < rows.Length; j++)
                if (_infinity) StripesStart(j);
                else BumpsStart(j);
            var first = Query(Enumerable.Range(0, rows.Length).ToArray(), Best);
            if (first.IsFail) return first.Map(_ => unit);
            Margin = (double[])first;
            var candidate = new double[_n];
            for (int iteration = 0; iteration < attack.Queries; iteration++)
            {
                var active = Enumerable.Range(0, rows.Length).Where(j => Margin[j] > 0).ToArray();
                if (active.Length == 0) break;
                double p = SquareGeometry.Fraction(attack.InitialFraction, iteration, attack.Queries);
                var proposals = new double[active.Length * _n];
                for (int a = 0; a < active.Length; a++)
                {
                    System.Array.Copy(Best, active[a] * _n, candidate, 0, _n);
                    if (_infinity) ProposeInfinity(active[a], p, candidate);
                    else ProposeTwo(active[a], p, candidate);
                    System.Array.Copy(candidate, 0, proposals, a * _n, _n);
                }
                var margins = Query(active, proposals);
                if (margins.IsFail) return margins.Map(_ => unit);
                var m = (double[])margins;
                for (int a = 0; a < active.Length; a++)
                    if (m[a] < Margin[active[a]])
                    {
                        Margin[active[a]] = m[a];
                        System.Array.Copy(proposals, a * _n, Best, active[a] * _n, _n);
                    }
            }
            return unit;
        }

        /// <summary>Margins of the model at the given points, one per listed row (a forward pass, nothing else).</summary>
        private Fin<double[]> Query(int[] active, double[] points)
        {
            var engine = model.Engine;
            using var scope = engine.OpenScope();
            var batchShape = (long[])shape.Clone();
            batchShape[0] = active.Length;
            var input = engine.FromValues(points.AsSpan(0, active.Length * _n), like, batchShape);
            return Margins(model, input, active.Select(j => labels[rows[j]]).ToArray());
        }

        private ReadOnlySpan<double> Clean(int j) => x.AsSpan(rows[j] * _n, _n);

        private double Clip(double v) => attack.Box is { } box ? Math.Clamp(v, box.Min, box.Max) : v;

        /// <summary>ℓ∞ start: x ± ε with one sign per channel and column (vertical stripes), clipped to the box.</summary>
        private void StripesStart(int j)
        {
            var clean = Clean(j);
            var best = Best.AsSpan(j * _n, _n);
            for (int c = 0; c < geometry.Channels; c++)
                for (int col = 0; col < geometry.Width; col++)
                {
                    double sign = random.NextDouble() < 0.5 ? -1 : 1;
                    for (int r = 0; r < geometry.Height; r++)
                    {
                        int i = geometry.Index(c, r, col);
                        best[i] = Clip(clean[i] + sign * Epsilon);
                    }
                }
        }

        /// <summary>ℓ∞ proposal: one window set to x ± ε per channel, drawn again while that changes nothing.</summary>
        private void ProposeInfinity(int j, double p, double[] candidate)
        {
            var clean = Clean(j);
            var window = geometry.Window(p, 1, odd: false);
            var (top, left) = geometry.Position(window, random);
            for (int attempt = 0; attempt < Redraws; attempt++)
            {
                bool changed = false;
                for (int c = 0; c < geometry.Channels; c++)
                {
                    double sign = random.NextDouble() < 0.5 ? -1 : 1;
                    for (int r = top; r < top + window.Rows; r++)
                        for (int col = left; col < left + window.Columns; col++)
                        {
                            int i = geometry.Index(c, r, col);
                            double value = Clip(clean[i] + sign * Epsilon);
                            changed |= Math.Abs(value - candidate[i]) >= 1e-7;
                            candidate[i] = value;
                        }
                }
                if (changed) return;
            }
        }

        /// <summary>ℓ₂ start: a grid of bumps with a random sign per channel, scaled to ‖δ‖₂ = ε, clipped to the box.</summary>
        private void BumpsStart(int j)
        {
            var delta = new double[_n];
            foreach (var (top, left, h, w) in geometry.Tiles())
            {
                var bump = SquareGeometry.Bump(h, w, random);
                for (int c = 0; c < geometry.Channels; c++)
                {
                    double sign = random.NextDouble() < 0.5 ? -1 : 1;
                    for (int r = 0; r < h; r++)
                        for (int col = 0; col < w; col++)
                            delta[geometry.Index(c, top + r, left + col)] += sign * bump[r, col];
                }
            }
            Place(j, delta, Best.AsSpan(j * _n, _n));
        }

        /// <summary>
        /// ℓ₂ proposal: on window 1 of every channel, the old perturbation's direction plus a new bump of random sign, given
        /// the norm of the perturbation on windows 1 and 2 together plus a share of what the ball has left; window 2 emptied.
        /// </summary>
        private void ProposeTwo(int j, double p, double[] candidate)
        {
            var clean = Clean(j);
            var delta = new double[_n];
            for (int i = 0; i < _n; i++) delta[i] = candidate[i] - clean[i];
            var window = geometry.Window(p, 3, odd: true);
            var (top1, left1) = geometry.Position(window, random);
            var (top2, left2) = geometry.Position(window, random);
            bool InFirst(int r, int col) => r >= top1 && r < top1 + window.Rows && col >= left1 && col < left1 + window.Columns;
            bool InSecond(int r, int col) => r >= top2 && r < top2 + window.Rows && col >= left2 && col < left2 + window.Columns;
            double image = 0;
            foreach (var v in delta) image += v * v;
            var bump = SquareGeometry.Bump(window.Rows, window.Columns, random);
            var update = new double[window.Rows, window.Columns];
            for (int c = 0; c < geometry.Channels; c++)
            {
                double first = 0, both = 0;
                for (int r = 0; r < geometry.Height; r++)
                    for (int col = 0; col < geometry.Width; col++)
                    {
                        double v = delta[geometry.Index(c, r, col)];
                        if (InFirst(r, col)) first += v * v;
                        if (InFirst(r, col) || InSecond(r, col)) both += v * v;
                    }
                double sign = random.NextDouble() < 0.5 ? -1 : 1;
                double length = 0;
                for (int r = 0; r < window.Rows; r++)
                    for (int col = 0; col < window.Columns; col++)
                    {
                        update[r, col] = sign * bump[r, col] + delta[geometry.Index(c, top1 + r, left1 + col)] / (1e-12 + Math.Sqrt(first));
                        length += update[r, col] * update[r, col];
                    }
                double scale = Math.Sqrt(Math.Max(Epsilon * Epsilon - image, 0) / geometry.Channels + both) / (1e-12 + Math.Sqrt(length));
                for (int r = 0; r < geometry.Height; r++)
                    for (int col = 0; col < geometry.Width; col++)
                        if (InSecond(r, col)) delta[geometry.Index(c, r, col)] = 0;
                for (int r = 0; r < window.Rows; r++)
                    for (int col = 0; col < window.Columns; col++)
                        delta[geometry.Index(c, top1 + r, left1 + col)] = update[r, col] * scale;
            }
            Place(j, delta, candidate);
        }

        /// <summary>x + ε δ/‖δ‖₂, clipped to the box.</summary>
        private void Place(int j, double[] delta, Span<double> point)
        {
            var clean = Clean(j);
            double length = 0;
            foreach (var v in delta) length += v * v;
            double scale = Epsilon / (Math.Sqrt(length) + 1e-12);
            for (int i = 0; i < _n; i++) point[i] = Clip(clean[i] + scale * delta[i]);
        }
    }
}

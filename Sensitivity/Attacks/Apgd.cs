using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Sampling;
using RobustNode.Sensitivity.Networks;
using RobustNode.Sensitivity.Problems;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Attacks;

/// <summary>
/// Auto-PGD (Croce &amp; Hein): projected gradient ascent without a step size to tune. From a random point on the
/// boundary of the ε-ball, with step η = 2ε per sample,
/// <c>z = P(x_k + η ∇φ(g_k))</c>, <c>x_{k+1} = P(x_k + α (z − x_k) + (1 − α)(x_k − x_{k−1}))</c>, α = 0.75 (α = 1 in the
/// first step), where g_k is the input gradient of the loss, ∇φ the steepest-ascent direction in the q-ball (sign for
/// ℓ∞, g/‖g‖₂ for ℓ₂) and P the projection onto the ball and the input box. At checkpoints w₁ = ⌊0.22 N⌋ iterations in,
/// then at intervals shrinking by ⌊0.03 N⌋ down to ⌊0.06 N⌋ (each at least 1), a sample's step is halved and its iterate
/// reset to its best point when (1) the loss rose in at most ρ = 0.75 of the steps since the last checkpoint, or (2) its
/// step was not halved at the last checkpoint and its best loss has not risen since.
/// <para>Every sample is attacked until it is misclassified: each restart (and, for the targeted losses, each target
/// class) runs on the samples still classified correctly. A misclassified iterate is kept as the sample's adversarial
/// example; a sample that is never misclassified gets the point of highest loss of its last run; a sample already
/// misclassified without attack is returned unchanged. The targeted losses (<see cref="ApgdLoss"/>) run once per target
/// class t = the 2nd, 3rd, … highest clean score, up to <see cref="TargetClasses"/> of them (AutoAttack's APGD-T).</para>
/// </summary>
/// <param name="Epsilon">Radius ε ≥ 0 of the attack ball.</param>
/// <param name="Norm">Attack norm: ∞ or 2 (APGD for ℓ₁ is a different, sparse algorithm).</param>
/// <param name="Iterations">Iterations N per run (≥ 1): N + 1 gradients per run.</param>
/// <param name="Restarts">Runs from new random starts on the samples still classified correctly (≥ 1).</param>
/// <param name="Loss">The loss maximised: the one given (APGD-CE), or a targeted DLR or margin loss (APGD-T).</param>
/// <param name="TargetClasses">For the targeted losses, how many target classes (at most classes − 1 are used).</param>
/// <param name="Seed">Seed of the random starts (a SplitMix64 stream), the same numbers on every engine.</param>
/// <param name="Box">Valid input box, or null for none.</param>
/// <remarks>
/// Croce &amp; Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse parameter-free attacks",
/// ICML 2020, Algorithm 1 and §3; the details follow the authors' reference implementation (fra31/auto-attack,
/// <c>autopgd_base.py</c>: starting point ε t/‖t‖ with t uniform in [−1, 1]ⁿ (ℓ∞) or Gaussian (ℓ₂), condition (1) as
/// "at most ρ·k increases", the iterate and its gradient reset to the best point on halving, the best point replaced
/// only on a strict increase). The first increase after the start is counted against the loss at the starting point, as
/// in the paper (the reference compares with an unset zero there).
/// </remarks>
public sealed record Apgd(
    double Epsilon,
    AttackNorm Norm,
    int Iterations = 100,
    int Restarts = 1,
    ApgdLoss Loss = ApgdLoss.CrossEntropy,
    int TargetClasses = 9,
    long Seed = 0,
    InputBox? Box = null) : IAttack
{
    /// <summary>The momentum weight α of the paper (1 − α on the previous step).</summary>
    public const double Momentum = 0.75;

    /// <summary>ρ of condition (1): the fraction of increasing steps below which the step is halved.</summary>
    public const double Rho = 0.75;

    /// <inheritdoc/>
    public string Name => Loss.Name();

    /// <inheritdoc/>
    public IAttack WithEpsilon(double epsilon) => this with { Epsilon = epsilon };

    /// <inheritdoc/>
    public IAttack WithSeed(long seed) => this with { Seed = seed };

    /// <summary>Checks the settings, reporting every problem at once.</summary>
    public Fin<Apgd> Validate() => AttackChecks.All(Problems()).Map(_ => this);

    private IEnumerable<Error> Problems()
    {
        foreach (var e in AttackChecks.Settings(Epsilon, Box)) yield return e;
        if (!double.IsPositiveInfinity(Norm.Q) && Norm.Q != 2)
            yield return RobustNodeErrors.InvalidArgument("norm", $"APGD attacks in the ℓ∞ or the ℓ2 ball, got ℓ{Norm}");
        if (Iterations < 1) yield return RobustNodeErrors.InvalidArgument("iterations", $"APGD needs at least one iteration, got {Iterations}");
        if (Restarts < 1) yield return RobustNodeErrors.InvalidArgument("restarts", $"APGD needs at least one restart, got {Restarts}");
        if (Loss != ApgdLoss.CrossEntropy && TargetClasses < 1)
            yield return RobustNodeErrors.InvalidArgument("targetClasses", $"the targeted APGD needs at least one target class, got {TargetClasses}");
    }

    /// <summary>The checkpoint schedule for N iterations: the first interval, its decrement and its floor.</summary>
    internal static (int First, int Decrement, int Minimum) Checkpoints(int iterations) =>
        (Math.Max((int)(0.22 * iterations), 1), Math.Max((int)(0.03 * iterations), 1), Math.Max((int)(0.06 * iterations), 1));

    /// <inheritdoc/>
    public Fin<T> Perturb<T>(IBlock<T> model, T x0, ILoss<T> loss) =>
        Validate().Bind(_ => AttackChecks.Inputs(model, x0, loss, Box)).Bind(_ => AttackChecks.Classification(loss, "APGD")).Bind(classification =>
        {
            var engine = model.Engine;
            if (Epsilon == 0) return FinSucc(engine.Clone(x0));
            using var scope = engine.OpenScope();
            var clean = Inference.Output(model, x0);
            if (clean.IsFail) return clean;
            var scores = (T)clean;
            var labels = BatchRows.Classes(engine, classification.Labels);
            var predicted = BatchRows.Classes(engine, engine.ArgMax(scores));
            int classes = (int)engine.Shape(scores)[1];
            if (Loss == ApgdLoss.TargetedDlr && classes < DifferenceOfLogitsRatioLoss<T>.MinimumClasses(targeted: true))
                return FinFail<T>(RobustNodeErrors.InvalidArgument("loss",
                    $"the targeted DLR loss needs at least four classes, the model has {classes}; use the targeted margin (ApgdLoss.TargetedMargin) instead"));
            if (Loss == ApgdLoss.TargetedMargin && classes < 2)
                return FinFail<T>(RobustNodeErrors.InvalidArgument("loss", $"a targeted attack needs at least two classes, the model has {classes}"));
            var ranked = Loss == ApgdLoss.CrossEntropy ? null : Ranking(engine.ToArray(scores), classes);
            var unbroken = new bool[labels.Length];
            for (int i = 0; i < unbroken.Length; i++) unbroken[i] = predicted[i] == labels[i];
            int rounds = Loss == ApgdLoss.CrossEntropy ? 1 : Math.Min(TargetClasses, classes - 1);
            var random = new SplitMix64(Seed);
            var adversarial = engine.Clone(x0);
            for (int round = 0; round < rounds; round++)
                for (int restart = 0; restart < Restarts; restart++)
                {
                    var rows = BatchRows.Where(unbroken);
                    if (rows.Length == 0) return FinSucc(engine.Keep(adversarial));
                    using var runScope = engine.OpenScope();
                    var runLoss = RunLoss(engine, classification, rows, ranked, classes, round + 1);
                    var x = engine.GatherRows(x0, rows);
                    var run = Run(model, x, runLoss, rows.Select(r => labels[r]).ToArray(), Start(engine, x, random));
                    if (run.IsFail) return run.Map(_ => default(T)!);
                    var (fooled, best, _, misclassified) = (ApgdRun<T>)run;
                    var found = engine.WhereRows(BatchRows.Mask(engine, fooled, x), misclassified, best);
                    var merged = engine.Keep(BatchRows.Scatter(engine, adversarial, rows, found));
                    engine.Release(adversarial);
                    adversarial = merged;
                    for (int j = 0; j < rows.Length; j++) unbroken[rows[j]] &= !fooled[j];
                }
            return FinSucc(engine.Keep(adversarial));
        });

    /// <summary>Per sample, the classes by decreasing clean score (a stable sort).</summary>
    private static int[][] Ranking(double[] scores, int classes)
    {
        var order = new int[scores.Length / classes][];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = new int[classes];
            var values = scores.AsSpan(i * classes, classes).ToArray();
            for (int j = 0; j < classes; j++) order[i][j] = j;
            // Stable: of equal scores the lower class comes first.
            System.Array.Sort(order[i], (a, b) => values[a] != values[b] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        }
        return order;
    }

    /// <summary>The loss of one run on the given rows: the given loss, or the targeted loss with the <paramref name="rank"/>-th other class.</summary>
    private ILoss<T> RunLoss<T>(IEngine<T> engine, IClassificationLoss<T> classification, long[] rows, int[][]? ranked, int classes, int rank)
    {
        if (Loss == ApgdLoss.CrossEntropy) return classification.Select(rows);
        var labels = engine.GatherRows(classification.Labels, rows);
        var targets = rows.Select(r => ranked![r][rank]).ToArray();
        return Loss == ApgdLoss.TargetedDlr ? new DifferenceOfLogitsRatioLoss<T>(engine, labels, targets) : new MarginLoss<T>(engine, labels, targets);
    }

    /// <summary>
    /// One run of Algorithm 1 on the rows x [S, …] from the given starting offsets (clipped to the box), in the caller's
    /// scope: per row whether some iterate was misclassified, the point of highest loss and that loss, and the last
    /// misclassified iterate (the start where none was).
    /// </summary>
    internal Fin<ApgdRun<T>> Run<T>(IBlock<T> model, T x, ILoss<T> loss, int[] labels, T start)
    {
        var engine = model.Engine;
        int rows = labels.Length;
        var (first, decrement, minimum) = Checkpoints(Iterations);
        using var scope = engine.OpenScope();
        // The iterate, the previous iterate, the last misclassified and the best iterate, and the gradients at the iterate
        // and at the best one: each a value of this scope, released when replaced.
        T xAdv, xOld, xBestAdv, xBest, gradient, gradientBest;
        double[] losses;
        bool[] correct;
        using (engine.OpenScope())
        {
            var x0 = Clip(engine, engine.Add(x, start));
            var at = Evaluate(model, x0, loss, labels);
            if (at.IsFail) return at.Map(_ => default(ApgdRun<T>)!);
            T g;
            (g, losses, correct) = ((T, double[], bool[]))at;
            (xAdv, xOld, xBestAdv, xBest) = (engine.Keep(x0), engine.Keep(engine.Clone(x0)), engine.Keep(engine.Clone(x0)), engine.Keep(engine.Clone(x0)));
            (gradient, gradientBest) = (engine.Keep(g), engine.Keep(engine.Clone(g)));
        }
        void Replace(ref T slot, T value)
        {
            var kept = engine.Keep(value);
            engine.Release(slot);
            slot = kept;
        }

        var unbroken = (bool[])correct.Clone();
        var lossBest = (double[])losses.Clone();
        var previous = (double[])losses.Clone();
        var step = Enumerable.Repeat(2 * Epsilon, rows).ToArray();
        var increases = new int[rows];
        var bestAtLastCheck = (double[])lossBest.Clone();
        var halvedAtLastCheck = Enumerable.Repeat(true, rows).ToArray();
        int sinceCheck = 0, interval = first;
        for (int k = 0; k < Iterations; k++)
        {
            using var iteration = engine.OpenScope();
            double alpha = k == 0 ? 1 : Momentum;
            var ascent = engine.ScaleRows(Direction(engine, gradient), engine.FromValues(step, x, rows));
            var z = Project(engine, x, engine.Add(xAdv, ascent));
            // x_k + α (z − x_k) + (1 − α)(x_k − x_{k−1})
            var next = Project(engine, x, engine.LinearCombination([2 * (1 - alpha), alpha, -(1 - alpha)], [xAdv, z, xOld]));
            var at = Evaluate(model, next, loss, labels);
            if (at.IsFail) return at.Map(_ => default(ApgdRun<T>)!);
            T g;
            (g, losses, correct) = ((T, double[], bool[]))at;
            engine.Release(xOld);
            (xOld, xAdv) = (xAdv, engine.Keep(next));
            Replace(ref gradient, g);

            var misclassified = new bool[rows];
            var improved = new bool[rows];
            for (int i = 0; i < rows; i++)
            {
                misclassified[i] = !correct[i];
                unbroken[i] &= correct[i];
                improved[i] = losses[i] > lossBest[i];
                if (improved[i]) lossBest[i] = losses[i];
                if (losses[i] > previous[i]) increases[i]++;
                previous[i] = losses[i];
            }
            if (misclassified.Any(m => m)) Replace(ref xBestAdv, Select(engine, misclassified, xAdv, xBestAdv));
            if (improved.Any(m => m))
            {
                Replace(ref xBest, Select(engine, improved, xAdv, xBest));
                Replace(ref gradientBest, Select(engine, improved, gradient, gradientBest));
            }

            if (++sinceCheck < interval) continue;
            var halve = new bool[rows];
            for (int i = 0; i < rows; i++)
            {
                bool oscillating = increases[i] <= interval * Rho;
                bool stalled = !halvedAtLastCheck[i] && bestAtLastCheck[i] >= lossBest[i];
                halve[i] = oscillating || stalled;
                if (halve[i]) step[i] /= 2;
                halvedAtLastCheck[i] = halve[i];
                bestAtLastCheck[i] = lossBest[i];
                increases[i] = 0;
            }
            if (halve.Any(h => h))
            {
                Replace(ref xAdv, Select(engine, halve, xBest, xAdv));
                Replace(ref gradient, Select(engine, halve, gradientBest, gradient));
            }
            interval = Math.Max(interval - decrement, minimum);
            sinceCheck = 0;
        }
        return new ApgdRun<T>(unbroken.Select(u => !u).ToArray(), engine.Keep(xBest), lossBest, engine.Keep(xBestAdv));
    }

    /// <summary>
    /// The steepest-ascent direction in the unit ball: sign(g) for ℓ∞, g/(‖g‖₂ + 10⁻¹²) for ℓ₂ (the reference's offset,
    /// which matters where the loss saturates and ‖g‖ is tiny).
    /// </summary>
    private T Direction<T>(IEngine<T> engine, T gradient)
    {
        if (double.IsPositiveInfinity(Norm.Q)) return engine.Sign(gradient);
        var lengths = engine.ToArray(engine.DualNorm(Norm, gradient));
        for (int i = 0; i < lengths.Length; i++) lengths[i] = 1 / (lengths[i] + 1e-12);
        return engine.ScaleRows(gradient, engine.FromValues(lengths, gradient, lengths.Length));
    }

    /// <summary>Rows of a where the mask holds, else of b: a new value in the enclosing scope.</summary>
    private static T Select<T>(IEngine<T> engine, bool[] mask, T a, T b) => engine.WhereRows(BatchRows.Mask(engine, mask, a), a, b);

    /// <summary>The input gradient, per-sample losses and whether each row is still classified as its label.</summary>
    private static Fin<(T Gradient, double[] Losses, bool[] Correct)> Evaluate<T>(IBlock<T> model, T x, ILoss<T> loss, int[] labels)
    {
        var engine = model.Engine;
        return LossDerivatives.Gradient(model, x, loss, withParameters: false).Map(g =>
        {
            var losses = engine.ToArray(loss.PerSample(g.FinalState));
            var predicted = BatchRows.Classes(engine, engine.ArgMax(g.FinalState));
            var correct = new bool[labels.Length];
            for (int i = 0; i < correct.Length; i++) correct[i] = predicted[i] == labels[i];
            return (g.InputSensitivity, losses, correct);
        });
    }

    /// <summary>ε t/‖t‖_q per row, t uniform in [−1, 1]ⁿ for ℓ∞ and standard normal for ℓ₂ (the reference's starting point, on the sphere).</summary>
    internal T Start<T>(IEngine<T> engine, T x, SplitMix64 random)
    {
        var shape = engine.Shape(x);
        long rows = shape[0], n = 1;
        for (int i = 1; i < shape.Length; i++) n *= shape[i];
        var values = new double[rows * n];
        bool infinity = double.IsPositiveInfinity(Norm.Q);
        for (long r = 0; r < rows; r++)
        {
            var row = values.AsSpan((int)(r * n), (int)n);
            double size = 0;
            for (int j = 0; j < row.Length; j++)
            {
                row[j] = infinity ? 2 * random.NextDouble() - 1 : random.NextGaussian();
                size = infinity ? Math.Max(size, Math.Abs(row[j])) : size + row[j] * row[j];
            }
            double scale = Epsilon / ((infinity ? size : Math.Sqrt(size)) + 1e-12);
            for (int j = 0; j < row.Length; j++) row[j] *= scale;
        }
        return engine.FromValues(values, x, shape);
    }

    /// <summary>The point projected onto the ε-ball around x, then clipped to the box.</summary>
    private T Project<T>(IEngine<T> engine, T x, T point) =>
        Clip(engine, engine.Add(x, engine.Project(Norm, engine.Add(point, x, -1), Epsilon)));

    private T Clip<T>(IEngine<T> engine, T x) => Box is null ? x : Box.Clip(engine, x);
}

/// <summary>The outcome of one APGD run on S samples (values of the caller's scope).</summary>
/// <param name="Fooled">Per sample, whether some iterate was misclassified.</param>
/// <param name="Best">The points of highest loss [S, …].</param>
/// <param name="BestLoss">The highest losses.</param>
/// <param name="Misclassified">The last misclassified iterates [S, …] (the starting point where none was).</param>
internal sealed record ApgdRun<T>(bool[] Fooled, T Best, double[] BestLoss, T Misclassified);

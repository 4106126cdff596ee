using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Losses;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Problems;
using RobustNode.Sensitivity.Robust;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// Loss-level derivatives of any block (an ODE block or a whole network) on any engine: J = mean ℓᵢ with ∇_θ J and p(0);
/// the control gradient of any penalty of the input sensitivities through seeds v = ∂Ψ/∂p(0) (DESIGN §5); and the
/// augmented loss 𝒥 = mean ᵢ[ℓᵢ + ε‖pᵢ(0)‖_{q*}] with ∇_θ 𝒥 as its seeded case, v = ∇φ(p(0)). The four sweeps of DESIGN §1:
/// forward; reverse → p(0), v; tangent from v; second-order reverse from (∇ℓ, ∇²ℓ·σ).
/// </summary>
public static class LossDerivatives
{
    /// <summary>J, ∇_θ J (mean over the batch) and the per-sample input sensitivity p(0).</summary>
    public static Fin<LossGradient<T>> Gradient<T>(IBlock<T> model, T x0, ILoss<T> loss, bool withParameters = true) =>
        FirstOrder(model, x0, loss, (forward, lambdaT) => forward.Reverse(lambdaT, withParameters));

    /// <summary>
    /// J and ∇_θ J for a training step, where the input is data and p(0) is not wanted: the first block may skip the product
    /// that forms it (<see cref="IForwardSweep{T}.ReverseForControls"/>), and the result's input sensitivity is an empty
    /// value, not to be read.
    /// </summary>
    public static Fin<LossGradient<T>> ControlGradient<T>(IBlock<T> model, T x0, ILoss<T> loss) =>
        FirstOrder(model, x0, loss, (forward, lambdaT) => forward.ReverseForControls(lambdaT));

    // The forward sweep and one reverse sweep from λ(T) = ∇ℓ(x(T)), on row blocks where the engine splits the batch.
    private static Fin<LossGradient<T>> FirstOrder<T>(IBlock<T> model, T x0, ILoss<T> loss, Func<IForwardSweep<T>, T, Fin<ReverseResult<T>>> reverse)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        using var untracked = engine.Untracked();
        var sums = RowBlockSums.Run(model, x0, loss, (x, l) => FirstOrderSums(model, x, l, reverse), parts => new ReverseSums<T>(
                RowBlockSums.Join(engine, parts.Select(p => p.FinalState)), RowBlockSums.Join(engine, parts.Select(p => p.Lambda0)),
                RowBlockSums.Sum(engine, parts.Select(p => p.Controls).ToArray()), parts[0].Statistics))
            ?? FirstOrderSums(model, x0, loss, reverse);
        return sums.Map(s => Results.FirstOrder(engine, loss, s.FinalState, s.Lambda0, s.Controls, s.Statistics).Out(engine));
    }

    /// <summary>What a forward and a reverse sweep leave (in the caller's scope): x(T), λ(0), the control sums.</summary>
    private sealed record ReverseSums<T>(T FinalState, T Lambda0, IReadOnlyList<T> Controls, SolveStatistics Statistics);

    private static Fin<ReverseSums<T>> FirstOrderSums<T>(IBlock<T> model, T x0, ILoss<T> loss, Func<IForwardSweep<T>, T, Fin<ReverseResult<T>>> reverse) =>
        model.Forward(x0).Bind(forward =>
        {
            using var _ = forward;
            var xT = forward.Final;
            return reverse(forward, loss.Gradient(xT)).Map(r => new ReverseSums<T>(xT, r.Lambda0, r.Controls, forward.Statistics + r.Statistics));
        });

    /// <summary>p(0): row i is ∇_{x₀ᵢ} ℓᵢ, the direction an attack follows (no parameter gradients computed).</summary>
    public static Fin<T> InputSensitivity<T>(IBlock<T> model, T x0, ILoss<T> loss) =>
        Gradient(model, x0, loss, withParameters: false).Map(g =>
        {
            model.Engine.Release(g.FinalState);
            return g.InputSensitivity;
        });

    /// <summary>
    /// The control gradient of a penalty Ψ(p⁽¹⁾(0), …, p⁽ⁿ⁾(0)) of the input sensitivities at several input batches (one
    /// batch for most penalties; x and a perturbed x̃ for GradAlign), by one tangent and one second-order reverse sweep per
    /// input. <paramref name="seeds"/> is given every p⁽ᵃ⁾(0) and returns v⁽ᵃ⁾ = ∂Ψ/∂p⁽ᵃ⁾(0), one per input, shaped like it
    /// (held fixed: its own dependence on the controls is not differentiated). The loss's targets apply to every input.
    /// </summary>
    public static Fin<SeededGradient<T>> SeededGradient<T>(IBlock<T> model, IReadOnlyList<T> inputs, ILoss<T> loss,
        Func<IReadOnlyList<T>, IReadOnlyList<T>> seeds)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        using var untracked = engine.Untracked();
        return Sweeps(model, inputs, loss, true, (_, p) => SeedsOnly(seeds(p))).Map(s =>
        {
            var perInput = new LossGradient<T>[inputs.Count];
            for (int a = 0; a < perInput.Length; a++)
                perInput[a] = Results.FirstOrder(engine, loss, s.FinalStates[a], s.InputSensitivities[a], s.FirstOrder[a]!, s.Statistics[a]).Out(engine);
            return new SeededGradient<T>(perInput, engine.Out(s.Seeds), engine.Out(s.Penalty));
        });
    }

    /// <summary>The seeded gradient at one input batch: <paramref name="seed"/> maps p(0) to v = ∂Ψ/∂p(0).</summary>
    public static Fin<SeededGradient<T>> SeededGradient<T>(IBlock<T> model, T x0, ILoss<T> loss, Func<T, T> seed) =>
        SeededGradient(model, [x0], loss, p => [seed(p[0])]);

    /// <summary>
    /// The control gradient of any function Ψ of the outputs x⁽ᵃ⁾(T) and the input sensitivities p⁽ᵃ⁾(0) at several input
    /// batches — TRADES' divergence between two outputs, LLR's residual of the linear model, GradAlign's cosine — by one
    /// forward and one reverse sweep per input, plus one tangent and one second-order reverse sweep per input whose
    /// sensitivity Ψ depends on. <paramref name="terms"/> is given every x⁽ᵃ⁾(T) and (when <paramref name="sensitivities"/>)
    /// every p⁽ᵃ⁾(0), and returns per input the seed v = ∂Ψ/∂p(0) and the output cotangent c = ∂Ψ/∂x(T), held fixed.
    /// Without sensitivities no reverse sweep runs before <paramref name="terms"/>, and no seed may be given.
    /// </summary>
    /// <remarks>
    /// An output cotangent costs nothing extra at an input with a seed: the second-order reverse sweep is linear in its
    /// terminal value μ(T), so starting it from ∇²ℓ·σ(T) + c adds exactly Φ_uᵀc to its control sums (DESIGN §1, sweep 4).
    /// An input with only an output cotangent gets one reverse sweep with controls.
    /// </remarks>
    public static Fin<PenaltyGradient<T>> PenaltyGradient<T>(IBlock<T> model, IReadOnlyList<T> inputs, ILoss<T> loss,
        Func<IReadOnlyList<T>, IReadOnlyList<T>, IReadOnlyList<PenaltyTerms<T>>> terms, bool sensitivities = true)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        using var untracked = engine.Untracked();
        return Sweeps(model, inputs, loss, sensitivities, terms).Map(s =>
        {
            var total = SolveStatistics.Zero;
            foreach (var statistics in s.Statistics) total += statistics;
            return new PenaltyGradient<T>(engine.Out(s.FinalStates), sensitivities ? engine.Out(s.InputSensitivities) : [], engine.Out(s.Penalty), total);
        });
    }

    /// <summary>
    /// 𝒥 and ∇_θ 𝒥 by the second-order adjoint, with J, ∇_θ J and p(0) from the same sweeps: the seeded gradient with
    /// v = ∇φ(p(0)), φ = ‖·‖_{q*}, and ∇_θ 𝒥 = (1/B)(Σ ∇_θ ℓᵢ + ε ∇_θ Σᵢ⟨vᵢ, pᵢ(0)⟩).
    /// </summary>
    public static Fin<AugmentedGradient<T>> AugmentedGradient<T>(IBlock<T> model, T x0, ILoss<T> loss, AugmentedLoss augmented)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        using var untracked = engine.Untracked();
        return AugmentedSweeps(model, x0, loss, augmented, combinedWeight: null).Map(s =>
            Results.Augmented(engine, loss, augmented, s.FinalStates[0], s.InputSensitivities[0], s.FirstOrder[0]!, s.Penalty, s.Statistics[0]).Out(engine));
    }

    /// <summary>
    /// 𝒥 and ∇_θ 𝒥 for a training step, without ∇_θ J apart (the result's first-order part has no control gradients, and
    /// its p(0) is that of the same sweeps). The second-order sweep is linear in (σ, μ(T)) and ū₂ holds the first-order
    /// terms of whatever it starts from, so Σ∇_θ ℓᵢ + ε ∇_θ Σᵢ⟨vᵢ, pᵢ(0)⟩ is its ū₂ alone when the tangent starts from εv and
    /// μ(T) = λ(T) + ∇²ℓ·σ(T): the kernel terms paired with σ(x) come out as one weight gradient per stage instead of two,
    /// and the reverse sweep for p(0) forms no control terms.
    /// </summary>
    public static Fin<AugmentedGradient<T>> AugmentedControlGradient<T>(IBlock<T> model, T x0, ILoss<T> loss, AugmentedLoss augmented)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        using var untracked = engine.Untracked();
        return AugmentedSweeps(model, x0, loss, augmented, combinedWeight: augmented.Epsilon).Map(s =>
            Results.AugmentedFromTotal(engine, loss, augmented, s.FinalStates[0], s.InputSensitivities[0], s.Penalty, s.Statistics[0]).Out(engine));
    }

    // The augmented loss's sweeps at one input, seeded by v = ∇φ(p(0)) row by row, so on row blocks where the engine splits the batch.
    private static Fin<SweepSums<T>> AugmentedSweeps<T>(IBlock<T> model, T x0, ILoss<T> loss, AugmentedLoss augmented, double? combinedWeight)
    {
        var engine = model.Engine;
        Fin<SweepSums<T>> Whole(T x, ILoss<T> l) =>
            Sweeps(model, [x], l, true, (_, p) => SeedsOnly([engine.DualNormGradient(augmented.Norm, p[0])]), combinedWeight);
        return RowBlockSums.Run(model, x0, loss, Whole, parts => new SweepSums<T>(
                [RowBlockSums.Join(engine, parts.Select(p => p.FinalStates[0]))], [RowBlockSums.Join(engine, parts.Select(p => p.InputSensitivities[0]))],
                [RowBlockSums.Join(engine, parts.Select(p => p.Seeds[0]))],
                [parts[0].FirstOrder[0] is null ? null : RowBlockSums.Sum(engine, parts.Select(p => p.FirstOrder[0]!).ToArray())],
                RowBlockSums.Sum(engine, parts.Select(p => p.Penalty).ToArray()), parts[0].Statistics))
            ?? Whole(x0, loss);
    }

    private static IReadOnlyList<PenaltyTerms<T>> SeedsOnly<T>(IReadOnlyList<T> seeds)
    {
        var terms = new PenaltyTerms<T>[seeds.Count];
        for (int a = 0; a < terms.Length; a++) terms[a] = PenaltyTerms<T>.OfSeed(seeds[a]);
        return terms;
    }

    /// <summary>
    /// The sums the sweeps leave at every input (in the caller's scope): x(T), p(0) (when asked for), the seeds, the
    /// first-order control sums Σᵢ∇_u ℓᵢ of the inputs with a seed (null elsewhere), the penalty's control gradient.
    /// </summary>
    private sealed record SweepSums<T>(T[] FinalStates, T[] InputSensitivities, IReadOnlyList<T> Seeds, IReadOnlyList<T>?[] FirstOrder,
        IReadOnlyList<T> Penalty, SolveStatistics[] Statistics);

    // With combinedWeight w, every input has a seed and its penalty sums are Σ∇_u ℓᵢ + w ∇_u Ψ (AugmentedControlGradient).
    private static Fin<SweepSums<T>> Sweeps<T>(IBlock<T> model, IReadOnlyList<T> inputs, ILoss<T> loss, bool sensitivities,
        Func<IReadOnlyList<T>, IReadOnlyList<T>, IReadOnlyList<PenaltyTerms<T>>> terms, double? combinedWeight = null)
    {
        var engine = model.Engine;
        int n = inputs.Count;
        if (n == 0) return FinFail<SweepSums<T>>(RobustNodeErrors.InvalidArgument("inputs", "a seeded gradient needs at least one input batch"));
        var forwards = new List<IForwardSweep<T>>(n);
        try
        {
            var xT = new T[n];
            var p0 = sensitivities ? new T[n] : [];
            var statistics = new SolveStatistics[n];
            for (int a = 0; a < n; a++)
            {
                var forward = model.Forward(inputs[a]);
                if (forward.IsFail) return forward.Map(_ => default(SweepSums<T>)!);
                var sweep = forward.Value();
                forwards.Add(sweep);
                xT[a] = sweep.Final;
                statistics[a] = sweep.Statistics;
                if (!sensitivities) continue;
                // The second-order sweep below starts from the same λ(T) = ∇ℓ(x(T)) when this input gets a seed.
                var reverse = combinedWeight is null ? sweep.ReverseBeforeSecondOrder(loss.Gradient(xT[a])) : sweep.ReverseBeforeSecondOrderControls(loss.Gradient(xT[a]));
                if (reverse.IsFail) return reverse.Map(_ => default(SweepSums<T>)!);
                p0[a] = reverse.Value().Lambda0;
                statistics[a] += reverse.Value().Statistics;
            }
            var chosen = terms(xT, p0);
            var checkedTerms = Check(engine, chosen, n, xT, p0, sensitivities);
            if (checkedTerms.IsFail) return checkedTerms.Map(_ => default(SweepSums<T>)!);
            var first = new IReadOnlyList<T>?[n];
            var seeds = new List<T>(n);
            IReadOnlyList<T>? penalty = null;
            void Accumulate(IReadOnlyList<T> gradients)
            {
                if (penalty is null) penalty = gradients;
                else for (int j = 0; j < penalty.Count; j++) engine.AddInPlace(penalty[j], gradients[j]);
            }
            for (int a = 0; a < n; a++)
            {
                var (seed, output) = (chosen[a].Seed, chosen[a].Output);
                if (seed.IsSome)
                {
                    var v = (T)seed;
                    seeds.Add(v);
                    var tangent = forwards[a].Tangent(combinedWeight is { } w ? engine.Scale(v, w) : v);
                    if (tangent.IsFail) return tangent.Map(_ => default(SweepSums<T>)!);
                    using var sweep = tangent.Value();
                    // μ(T) = ∇²ℓ·σ(T) (+ c: the second-order sweep is linear in μ(T), so c adds Φ_uᵀc to its control sums).
                    var muT = loss.HessianVectorProduct(xT[a], sweep.Final);
                    if (output.IsSome) muT = engine.Add(muT, (T)output, combinedWeight ?? 1);
                    var lambdaT = loss.Gradient(xT[a]);
                    // λ(0) and μ(0) are not read: only the control sums; combined, only ū₂ from λ(T) + w μ(T) (σ of w v).
                    if (combinedWeight is not null) muT = engine.Add(muT, lambdaT);
                    var second = combinedWeight is null ? sweep.ReverseForControls(lambdaT, muT) : sweep.ReverseForSecondOrderControls(lambdaT, muT, inputCotangents: false);
                    if (second.IsFail) return second.Map(_ => default(SweepSums<T>)!);
                    var result = second.Value();
                    first[a] = combinedWeight is null ? result.Controls : null;
                    statistics[a] += sweep.Statistics + result.Statistics;
                    Accumulate(result.SecondOrderControls);
                }
                else if (output.IsSome)
                {
                    var reverse = forwards[a].ReverseForControls((T)output);
                    if (reverse.IsFail) return reverse.Map(_ => default(SweepSums<T>)!);
                    statistics[a] += reverse.Value().Statistics;
                    Accumulate(reverse.Value().Controls);
                }
            }
            penalty ??= model.Parameters.Select(engine.ZerosLike).ToArray();
            return new SweepSums<T>(xT, p0, seeds, first, penalty, statistics);
        }
        finally
        {
            foreach (var forward in forwards) forward.Dispose();
        }
    }

    /// <summary>One set of terms per input, each shaped like what it is a cotangent of; seeds only where p(0) was computed.</summary>
    private static Fin<Unit> Check<T>(IEngine<T> engine, IReadOnlyList<PenaltyTerms<T>> terms, int n, T[] xT, T[] p0, bool sensitivities)
    {
        if (terms.Count != n)
            return FinFail<Unit>(RobustNodeErrors.InvalidArgument("seeds", $"one seed per input batch: {n} inputs, {terms.Count} seeds"));
        for (int a = 0; a < n; a++)
        {
            if (terms[a].Seed.IsSome)
            {
                if (!sensitivities)
                    return FinFail<Unit>(RobustNodeErrors.InvalidArgument($"seeds[{a}]", "a seed needs the input sensitivities, which were not computed"));
                var v = (T)terms[a].Seed;
                if (!engine.Shape(v).AsSpan().SequenceEqual(engine.Shape(p0[a])))
                    return FinFail<Unit>(RobustNodeErrors.ShapeMismatch($"seeds[{a}]", ShapeText.Of(engine.Shape(p0[a])), ShapeText.Of(engine.Shape(v))));
            }
            if (terms[a].Output.IsSome)
            {
                var c = (T)terms[a].Output;
                if (!engine.Shape(c).AsSpan().SequenceEqual(engine.Shape(xT[a])))
                    return FinFail<Unit>(RobustNodeErrors.ShapeMismatch($"outputs[{a}]", ShapeText.Of(engine.Shape(xT[a])), ShapeText.Of(engine.Shape(c))));
            }
        }
        return FinSucc(unit);
    }
}

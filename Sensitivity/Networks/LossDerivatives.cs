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
    public static Fin<LossGradient<T>> Gradient<T>(IBlock<T> model, T x0, ILoss<T> loss, bool withParameters = true)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        using var untracked = engine.Untracked();
        return model.Forward(x0).Bind(forward =>
        {
            using var _ = forward;
            var xT = forward.Final;
            return forward.Reverse(loss.Gradient(xT), withParameters).Map(reverse =>
                Results.FirstOrder(engine, loss, xT, reverse.Lambda0, reverse.Controls, forward.Statistics + reverse.Statistics).Out(engine));
        });
    }

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
        return Sweeps(model, inputs, loss, seeds).Map(s =>
        {
            var perInput = new LossGradient<T>[inputs.Count];
            for (int a = 0; a < perInput.Length; a++)
                perInput[a] = Results.FirstOrder(engine, loss, s.FinalStates[a], s.InputSensitivities[a], s.FirstOrder[a], s.Statistics[a]).Out(engine);
            return new SeededGradient<T>(perInput, engine.Out(s.Seeds), engine.Out(s.Penalty));
        });
    }

    /// <summary>The seeded gradient at one input batch: <paramref name="seed"/> maps p(0) to v = ∂Ψ/∂p(0).</summary>
    public static Fin<SeededGradient<T>> SeededGradient<T>(IBlock<T> model, T x0, ILoss<T> loss, Func<T, T> seed) =>
        SeededGradient(model, [x0], loss, p => [seed(p[0])]);

    /// <summary>
    /// 𝒥 and ∇_θ 𝒥 by the second-order adjoint, with J, ∇_θ J and p(0) from the same sweeps: the seeded gradient with
    /// v = ∇φ(p(0)), φ = ‖·‖_{q*}, and ∇_θ 𝒥 = (1/B)(Σ ∇_θ ℓᵢ + ε ∇_θ Σᵢ⟨vᵢ, pᵢ(0)⟩).
    /// </summary>
    public static Fin<AugmentedGradient<T>> AugmentedGradient<T>(IBlock<T> model, T x0, ILoss<T> loss, AugmentedLoss augmented)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        using var untracked = engine.Untracked();
        return Sweeps(model, [x0], loss, p => [engine.DualNormGradient(augmented.Norm, p[0])]).Map(s =>
            Results.Augmented(engine, loss, augmented, s.FinalStates[0], s.InputSensitivities[0], s.FirstOrder[0], s.Penalty, s.Statistics[0]).Out(engine));
    }

    /// <summary>The sums the four sweeps leave at every input (in the caller's scope).</summary>
    private sealed record SweepSums<T>(T[] FinalStates, T[] InputSensitivities, IReadOnlyList<T> Seeds, IReadOnlyList<T>[] FirstOrder,
        IReadOnlyList<T> Penalty, SolveStatistics[] Statistics);

    private static Fin<SweepSums<T>> Sweeps<T>(IBlock<T> model, IReadOnlyList<T> inputs, ILoss<T> loss, Func<IReadOnlyList<T>, IReadOnlyList<T>> seeds)
    {
        var engine = model.Engine;
        int n = inputs.Count;
        if (n == 0) return FinFail<SweepSums<T>>(RobustNodeErrors.InvalidArgument("inputs", "a seeded gradient needs at least one input batch"));
        var forwards = new List<IForwardSweep<T>>(n);
        try
        {
            var xT = new T[n];
            var p0 = new T[n];
            var statistics = new SolveStatistics[n];
            for (int a = 0; a < n; a++)
            {
                var forward = model.Forward(inputs[a]);
                if (forward.IsFail) return forward.Map(_ => default(SweepSums<T>)!);
                var sweep = forward.Value();
                forwards.Add(sweep);
                xT[a] = sweep.Final;
                var reverse = sweep.Reverse(loss.Gradient(xT[a]), withControls: false);
                if (reverse.IsFail) return reverse.Map(_ => default(SweepSums<T>)!);
                p0[a] = reverse.Value().Lambda0;
                statistics[a] = sweep.Statistics + reverse.Value().Statistics;
            }
            var v = seeds(p0);
            if (v.Count != n)
                return FinFail<SweepSums<T>>(RobustNodeErrors.InvalidArgument("seeds", $"one seed per input batch: {n} inputs, {v.Count} seeds"));
            for (int a = 0; a < n; a++)
                if (!engine.Shape(v[a]).AsSpan().SequenceEqual(engine.Shape(p0[a])))
                    return FinFail<SweepSums<T>>(RobustNodeErrors.ShapeMismatch($"seeds[{a}]", ShapeText.Of(engine.Shape(p0[a])), ShapeText.Of(engine.Shape(v[a]))));
            var first = new IReadOnlyList<T>[n];
            IReadOnlyList<T>? penalty = null;
            for (int a = 0; a < n; a++)
            {
                var tangent = forwards[a].Tangent(v[a]);
                if (tangent.IsFail) return tangent.Map(_ => default(SweepSums<T>)!);
                using var sweep = tangent.Value();
                var second = sweep.Reverse(loss.Gradient(xT[a]), loss.HessianVectorProduct(xT[a], sweep.Final));
                if (second.IsFail) return second.Map(_ => default(SweepSums<T>)!);
                var result = second.Value();
                first[a] = result.Controls;
                statistics[a] += sweep.Statistics + result.Statistics;
                if (penalty is null) penalty = result.SecondOrderControls;
                else for (int j = 0; j < penalty.Count; j++) engine.AddInPlace(penalty[j], result.SecondOrderControls[j]);
            }
            return new SweepSums<T>(xT, p0, v, first, penalty!, statistics);
        }
        finally
        {
            foreach (var forward in forwards) forward.Dispose();
        }
    }
}

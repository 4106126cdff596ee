using RobustNode.Core.Engines;
using LanguageExt;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// The spectral norm of a network's Jacobian at given inputs, ‖J(x)‖₂, by power iteration on JᵀJ with the network's own
/// tangent (J v) and reverse (Jᵀ w) sweeps, one independent iteration per sample. Each estimate ‖J v‖/‖v‖ is a lower
/// bound of ‖J(x)‖₂ and so of the network's Lipschitz constant: an estimate above 1 proves the network is not
/// non-expansive (and not averaged), and no proven Lipschitz bound may lie below it.
/// </summary>
public static class JacobianNorm
{
    /// <summary>Per sample of x [B, …], the estimate of ‖J(xᵢ)‖₂ after <paramref name="iterations"/> power steps from a seeded start.</summary>
    public static Fin<double[]> Estimate(IBlock<Tensor> network, Tensor x, int iterations = 30, long seed = 0)
    {
        if (iterations < 1) return FinFail<double[]>(RobustNodeErrors.InvalidArgument("iterations", $"must be at least 1, got {iterations}"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return network.Forward(x).Bind(forward =>
        {
            using var _ = forward;
            Tensor Norms(Tensor t) => t.flatten(1).norm(1, true).AtLeast(1e-300);
            var shape = new long[x.shape.Length];
            System.Array.Fill(shape, 1L);
            shape[0] = x.shape[0];
            using var generator = new Generator(unchecked((ulong)seed));
            var v = randn(x.shape, x.dtype, generator: generator);
            v = v / Norms(v).view(shape);
            var estimate = zeros(x.shape[0], ScalarType.Float64);
            for (int k = 0; k < iterations; k++)
            {
                using var step = NewDisposeScope();
                var tangent = forward.Tangent(v);
                if (tangent.IsFail) return tangent.Map(_ => System.Array.Empty<double>());
                using var t = tangent.Match(Succ: s => s, Fail: _ => default(Sensitivity.Adjoints.ITangentSweep<Tensor>)!);
                var jv = t.Final;
                var reverse = forward.Reverse(jv, false);
                if (reverse.IsFail) return reverse.Map(_ => System.Array.Empty<double>());
                var jtjv = reverse.Match(Succ: r => r.Lambda0, Fail: _ => default(Tensor)!);
                estimate.Dispose();
                estimate = Norms(jv).to(ScalarType.Float64).MoveToOuterDisposeScope();     // ‖J v‖ with ‖v‖ = 1
                var next = (jtjv / Norms(jtjv).view(shape)).MoveToOuterDisposeScope();
                v.Dispose();
                v = next;
            }
            return FinSucc(estimate.data<double>().ToArray());
        });
    }
}

using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using Xunit;

namespace RobustNode.Tests.Engines;

/// <summary>
/// After warm-up, a loop of managed kernels whose every iteration runs in a dispose scope allocates nothing on the
/// managed heap: values come from the thread's pool and go back to it when the scope closes, shapes are inline, and
/// the scopes themselves are reused.
/// </summary>
public sealed class ManagedKernelsAllocateNothing
{
    [Fact]
    public void A_loop_of_kernels_in_scopes_allocates_nothing_after_warm_up()
    {
        AllocatesNothing<float>();
        AllocatesNothing<double>();
    }

    private static void AllocatesNothing<TScalar>()
        where TScalar : unmanaged, System.Numerics.IFloatingPointIeee754<TScalar>
    {
        var e = new ManagedEngine<TScalar>();
        const int batch = 64, dim = 8, layers = 4, classes = 3;
        var random = new Random(5);
        double[] Normal(int n) => Enumerable.Range(0, n).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        using var outer = e.OpenScope();
        var weights = e.FromValues(Normal(layers * dim * dim), default, layers, dim, dim);
        var biases = e.FromValues(Normal(layers * dim), default, layers, dim);
        var x0 = e.FromValues(Normal(batch * dim), default, batch, dim);
        var labels = e.FromValues(Enumerable.Range(0, batch).Select(i => (double)(i % classes)).ToArray(), default, batch);
        var m = e.ZerosLike(weights);
        var v = e.ZerosLike(weights);
        double h = 1.0 / layers;

        void Iteration()
        {
            using var scope = e.OpenScope();
            // An RK4 forward pass through the state algebra.
            var x = x0;
            for (int k = 0; k < layers; k++)
            {
                using var step = e.OpenScope();
                var w = e.Select(weights, k);
                var b = e.Select(biases, k);
                var k1 = e.Linear(e.Activate(Activation.Tanh, x), w, b);
                var k2 = e.Linear(e.Activate(Activation.Tanh, e.AddScaled(x, [h / 2], [k1])), w, b);
                var k3 = e.Linear(e.Activate(Activation.Tanh, e.AddScaled(x, [h / 2], [k2])), w, b);
                var k4 = e.Linear(e.Activate(Activation.Tanh, e.AddScaled(x, [h], [k3])), w, b);
                x = e.Keep(e.AddScaled(x, [h / 6, h / 3, h / 3, h / 6], [k1, k2, k3, k4]));
            }
            // Loss, its derivatives and a backward product.
            var logits = e.FirstColumns(x, classes);
            var loss = e.CrossEntropy(logits, labels);
            var g = e.PadColumns(e.CrossEntropyGradient(logits, labels), dim);
            var hv = e.CrossEntropyHessianVectorProduct(logits, e.Softmax(logits));
            var t = e.Activate(Activation.Sigmoid, x);
            var d1 = e.ActivationDerivative(Activation.Sigmoid, x, t);
            var d2 = e.ActivationSecondDerivative(Activation.Sigmoid, x, t, d1);
            var p = e.Multiply(e.MatMul(g, e.Select(weights, 0)), d1);
            var gw = e.TransposedMatMul(p, t);
            var gb = e.SumRows(p);
            _ = e.SumPerSample(e.Multiply(d2, g));
            // Norms, attack steps and selection.
            foreach (var norm in new[] { AttackNorm.Infinity, AttackNorm.Two, AttackNorm.One })
            {
                _ = e.DualNorm(norm, p);
                var step = e.Add(x0, e.DualNormGradient(norm, p), 0.1);
                _ = e.Project(norm, e.Add(step, x0, -1), 0.1);
            }
            var better = e.Greater(loss, e.Scale(loss, 0.5));
            _ = e.WhereRows(better, x, e.Clamp(e.Sign(x), -0.5, 0.5));
            _ = e.CountEqual(e.ArgMax(logits), labels);
            _ = e.Sum(loss) + e.Mean(gb) + e.Dot(gw, gw) + e.Extrema(hv).Max;
            _ = e.IsFinite(x) && e.ScaledSquares(x, x0, x, 1e-3, 1e-6).SumOfSquares > 0;
            // Adam's in-place moments on the first layer.
            var m0 = e.Select(m, 0);
            var v0 = e.Select(v, 0);
            e.ScaleInPlace(m0, 0.9);
            e.AddInPlace(m0, gw, 0.1);
            e.ScaleInPlace(v0, 0.999);
            e.AddProductInPlace(v0, gw, gw, 0.001);
            var denominator = e.Clone(v0);
            e.SqrtAddInPlace(denominator, 1e-8);
            e.AddQuotientInPlace(e.Select(weights, 0), m0, denominator, -1e-3);
            e.CopyInPlace(e.Select(biases, 0), e.Select(biases, 1));
            _ = e.GatherRows(x, [3, 1, 4]);
            _ = e.Reshape(e.Rows(x, 2, 4), -1);
        }

        for (int i = 0; i < 50; i++) Iteration();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++) Iteration();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{typeof(TScalar).Name}: 200 iterations allocated {allocated} bytes");
    }
}

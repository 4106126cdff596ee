using RobustNode.Core.Engines;
using FsCheck.Xunit;
using RobustNode.Core.Fields;
using RobustNode.Core.Spectral;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using RobustNode.Core.Tableaux;
using RobustNode.Tests.Sensitivity.Support;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Structure;

/// <summary>
/// The step facts of gradient-flow layers, on random A, b and inputs: an explicit Euler step of a contractive layer with
/// h ≤ 2/(sup σ'·‖A‖₂²) never increases distances, ‖Φ(x) − Φ(y)‖ ≤ ‖x − y‖; an expansive step stays within
/// 1 + h sup σ'‖A‖₂²; and the bound the library states for an ODE block (any step size, any tableau, dense or
/// convolutional) is never below the ratio ‖Φ(x) − Φ(y)‖/‖x − y‖ of random pairs. Projection restores the step rule.
/// </summary>
public sealed class GradientFlowStepsAreNonExpansive
{
    private static readonly string[] Activations = ["tanh", "relu", "softplus", "sigmoid", "identity"];

    private sealed record Layer(GradientFlowField<Tensor> Field, double H, double L);

    // One dense layer with h = fraction · c/(sup σ'·‖A‖²), so that h·L = fraction·c.
    private static Layer DenseLayer(int seed, FlowDirection direction, double fraction, double budget = 2)
    {
        var rng = new Random(seed);
        int d = rng.Next(1, 7), m = rng.Next(1, 9);
        var activation = Activation.ByName[Activations[rng.Next(Activations.Length)]];
        using var g = new Generator((ulong)(uint)seed);
        var a = randn([1, m, d], dtype: float64, generator: g) .Times(0.2 + 2 * rng.NextDouble());
        var b = randn([1, m], dtype: float64, generator: g);
        double norm = DenseSpectrum.SpectralNorm(a[0].data<double>().ToArray(), m, d);
        double l = activation.SlopeBound * norm * norm;
        double h = fraction * budget / l;
        return new Layer(GradientFlowField.Create(a, b, h, activation, [direction]).Ok(), h, l);
    }

    private static (double MaxRatio, double Bound) Ratios<T>(IVectorField<Tensor> field, ButcherTableau tableau, int seed, double spread = 1)
    {
        var block = OdeBlock.Create(field, SolverCatalog.Fixed(tableau));
        using var g = new Generator((ulong)(uint)seed + 99);
        var shape = new long[] { 64 }.Concat(field.StateShape).ToArray();
        var x = randn(shape, dtype: float64, generator: g).Times(2.0);
        // Pairs near and far: small perturbations probe the Jacobian, large ones the whole map.
        var y = x.Plus(randn(shape, dtype: float64, generator: g) * (rand(shape[..1], dtype: float64, generator: g).pow(TorchScalars.Two).Plus(0.01).Times(spread).view([-1, .. Enumerable.Repeat(1L, shape.Length - 1)])));
        var fx = Inference.Output(block, x).Ok();
        var fy = Inference.Output(block, y).Ok();
        var ratio = (fx - fy).flatten(1).norm(1) / (x - y).flatten(1).norm(1);
        var bound = LipschitzBounds.Of(block, shape).Ok().Value;
        return (ratio.max().item<double>(), bound);
    }

    [Property(MaxTest = 60)]
    public void Contractive_euler_steps_within_the_rule_are_non_expansive(int seed)
    {
        using var scope = NewDisposeScope();
        double fraction = new Random(seed).NextDouble() is var u && u < 0.2 ? 1 : u;   // the boundary h·L = 2 included
        var layer = DenseLayer(seed, FlowDirection.Contractive, fraction);
        var (ratio, bound) = Ratios<Tensor>(layer.Field, Tableaux.Euler, seed);
        Assert.True(ratio <= 1 + 1e-10, $"‖Φx − Φy‖/‖x − y‖ = {ratio:R} at h·L = {layer.H * layer.L:R}");
        Assert.Equal(1.0, bound, 12);
    }

    [Property(MaxTest = 60)]
    public void Expansive_euler_steps_stay_within_their_bound(int seed)
    {
        using var scope = NewDisposeScope();
        double fraction = 0.05 + new Random(seed).NextDouble() * 2;
        var layer = DenseLayer(seed, FlowDirection.Expansive, fraction, budget: 1);
        var (ratio, bound) = Ratios<Tensor>(layer.Field, Tableaux.Euler, seed);
        Assert.Equal(1 + layer.H * layer.L, bound, 10);
        Assert.True(ratio <= bound * (1 + 1e-10), $"ratio {ratio:R} above 1 + hL = {bound:R}");
    }

    [Property(MaxTest = 60)]
    public void The_stated_bound_of_a_block_is_never_below_the_observed_ratio(int seed)
    {
        // Any step size (also beyond the rule, where a contractive step is (hL − 1)-Lipschitz) and any tableau.
        using var scope = NewDisposeScope();
        var rng = new Random(seed);
        var direction = rng.Next(2) == 0 ? FlowDirection.Contractive : FlowDirection.Expansive;
        var layer = DenseLayer(seed, direction, 0.1 + 3 * rng.NextDouble());
        var tableau = new[] { Tableaux.Euler, Tableaux.Heun, Tableaux.Rk4, Tableaux.Midpoint }[rng.Next(4)];
        var (ratio, bound) = Ratios<Tensor>(layer.Field, tableau, seed, spread: 3);
        Assert.True(ratio <= bound * (1 + 1e-10), $"{tableau.Name}, {direction}: ratio {ratio:R} above the stated bound {bound:R}");
    }

    [Property(MaxTest = 15)]
    public void Convolutional_steps_keep_the_same_facts(int seed)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(seed);
        long c = rng.Next(1, 4), m = rng.Next(1, 5), side = rng.Next(2, 7);
        var activation = Activation.ByName[Activations[rng.Next(Activations.Length)]];
        var direction = rng.Next(2) == 0 ? FlowDirection.Contractive : FlowDirection.Expansive;
        using var g = new Generator((ulong)(uint)seed);
        var kernels = randn([1, m, c, 3, 3], dtype: float64, generator: g) .Times(0.2 + rng.NextDouble());
        var probe = ConvolutionGradientFlowField.Create(kernels, zeros([1, m], dtype: float64), side, side, 1, activation, [direction]).Ok();
        double l = probe.LipschitzConstant(0);
        double h = (direction == FlowDirection.Contractive ? 2 : 0.5 + rng.NextDouble()) * rng.NextDouble() / l;
        var field = ConvolutionGradientFlowField.Create(kernels, randn([1, m], dtype: float64, generator: g), side, side, h, activation, [direction]).Ok();
        var (ratio, bound) = Ratios<Tensor>(field, Tableaux.Euler, seed);
        Assert.True(ratio <= bound * (1 + 1e-10), $"ratio {ratio:R} above the bound {bound:R}");
        if (direction == FlowDirection.Contractive) Assert.Equal(1.0, bound, 12);
    }

    [Property(MaxTest = 30)]
    public void Projection_restores_the_step_rule_and_keeps_layers_that_keep_it(int seed)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(seed);
        var layer = DenseLayer(seed, rng.Next(2) == 0 ? FlowDirection.Contractive : FlowDirection.Expansive, 0.2 + 3 * rng.NextDouble());
        var before = layer.Field.Weights.clone();
        bool held = layer.Field.Check(layer.H).All(c => c.Holds);
        layer.Field.Constrain(layer.H);
        Assert.All(layer.Field.Check(layer.H), c => Assert.True(c.Holds, $"layer {c.Layer}: h·L = {c.Value:R} > {c.Budget:R} after projection"));
        if (held) Assert.True((layer.Field.Weights - before).abs().max().item<double>() == 0, $"a layer within its rule was changed: {string.Join(", ", layer.Field.Check(layer.H))}, max change {(layer.Field.Weights - before).abs().max().item<double>():R}");
    }

    [Property(MaxTest = 10)]
    public void Proven_projection_of_convolutions_restores_the_step_rule(int seed)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)(uint)seed);
        var kernels = randn([2, 3, 2, 3, 3], dtype: float64, generator: g);
        var field = ConvolutionGradientFlowField.Create(kernels, zeros([2, 3], dtype: float64), 5, 5, 1, Activation.Tanh,
            [FlowDirection.Contractive, FlowDirection.Expansive]).Ok();
        field.Constrain(0.5, ConstraintNorm.Tracked);
        field.Constrain(0.5);
        Assert.All(field.Check(0.5), c => Assert.True(c.Holds, $"layer {c.Layer}: h·L = {c.Value:R} > {c.Budget:R}"));
    }

    [Fact]
    public void Tracked_projection_of_large_dense_layers_keeps_the_estimate_within_the_rule_and_the_proven_one_restores_it()
    {
        // Shorter side 80 > the Jacobi limit: a tracked projection rescales by a power-iteration estimate (a lower bound of
        // ‖A_k‖₂), so only the proven projection that follows guarantees the rule; small layers are projected exactly either way.
        using var scope = NewDisposeScope();
        using var g = new Generator(41);
        var field = GradientFlowField.Create(randn([2, 80, 100], dtype: float64, generator: g), zeros([2, 80], dtype: float64), 1, Activation.Relu,
            [FlowDirection.Contractive, FlowDirection.Contractive]).Ok();
        double h = 0.5;
        Assert.All(field.Check(h), c => Assert.False(c.Holds));
        field.Constrain(h, ConstraintNorm.Tracked);
        Assert.All(field.Check(h), c => Assert.True(c.Value <= c.Budget * 1.2, $"layer {c.Layer}: h·L = {c.Value:R} far above {c.Budget:R} after a tracked projection"));
        field.Constrain(h);
        Assert.All(field.Check(h), c => Assert.True(c.Holds, $"layer {c.Layer}: h·L = {c.Value:R} > {c.Budget:R} after the proven projection"));
        // The estimate never exceeds the norm, so a tracked projection leaves layers within their rule as they are.
        var kept = field.Weights.clone();
        field.Constrain(h, ConstraintNorm.Tracked);
        Assert.Equal(0.0, (field.Weights - kept).abs().max().item<double>());
    }

    [Fact]
    public void A_non_monotone_activation_is_refused_where_a_convex_potential_is_needed()
    {
        using var scope = NewDisposeScope();
        // A σ that is not monotone is the derivative of no convex potential (a wave-like σ, as GELU or SiLU are).
        var wave = Activation.Tanh with { Name = "wave", Monotone = false };
        var dense = GradientFlowField.Create(zeros([2, 3, 2], dtype: float64), zeros([2, 3], dtype: float64), 1, wave, [FlowDirection.Contractive]);
        var convolutional = ConvolutionGradientFlowField.Create(zeros([1, 2, 2, 3, 3], dtype: float64), zeros([1, 2], dtype: float64), 4, 4, 1, wave,
            [FlowDirection.Contractive]);
        foreach (var message in new[] { dense.Match(_ => "", e => e.Head.Message), convolutional.Match(_ => "", e => e.Head.Message) })
            Assert.Contains("'wave' is not monotone, so it is not the derivative of a convex potential", message);
    }
}

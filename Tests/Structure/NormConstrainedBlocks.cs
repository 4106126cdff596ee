using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Core.Spectral;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Sensitivity.Networks;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Structure;

/// <summary>
/// The projections of norm-constrained blocks: a convolution rescaled by c/‖W ∗ ·‖₂ keeps its proven bound at most c and
/// its direction; a read-out's singular values clipped to c give ‖W‖₂ ≤ c with the smaller singular values unchanged; a
/// block within its bound is left alone; a read-out of rows of norm r keeps every row on its sphere and its direction,
/// with ‖W‖₂ ≤ r√C and every pairwise bound ≤ 2r; and the certificate's pairwise read-out bound is never above √2 L.
/// </summary>
[Collection(nameof(Collections.ScalarsLeftToTheFinalizer))]
public sealed class NormConstrainedBlocks
{
    [Theory]
    [InlineData(1, 1.0, 2)]
    [InlineData(2, 0.5, 1)]
    [InlineData(3, 2.0, 2)]
    public void A_projected_convolution_keeps_its_proven_bound_and_direction(int seed, double bound, int stride)
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var weight = randn([6, 3, 3, 3], dtype: float64, generator: g).Times(3);
        var block = new ConvolutionBlock(weight, zeros([6], dtype: float64), stride, Activation.Tanh) { Constraint = new ConvolutionNormBound(bound, 9, 9) };
        var before = weight.clone();
        Assert.True(block.OperatorNorm() > bound);
        block.Constrain();
        double after = ConvolutionSpectrum.UpperBound(block.Weight, 9, 9);
        Assert.True(after <= bound, $"‖W ∗ ·‖₂ ≤ {after:R} after the projection onto {bound}");
        Assert.True(after >= bound * (1 - 1e-8), "the projection moved further than onto the ball");
        double cosine = (before * block.Weight).sum().item<double>() / (before.norm().item<double>() * block.Weight.norm().item<double>());
        Assert.Equal(1.0, cosine, 12);
        var kept = block.Weight.clone();
        block.Constrain();
        // Within its bound (up to the rounding of the measured norm), a kernel is left as it is.
        Assert.True(MaxAbsDifference(kept, block.Weight) <= 1e-14 * kept.abs().max().item<double>(), "a kernel within its bound was changed");
    }

    [Theory]
    [InlineData(4, 1.0)]
    [InlineData(5, 3.0)]
    public void A_projected_read_out_clips_its_singular_values(int seed, double bound)
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var weight = randn([5, 8], dtype: float64, generator: g).Times(2);
        var before = linalg.svdvals(weight).data<double>().ToArray();
        var block = LinearBlock.Create(weight, zeros([5], dtype: float64)) with { NormBound = bound };
        block.Constrain();
        var after = linalg.svdvals(block.Weight).data<double>().ToArray();
        for (int i = 0; i < before.Length; i++)
            Assert.Equal(Math.Min(before[i], bound * (1 - 1e-9)), after[i], 10);
        Assert.True(block.OperatorNorm() <= bound);
    }

    [Theory]
    [InlineData(11, 1.0)]
    [InlineData(12, 0.3)]
    public void A_read_out_of_unit_rows_keeps_every_row_on_its_sphere_and_direction(int seed, double r)
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        const int classes = 5, features = 8;
        var weight = randn([classes, features], dtype: float64, generator: g).Times(3);
        var before = weight.clone();
        var block = LinearBlock.Create(weight, zeros([classes], dtype: float64)) with { RowNorm = r, NormBound = 100 };
        var network = new Network<Tensor>([block]);
        Assert.True(StepConstraints.Any(network));
        Ok(StepConstraints.Restore(network));
        var rows = linalg.vector_norm(block.Weight, dims: [1]).data<double>().ToArray();
        Assert.All(rows, n => Assert.Equal(r, n, 8));
        Assert.All(rows, n => Assert.True(n <= r));
        var cosines = ((before * block.Weight).sum(1) / (linalg.vector_norm(before, dims: [1]) * linalg.vector_norm(block.Weight, dims: [1]))).data<double>().ToArray();
        Assert.All(cosines, c => Assert.Equal(1.0, c, 12));
        // The bound kept is r√C (‖W‖₂ ≤ ‖W‖_F), not the spectral NormBound, which the row norm replaces.
        var (name, norm, bound) = Assert.Single(StepConstraints.CheckNorms(network));
        Assert.Equal(r * Math.Sqrt(classes), bound, 12);
        Assert.True(norm <= bound && Math.Abs(norm - block.OperatorNorm()) < 1e-12, $"‖W‖₂ = {norm:R}, bound {bound:R}");
        var pairs = LogitDifferenceBound.PairwiseDistances(block.Weight.data<double>().ToArray(), classes, features);
        Assert.All(pairs, d => Assert.True(d <= 2 * r));
        // A row already on its sphere stays there: the projection is idempotent up to rounding.
        var kept = block.Weight.clone();
        block.Constrain();
        Assert.True(MaxAbsDifference(kept, block.Weight) <= 1e-14);
    }

    [Theory]
    [InlineData(13, 1.0, 5, 8)]
    [InlineData(14, 0.5, 4, 4)]
    [InlineData(15, 2.0, 6, 3)]
    public void An_orthonormal_read_out_is_r_times_the_polar_factor(int seed, double r, int rows, int cols)
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var weight = randn([rows, cols], dtype: float64, generator: g).Times(3);
        var (u, _, vh) = linalg.svd(weight, fullMatrices: false);
        var polar = u.matmul(vh).Times(r * (1 - 1e-9));
        var block = LinearBlock.Create(weight.clone(), zeros([rows], dtype: float64)) with { RowNorm = r, Orthonormal = true };
        var network = new Network<Tensor>([block]);
        Ok(StepConstraints.Restore(network));
        Assert.True(MaxAbsDifference(polar, block.Weight) < 1e-10, $"|r U Vᵀ − projection| = {MaxAbsDifference(polar, block.Weight):E2}");
        Assert.All(linalg.svdvals(block.Weight).data<double>().ToArray(), s => Assert.Equal(r, s, 8));
        var (_, norm, bound) = Assert.Single(StepConstraints.CheckNorms(network));
        Assert.Equal(r, bound);
        Assert.True(norm <= bound, $"‖W‖₂ = {norm:R} above {bound:R}");
        if (rows <= cols)
        {
            // Orthonormal rows times r: every pairwise distance is √2 r.
            var pairs = LogitDifferenceBound.PairwiseDistances(block.Weight.data<double>().ToArray(), rows, cols);
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < rows; j++)
                    if (i != j) Assert.Equal(Math.Sqrt(2) * r, pairs[i * rows + j], 8);
        }
    }

    [Fact]
    public void Only_blocks_with_a_bound_are_constrained()
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator(6);
        var free = LinearBlock.Create(randn([3, 4], dtype: float64, generator: g).Times(10), zeros([3], dtype: float64));
        var network = new Network<Tensor>([free]);
        Assert.False(StepConstraints.Any(network));
        var bounded = new Network<Tensor>([free with { NormBound = 1 }]);
        Assert.True(StepConstraints.Any(bounded));
        Ok(StepConstraints.Restore(bounded));
        Assert.All(StepConstraints.CheckNorms(bounded), c => Assert.True(c.Norm <= c.Bound));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void The_pairwise_read_out_bound_is_never_above_sqrt2_L(int seed)
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var network = TwoRandomLinearLayers(g);
        var pairs = Ok(LogitDifferenceBound.Of(network, [1, 4]));
        double whole = Ok(LipschitzBounds.Of(network, [1, 4])).Value;
        Assert.True(pairs.Pairwise);
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++)
                if (i != j) Assert.True(pairs.Of(i, j) <= Math.Sqrt(2) * whole * (1 + 1e-12), $"K_{i}{j} = {pairs.Of(i, j):R} above √2 L = {Math.Sqrt(2) * whole:R}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_bounds_from_the_whole_networks_bound_equal_those_bounded_afresh(int seed)
    {
        Initialise();
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)seed);
        var network = TwoRandomLinearLayers(g);
        var single = LinearBlock.Create(randn([5, 4], dtype: float64, generator: g), zeros([5], dtype: float64));
        foreach (IBlock<Tensor> model in new IBlock<Tensor>[] { network, single })
        {
            var afresh = Ok(LogitDifferenceBound.Of(model, [1, 4]));
            var reused = Ok(LogitDifferenceBound.Of(model, [1, 4], Ok(LipschitzBounds.Of(model, [1, 4]))));
            Assert.Equal(afresh.Pairwise, reused.Pairwise);
            Assert.Equal(afresh.Body.Value, reused.Body.Value);
            Assert.Equal(afresh.Body.Factors, reused.Body.Factors);
            Assert.Equal(afresh.PairNorms, reused.PairNorms);
        }
    }

    // A 4 → 6 → 5 network of two random linear blocks.
    private static Network<Tensor> TwoRandomLinearLayers(Generator g) => new([
        LinearBlock.Create(randn([6, 4], dtype: float64, generator: g), zeros([6], dtype: float64)),
        LinearBlock.Create(randn([5, 6], dtype: float64, generator: g), zeros([5], dtype: float64))]);
}

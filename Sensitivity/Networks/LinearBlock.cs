using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Spectral;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Lipschitz;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// An affine block y = W z + b (W [out, in], b [out]), e.g. a read-out to class logits. Being linear in z,
/// its second-order terms reduce to ∂_z(W_θᵀλ)·σ = λ σᵀ for the weights and zero otherwise.
/// </summary>
/// <remarks>
/// With a <see cref="NormBound"/> c the block keeps ‖W‖₂ ≤ c: <see cref="Constrain"/> clips W's singular values to c
/// (from exact singular values, <see cref="DenseSpectrum.ClipSingularValues"/>) — the Euclidean projection onto the
/// spectral-norm ball, the same projection the dense gradient-flow layers use for their step rule.
/// With a <see cref="RowNorm"/> r instead, every row w_j of W is kept at ‖w_j‖₂ = r: <see cref="Constrain"/> rescales each
/// row onto the sphere (the Euclidean projection of a nonzero row onto it). The scale of the read-out then cannot
/// shrink, whatever a loss gains by shrinking it; the pairwise bound ‖w_i − w_j‖₂ ≤ 2r and ‖W‖₂ ≤ ‖W‖_F = r√C (C rows)
/// hold, and the Lipschitz bound still takes the measured ‖W‖₂ (<see cref="OperatorNorm"/>). This is the normalised
/// last layer of the 1-Lipschitz classifiers (Béthune et al., NeurIPS 2022, §4; the row-wise Frobenius normalisation of
/// deel-lip's last layer). Rows of fixed norm can still turn towards one another, which shrinks every ‖w_i − w_j‖₂; with
/// <see cref="Orthonormal"/> as well, W is kept at r times its polar factor (every singular value r,
/// <see cref="DenseSpectrum.PolarFactor"/>): for C ≤ d the rows are orthonormal times r, so ‖W‖₂ = r and every pairwise
/// distance is √2 r, fixed (the orthogonal last layer of Anil, Lucas &amp; Grosse, ICML 2019, §4, by projection).
/// </remarks>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed record LinearBlock<T>(IEngine<T> Engine, T Weight, T Bias) : IBlock<T>, INormConstrainedBlock
{
    /// <inheritdoc/>
    public string Name => "linear";
    /// <inheritdoc/>
    public bool RowsIndependent => true;
    /// <inheritdoc/>
    public IReadOnlyList<T> Parameters => [Weight, Bias];
    /// <inheritdoc/>
    public IBlock<T> WithParameters(IReadOnlyList<T> values) => this with { Weight = values[0], Bias = values[1] };
    /// <summary>The bound c the block keeps on ‖W‖₂, or null (unconstrained). Not used when <see cref="RowNorm"/> is set.</summary>
    public double? NormBound { get; init; }

    /// <summary>
    /// The norm r every row of W is kept at, ‖w_j‖₂ = r (null: rows free). It takes the place of <see cref="NormBound"/>:
    /// the bound the block then keeps on ‖W‖₂ (as an <see cref="INormConstrainedBlock"/>) is r√C, C the rows of W.
    /// </summary>
    public double? RowNorm { get; init; }

    /// <summary>
    /// With <see cref="RowNorm"/> r: W is kept at r times its polar factor (every singular value r; orthonormal rows times r
    /// when W has no more rows than columns) instead of rows of norm r alone. The bound kept on ‖W‖₂ is then r.
    /// </summary>
    public bool Orthonormal { get; init; }

    /// <inheritdoc/>
    double? INormConstrainedBlock.NormBound => RowNorm is { } r ? (Orthonormal ? r : r * Math.Sqrt(Engine.Shape(Weight)[0])) : NormBound;

    /// <summary>‖W‖₂ from the exact singular values.</summary>
    public double OperatorNorm()
    {
        var shape = Engine.Shape(Weight);
        return DenseSpectrum.SpectralNorm(Engine.ToArray(Weight), (int)shape[0], (int)shape[1]);
    }

    /// <inheritdoc/>
    public void Constrain()
    {
        if (RowNorm is { } r)
        {
            if (Orthonormal) Orthonormalise(r);
            else NormaliseRows(r);
            return;
        }
        if (NormBound is not { } bound) return;
        using var scope = Engine.OpenScope();
        var shape = Engine.Shape(Weight);
        int rows = (int)shape[0], cols = (int)shape[1];
        double radius = bound * (1 - RoundingMargin);
        var values = Engine.ToArray(Weight);
        if (DenseSpectrum.SpectralNorm(values, rows, cols) <= radius) return;
        Engine.CopyInPlace(Weight, Engine.FromValues(DenseSpectrum.ClipSingularValues(values, rows, cols, radius), Weight, rows, cols));
    }

    // A margin below the bound that survives rounding the projected matrix to the parameters' precision.
    private double RoundingMargin => Engine.DType(Weight) == ScalarType.Float64 ? 1e-9 : 1e-5;

    // W ← r (1 − δ) U Vᵀ, δ the rounding margin.
    private void Orthonormalise(double r)
    {
        using var scope = Engine.OpenScope();
        var shape = Engine.Shape(Weight);
        int rows = (int)shape[0], cols = (int)shape[1];
        var values = DenseSpectrum.PolarFactor(Engine.ToArray(Weight), rows, cols, r * (1 - RoundingMargin));
        Engine.CopyInPlace(Weight, Engine.FromValues(values, Weight, rows, cols));
    }

    // w_j ← r (1 − δ) w_j / ‖w_j‖₂ for every nonzero row (a zero row has no direction and stays zero), δ the rounding margin.
    private void NormaliseRows(double r)
    {
        using var scope = Engine.OpenScope();
        var shape = Engine.Shape(Weight);
        int rows = (int)shape[0], cols = (int)shape[1];
        double radius = r * (1 - RoundingMargin);
        var values = Engine.ToArray(Weight);
        for (int j = 0; j < rows; j++)
        {
            double sum = 0;
            for (int k = 0; k < cols; k++) sum += values[j * cols + k] * values[j * cols + k];
            if (sum == 0) continue;
            double factor = radius / Math.Sqrt(sum);
            for (int k = 0; k < cols; k++) values[j * cols + k] *= factor;
        }
        Engine.CopyInPlace(Weight, Engine.FromValues(values, Weight, rows, cols));
    }

    /// <inheritdoc/>
    public Fin<long[]> OutputShape(long[] inputShape)
    {
        var weight = Engine.Shape(Weight);
        return inputShape.Length == 2 && inputShape[1] == weight[1]
            ? FinSucc(new[] { inputShape[0], weight[0] })
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("linear block input", $"[B, {weight[1]}]", ShapeText.Of(inputShape)));
    }

    /// <inheritdoc/>
    public Fin<IForwardSweep<T>> Forward(T input) =>
        OutputShape(Engine.Shape(input)).Map(_ => (IForwardSweep<T>)new Sweep(this, input, Engine.Linear(input, Weight, Bias)));

    private sealed class Sweep(LinearBlock<T> block, T input, T output) : IForwardSweep<T>
    {
        private IEngine<T> E => block.Engine;
        public T Final => output;
        public SolveStatistics Statistics => SolveStatistics.Zero;

        public Fin<ReverseResult<T>> Reverse(T lambdaT, bool withControls) =>
            new ReverseResult<T>(E.MatMul(lambdaT, block.Weight),
                withControls ? [E.TransposedMatMul(lambdaT, input), E.SumRows(lambdaT)] : [], SolveStatistics.Zero);

        public Fin<ITangentSweep<T>> Tangent(T sigma0) => new TangentSweep(block, input, sigma0, E.Linear(sigma0, block.Weight, default));

        public void Dispose() { }
    }

    private sealed class TangentSweep(LinearBlock<T> block, T input, T sigmaIn, T sigmaOut) : ITangentSweep<T>
    {
        private IEngine<T> E => block.Engine;
        public T Final => sigmaOut;
        public SolveStatistics Statistics => SolveStatistics.Zero;

        public Fin<SecondOrderReverseResult<T>> Reverse(T lambdaT, T muT)
        {
            var secondWeight = E.TransposedMatMul(muT, input);
            E.AddTransposedMatMulInPlace(secondWeight, lambdaT, sigmaIn);
            return new SecondOrderReverseResult<T>(E.MatMul(lambdaT, block.Weight), E.MatMul(muT, block.Weight),
                [E.TransposedMatMul(lambdaT, input), E.SumRows(lambdaT)],
                [secondWeight, E.SumRows(muT)],
                SolveStatistics.Zero);
        }

        public void Dispose() { }
    }
}

/// <summary>Builds <see cref="LinearBlock{T}"/> values.</summary>
public static class LinearBlock
{
    /// <summary>An affine block of TorchSharp tensors W [out, in], b [out].</summary>
    public static LinearBlock<Tensor> Create(Tensor weight, Tensor bias) => new(TorchEngine.Instance, weight, bias);

    /// <summary>A read-out with weights drawn uniformly in ±1/√in (PyTorch's nn.Linear initialisation) from a generator.</summary>
    public static LinearBlock<Tensor> Initialised(long inputs, long outputs, Generator generator, ScalarType dtype = ScalarType.Float64)
    {
        double bound = 1.0 / Math.Sqrt(inputs);
        using var scope = NewDisposeScope();
        // (2 U(0, 1) − 1) · bound, weights first.
        Tensor Uniform(long[] shape) => rand(shape, dtype: dtype, generator: generator).Times(2).Minus(1).Times(bound).MoveToOuterDisposeScope();
        return Create(Uniform([outputs, inputs]), Uniform([outputs]));
    }
}

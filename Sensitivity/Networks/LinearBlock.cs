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
/// </remarks>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed record LinearBlock<T>(IEngine<T> Engine, T Weight, T Bias) : IBlock<T>, INormConstrainedBlock
{
    /// <inheritdoc/>
    public string Name => "linear";
    /// <inheritdoc/>
    public IReadOnlyList<T> Parameters => [Weight, Bias];
    /// <inheritdoc/>
    public IBlock<T> WithParameters(IReadOnlyList<T> values) => this with { Weight = values[0], Bias = values[1] };
    /// <summary>The bound c the block keeps on ‖W‖₂, or null (unconstrained).</summary>
    public double? NormBound { get; init; }

    /// <summary>‖W‖₂ from the exact singular values.</summary>
    public double OperatorNorm()
    {
        var shape = Engine.Shape(Weight);
        return DenseSpectrum.SpectralNorm(Engine.ToArray(Weight), (int)shape[0], (int)shape[1]);
    }

    /// <inheritdoc/>
    public void Constrain()
    {
        if (NormBound is not { } bound) return;
        using var scope = Engine.OpenScope();
        var shape = Engine.Shape(Weight);
        int rows = (int)shape[0], cols = (int)shape[1];
        // A margin below the bound that survives rounding the clipped matrix to the parameters' precision.
        double radius = bound * (1 - (Engine.DType(Weight) == ScalarType.Float64 ? 1e-9 : 1e-5));
        var values = Engine.ToArray(Weight);
        if (DenseSpectrum.SpectralNorm(values, rows, cols) <= radius) return;
        Engine.CopyInPlace(Weight, Engine.FromValues(DenseSpectrum.ClipSingularValues(values, rows, cols, radius), Weight, rows, cols));
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

using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;

namespace RobustNode.Tests.Attacks.Support;

/// <summary>Images [B, C, H, W] as vectors [B, C H W] (a view), so that dense blocks can classify them in tests.</summary>
internal sealed record FlattenBlock<T>(IEngine<T> Engine, long Channels, long Height, long Width) : IBlock<T>
{
    public string Name => "flatten";
    public IReadOnlyList<T> Parameters => [];
    public IBlock<T> WithParameters(IReadOnlyList<T> values) => this;

    public Fin<long[]> OutputShape(long[] inputShape) =>
        inputShape.Length == 4 && inputShape[1] == Channels && inputShape[2] == Height && inputShape[3] == Width
            ? FinSucc(new[] { inputShape[0], Channels * Height * Width })
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("input", $"[B, {Channels}, {Height}, {Width}]", ShapeText.Of(inputShape)));

    public Fin<IForwardSweep<T>> Forward(T input) =>
        OutputShape(Engine.Shape(input)).Map(shape => (IForwardSweep<T>)new Sweep(this, Engine.Reshape(input, shape)));

    private T Unflatten(T z) => Engine.Reshape(z, Engine.BatchSize(z), Channels, Height, Width);

    private sealed class Sweep(FlattenBlock<T> block, T output) : IForwardSweep<T>
    {
        public T Final => output;
        public SolveStatistics Statistics => SolveStatistics.Zero;
        public Fin<ReverseResult<T>> Reverse(T lambdaT, bool withControls) => new ReverseResult<T>(block.Unflatten(lambdaT), [], SolveStatistics.Zero);
        public Fin<ITangentSweep<T>> Tangent(T sigma0) =>
            new TangentSweep(block, block.Engine.Reshape(sigma0, block.Engine.BatchSize(sigma0), block.Channels * block.Height * block.Width));
        public void Dispose() { }
    }

    private sealed class TangentSweep(FlattenBlock<T> block, T sigmaOut) : ITangentSweep<T>
    {
        public T Final => sigmaOut;
        public SolveStatistics Statistics => SolveStatistics.Zero;
        public Fin<SecondOrderReverseResult<T>> Reverse(T lambdaT, T muT) =>
            new SecondOrderReverseResult<T>(block.Unflatten(lambdaT), block.Unflatten(muT), [], [], SolveStatistics.Zero);
        public void Dispose() { }
    }
}

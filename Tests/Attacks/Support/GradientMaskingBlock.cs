using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;

namespace RobustNode.Tests.Attacks.Support;

/// <summary>
/// A model that hides its gradients: the forward pass is the inner model's, every reverse (and tangent) sweep returns
/// zeros — the extreme case of gradient masking. Attacks that follow gradients stand still on it; an attack that only
/// queries outputs does not notice. Counts the sweeps asked for.
/// </summary>
internal sealed class GradientMaskingBlock<T>(IBlock<T> inner) : IBlock<T>
{
    public IEngine<T> Engine => inner.Engine;
    public string Name => "gradient-masking";
    public IReadOnlyList<T> Parameters => inner.Parameters;
    public IBlock<T> WithParameters(IReadOnlyList<T> values) => new GradientMaskingBlock<T>(inner.WithParameters(values));
    public Fin<long[]> OutputShape(long[] inputShape) => inner.OutputShape(inputShape);

    /// <summary>Reverse and tangent sweeps asked for so far.</summary>
    public int Sweeps { get; private set; }

    public Fin<IForwardSweep<T>> Forward(T input) =>
        inner.Forward(input).Map(sweep => (IForwardSweep<T>)new Sweep(this, input, sweep));

    private sealed class Sweep(GradientMaskingBlock<T> block, T input, IForwardSweep<T> inner) : IForwardSweep<T>
    {
        private IEngine<T> E => block.Engine;
        public T Final => inner.Final;
        public SolveStatistics Statistics => inner.Statistics;

        public Fin<ReverseResult<T>> Reverse(T lambdaT, bool withControls)
        {
            block.Sweeps++;
            return new ReverseResult<T>(E.ZerosLike(input), withControls ? block.Parameters.Select(E.ZerosLike).ToArray() : [], SolveStatistics.Zero);
        }

        public Fin<ITangentSweep<T>> Tangent(T sigma0)
        {
            block.Sweeps++;
            return FinFail<ITangentSweep<T>>(LanguageExt.Common.Error.New("a gradient-masking block has no tangent sweep"));
        }

        public void Dispose() => inner.Dispose();
    }
}

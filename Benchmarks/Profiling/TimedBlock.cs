using LanguageExt;
using RobustNode.Core.Fields;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers.Integration;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Profiling;

/// <summary>
/// A block that runs another block and charges each of its sweeps (forward, reverse, tangent, second-order reverse) to a
/// <see cref="SweepProfile"/>. An ODE block's field is wrapped in a <see cref="TimedField"/> as well, so its field calls
/// are charged to the sweep that makes them.
/// </summary>
internal sealed class TimedBlock : IBlock<Tensor>
{
    private readonly IBlock<Tensor> _inner;
    private readonly SweepProfile _profile;
    private readonly string _label;

    public TimedBlock(IBlock<Tensor> inner, string label, SweepProfile profile)
    {
        _inner = inner is OdeBlock<Tensor> ode ? ode with { Field = new TimedField(ode.Field, profile) } : inner;
        _label = label;
        _profile = profile;
    }

    public RobustNode.Core.Engines.IEngine<Tensor> Engine => _inner.Engine;
    public string Name => _inner.Name;
    public IReadOnlyList<Tensor> Parameters => _inner.Parameters;
    public IBlock<Tensor> WithParameters(IReadOnlyList<Tensor> values) => new TimedBlock(_inner.WithParameters(values), _label, _profile);
    public Fin<long[]> OutputShape(long[] inputShape) => _inner.OutputShape(inputShape);

    public Fin<IForwardSweep<Tensor>> Forward(Tensor input) =>
        _profile.Sweep(_label, SweepProfile.ForwardSweep, () => _inner.Forward(input)).Map(f => (IForwardSweep<Tensor>)new Sweep(f, _label, _profile));

    /// <summary>Every block of a network wrapped, labelled by position and name (e.g. "1 convolution", "4 ode").</summary>
    public static Network<Tensor> Wrap(Network<Tensor> network, SweepProfile profile) =>
        new(network.Blocks.Select((b, i) => (IBlock<Tensor>)new TimedBlock(b, $"{i + 1} {b.Name}", profile)).ToArray());

    private sealed class Sweep(IForwardSweep<Tensor> inner, string label, SweepProfile profile) : IForwardSweep<Tensor>
    {
        public Tensor Final => inner.Final;
        public SolveStatistics Statistics => inner.Statistics;

        public Fin<ReverseResult<Tensor>> Reverse(Tensor lambdaT, bool withControls) =>
            profile.Sweep(label, SweepProfile.ReverseSweep, () => inner.Reverse(lambdaT, withControls));

        // The variants are forwarded, not left to the interface's defaults, which would send the sweeps down other paths
        // than the network's own (keeping nothing for the second-order sweep; forming the images' cotangents).
        public Fin<ReverseResult<Tensor>> ReverseBeforeSecondOrder(Tensor lambdaT) =>
            profile.Sweep(label, SweepProfile.ReverseSweep, () => inner.ReverseBeforeSecondOrder(lambdaT));

        public Fin<ReverseResult<Tensor>> ReverseForControls(Tensor lambdaT) =>
            profile.Sweep(label, SweepProfile.ReverseSweep, () => inner.ReverseForControls(lambdaT));

        public Fin<ReverseResult<Tensor>> ReverseBeforeSecondOrderControls(Tensor lambdaT) =>
            profile.Sweep(label, SweepProfile.ReverseSweep, () => inner.ReverseBeforeSecondOrderControls(lambdaT));

        public Fin<ITangentSweep<Tensor>> Tangent(Tensor sigma0) =>
            profile.Sweep(label, SweepProfile.TangentSweep, () => inner.Tangent(sigma0)).Map(t => (ITangentSweep<Tensor>)new TangentSweep(t, label, profile));

        public void Dispose() => inner.Dispose();
    }

    private sealed class TangentSweep(ITangentSweep<Tensor> inner, string label, SweepProfile profile) : ITangentSweep<Tensor>
    {
        public Tensor Final => inner.Final;
        public SolveStatistics Statistics => inner.Statistics;

        public Fin<SecondOrderReverseResult<Tensor>> Reverse(Tensor lambdaT, Tensor muT) =>
            profile.Sweep(label, SweepProfile.SecondOrderSweep, () => inner.Reverse(lambdaT, muT));

        public Fin<SecondOrderReverseResult<Tensor>> ReverseForControls(Tensor lambdaT, Tensor muT) =>
            profile.Sweep(label, SweepProfile.SecondOrderSweep, () => inner.ReverseForControls(lambdaT, muT));

        public Fin<SecondOrderReverseResult<Tensor>> ReverseForSecondOrderControls(Tensor lambdaT, Tensor muT, bool inputCotangents) =>
            profile.Sweep(label, SweepProfile.SecondOrderSweep, () => inner.ReverseForSecondOrderControls(lambdaT, muT, inputCotangents));

        public void Dispose() => inner.Dispose();
    }
}

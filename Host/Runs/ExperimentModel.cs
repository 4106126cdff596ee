using System.Globalization;
using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Host.Composition;
using RobustNode.Host.Experiments;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Data;
using RobustNode.Training.Models;
using RobustNode.Training.Trainers;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Runs;

/// <summary>
/// An experiment's network for its data: built with its seed (the same seed gives the same parameters), described in
/// canonical text, and fingerprinted with the data and training options, so that a checkpoint restores only into
/// the run it belongs to.
/// </summary>
internal static class ExperimentModel
{
    /// <summary>The floating-point type of the network's parameters and inputs.</summary>
    public static ScalarType DType(ModelSettings model) => model is ImageModelSettings i ? i.DType : ScalarType.Float64;

    /// <summary>A freshly initialised network on TorchSharp (CPU unless a device is given), shaped for the data set's samples and classes.</summary>
    public static Fin<IBlock<Tensor>> Build(ModelSettings model, Dataset train, Device? device = null) => Build(TorchEngine.Instance, model, train, device);

    /// <summary>
    /// A freshly initialised network on an engine, shaped for the data set's samples and classes; the same seed gives the
    /// same parameters on every engine and device (they are drawn on the CPU, then moved to <paramref name="device"/>).
    /// Convolutional networks need the TorchSharp engine (the engine was resolved for the network at start-up).
    /// </summary>
    public static Fin<IBlock<T>> Build<T>(IEngine<T> engine, ModelSettings model, Dataset train, Device? device = null) => model switch
    {
        PointCloudModelSettings p => For(p, train).Build(engine, p.Seed, device).Map(n => (IBlock<T>)n),
        ImageModelSettings i when engine is IEngine<Tensor> => For(i, train).Build(i.Solver, i.Adjoint, unchecked((ulong)i.Seed), i.DType, device)
            .Map(n => (IBlock<T>)(object)n),
        ImageModelSettings => FinFail<IBlock<T>>(HostErrors.Configuration("Model:Engine", $"the engine '{engine.Name}' has no convolutions, which the image network needs")),
        _ => throw new InvalidOperationException($"unknown model settings {model.GetType().Name}"),
    };

    private static PointCloudModel For(PointCloudModelSettings p, Dataset train) =>
        p.Model with { Inputs = train.Features, Classes = train.Classes };

    private static ConvolutionalOdeModel For(ImageModelSettings i, Dataset train) =>
        i.Model with { InputChannels = (int)train.SampleShape[0], ImageSize = (int)train.SampleShape[^1], Classes = train.Classes };

    /// <summary>Every setting of the network, as canonical text.</summary>
    public static string Describe(ModelSettings model, Dataset train) => model switch
    {
        PointCloudModelSettings p => For(p, train).Describe(),
        ImageModelSettings i => DescribeImages(For(i, train), i),
        _ => model.ToString(),
    };

    private static string DescribeImages(ConvolutionalOdeModel m, ImageModelSettings i) => m.GradientFlow is { } flow
        ? FormattableString.Invariant(
            $"conv-{flow.Describe()[..^1]}, inputChannels={m.InputChannels}, imageSize={m.ImageSize}, classes={m.Classes}, width={m.Width}, layers={m.Layers}, T={m.FinalTime:R}, solver={PointCloudModel.DescribeSolver(i.Solver)}, adjoint={i.Adjoint.Name}, dtype={i.DType}{m.DescribeBounds()})")
        : FormattableString.Invariant(
            $"conv-ode(inputChannels={m.InputChannels}, imageSize={m.ImageSize}, classes={m.Classes}, width={m.Width}, layers={m.Layers}, T={m.FinalTime:R}, activation=tanh, solver={PointCloudModel.DescribeSolver(i.Solver)}, adjoint={i.Adjoint.Name}, dtype={i.DType}{m.DescribeBounds()})");

    /// <summary>The keys a saved model must share with an experiment to be evaluated in it: the network and the data it was trained on.</summary>
    public static readonly string[] ModelKeys = ["model", "data"];

    /// <summary>
    /// The fingerprint of one trainer's run: experiment, network, initialisation seed, training data and every
    /// training option that decides the trajectory (<see cref="TrainingOptions.Describe"/>; the number of epochs is not
    /// one of them, so a finished run can be extended).
    /// </summary>
    public static ConfigurationFingerprint Fingerprint(ExperimentSettings experiment, Dataset train, TrainingOptions options) =>
        new([
            new("experiment", experiment.Name),
            new("model", Describe(experiment.Model, train)),
            new("model.seed", experiment.Model.Seed.ToString(CultureInfo.InvariantCulture)),
            new("engine", experiment.Model.Engine),
            new("data", train.Name),
            .. options.Describe(),
        ]);
}

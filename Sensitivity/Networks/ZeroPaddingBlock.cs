using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Solvers.Integration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Sensitivity.Networks;

/// <summary>
/// Lifts inputs [B, n] into the state space [B, d] by appending d − n zeros (augmented neural ODEs, Dupont et
/// al. 2019), so that the flow has room to untangle classes. No parameters; its adjoint keeps the first n
/// components.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed record ZeroPaddingBlock<T>(IEngine<T> Engine, long Inputs, long Dim) : IBlock<T>
{
    /// <inheritdoc/>
    public string Name => "zero-padding";
    /// <inheritdoc/>
    public bool RowsIndependent => true;
    /// <inheritdoc/>
    public IReadOnlyList<T> Parameters => [];
    /// <inheritdoc/>
    public IBlock<T> WithParameters(IReadOnlyList<T> values) => this;

    /// <inheritdoc/>
    public Fin<long[]> OutputShape(long[] inputShape) =>
        inputShape.Length == 2 && inputShape[1] == Inputs && Dim >= Inputs
            ? FinSucc(new[] { inputShape[0], Dim })
            : FinFail<long[]>(RobustNodeErrors.ShapeMismatch("input", $"[B, {Inputs}]", ShapeText.Of(inputShape)));

    /// <inheritdoc/>
    public Fin<IForwardSweep<T>> Forward(T input) =>
        OutputShape(Engine.Shape(input)).Map(_ => (IForwardSweep<T>)new LinearMapSweep<T>(input, Pad, Crop));

    // Equal widths: a view of the input under a new handle, so that the block's output and its input are freed apart.
    private T Pad(T z) => Dim == Inputs ? Engine.Reshape(z, Engine.BatchSize(z), Dim) : Engine.PadColumns(z, Dim);
    private T Crop(T z) => Engine.FirstColumns(z, Inputs);
}

/// <summary>Builds <see cref="ZeroPaddingBlock{T}"/> values.</summary>
public static class ZeroPaddingBlock
{
    /// <summary>Zero padding of TorchSharp inputs [B, inputs] to [B, dim].</summary>
    public static ZeroPaddingBlock<Tensor> Create(long inputs, long dim) => new(TorchEngine.Instance, inputs, dim);
}

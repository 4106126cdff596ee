using static TorchSharp.torch;

namespace RobustNode.Training.Optimization;

/// <summary>
/// The mutable state of an optimizer: how many steps it has taken and its named buffers, one tensor per parameter in
/// each slot (SGD: "momentum"; Adam: "m", "v"). Everything a resumed run needs to continue bit-identically; a
/// checkpoint stores it as it is.
/// </summary>
public sealed class OptimizerState : IDisposable
{
    /// <summary>Name of the optimizer the state belongs to.</summary>
    public string Optimizer { get; }

    /// <summary>Number of steps taken.</summary>
    public long Steps { get; internal set; }

    /// <summary>The slot names, e.g. ["m", "v"].</summary>
    public IReadOnlyList<string> SlotNames { get; }

    /// <summary>Buffers by slot, then by parameter: <c>Slots[k][i]</c> is slot k of parameter i.</summary>
    public IReadOnlyList<IReadOnlyList<Tensor>> Slots { get; }

    public OptimizerState(string optimizer, long steps, IReadOnlyList<string> slotNames, IReadOnlyList<IReadOnlyList<Tensor>> slots)
    {
        if (slotNames.Count != slots.Count) throw new ArgumentException("one name per slot", nameof(slotNames));
        (Optimizer, Steps, SlotNames, Slots) = (optimizer, steps, slotNames, slots);
    }

    /// <summary>Zero buffers shaped like the parameters, owned by this state (outside any dispose scope).</summary>
    internal static OptimizerState Zeros(string optimizer, IReadOnlyList<string> slotNames, IReadOnlyList<Tensor> parameters) =>
        new(optimizer, 0, slotNames, slotNames.Select(_ => (IReadOnlyList<Tensor>)parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray()).ToArray());

    /// <summary>A deep copy (new tensors).</summary>
    public OptimizerState Clone() =>
        new(Optimizer, Steps, SlotNames, Slots.Select(s => (IReadOnlyList<Tensor>)s.Select(t => t.clone().DetachFromDisposeScope()).ToArray()).ToArray());

    public void Dispose()
    {
        foreach (var slot in Slots) foreach (var t in slot) t.Dispose();
    }
}

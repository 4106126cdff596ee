using RobustNode.Core.Engines;

namespace RobustNode.Training.Optimization;

/// <summary>
/// The mutable state of an optimizer: how many steps it has taken and its named buffers, one value per parameter in
/// each slot (SGD: "momentum"; Adam: "m", "v"), on the parameters' engine. Everything a resumed run needs to continue
/// bit-identically; a checkpoint stores it as it is.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class OptimizerState<T> : IDisposable
{
    /// <summary>The engine the buffers live on.</summary>
    public IEngine<T> Engine { get; }

    /// <summary>Name of the optimizer the state belongs to.</summary>
    public string Optimizer { get; }

    /// <summary>Number of steps taken.</summary>
    public long Steps { get; internal set; }

    /// <summary>The slot names, e.g. ["m", "v"].</summary>
    public IReadOnlyList<string> SlotNames { get; }

    /// <summary>Buffers by slot, then by parameter: <c>Slots[k][i]</c> is slot k of parameter i.</summary>
    public IReadOnlyList<IReadOnlyList<T>> Slots { get; }

    /// <summary>A state with the given step count and buffers, which it owns from now on.</summary>
    /// <param name="engine">The engine the buffers live on.</param>
    /// <param name="optimizer">The optimizer's name.</param>
    /// <param name="steps">Steps taken so far.</param>
    /// <param name="slotNames">The slot names, one per slot.</param>
    /// <param name="slots">Buffers by slot, then by parameter.</param>
    /// <exception cref="ArgumentException">The counts of slot names and slots differ.</exception>
    public OptimizerState(IEngine<T> engine, string optimizer, long steps, IReadOnlyList<string> slotNames, IReadOnlyList<IReadOnlyList<T>> slots)
    {
        if (slotNames.Count != slots.Count) throw new ArgumentException("one name per slot", nameof(slotNames));
        (Engine, Optimizer, Steps, SlotNames, Slots) = (engine, optimizer, steps, slotNames, slots);
    }

    /// <summary>Zero buffers shaped like the parameters, owned by this state (outside any scope).</summary>
    internal static OptimizerState<T> Zeros(IEngine<T> engine, string optimizer, IReadOnlyList<string> slotNames, IReadOnlyList<T> parameters)
    {
        var slots = new IReadOnlyList<T>[slotNames.Count];
        for (int k = 0; k < slots.Length; k++)
        {
            var buffers = new T[parameters.Count];
            for (int i = 0; i < buffers.Length; i++) buffers[i] = engine.DetachFromScope(engine.ZerosLike(parameters[i]));
            slots[k] = buffers;
        }
        return new OptimizerState<T>(engine, optimizer, 0, slotNames, slots);
    }

    /// <summary>A deep copy (new buffers).</summary>
    public OptimizerState<T> Clone()
    {
        var slots = new IReadOnlyList<T>[Slots.Count];
        for (int k = 0; k < slots.Length; k++)
        {
            var buffers = new T[Slots[k].Count];
            for (int i = 0; i < buffers.Length; i++) buffers[i] = Engine.DetachFromScope(Engine.Clone(Slots[k][i]));
            slots[k] = buffers;
        }
        return new OptimizerState<T>(Engine, Optimizer, Steps, SlotNames, slots);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var slot in Slots) foreach (var buffer in slot) Engine.Release(buffer);
    }
}

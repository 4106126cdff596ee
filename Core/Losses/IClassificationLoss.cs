namespace RobustNode.Core.Losses;

/// <summary>
/// A loss of class scores against class labels: what an attack needs to tell a misclassified sample (the predicted class
/// is the arg-max of the scores) and to build other losses of the same scores (the margin and DLR losses of APGD and
/// the Square attack).
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public interface IClassificationLoss<T> : ILoss<T>
{
    /// <summary>Class labels [B] in the engine's label form.</summary>
    T Labels { get; }

    /// <summary>True when the class scores are the final states themselves (no fixed read-out between them).</summary>
    bool ScoresAreFinalStates { get; }
}

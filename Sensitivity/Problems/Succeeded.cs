using LanguageExt;

namespace RobustNode.Sensitivity.Problems;

/// <summary>The value of a result already known to have succeeded (checked with IsFail before).</summary>
internal static class Succeeded
{
    public static T Value<T>(this Fin<T> fin) => fin.Match(Succ: v => v, Fail: e => throw new InvalidOperationException($"expected a success: {e.Message}"));
}

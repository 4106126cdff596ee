using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Tableaux;

namespace RobustNode.Tests.ButcherTableaux;

/// <summary>Reading the outcome of <see cref="ButcherTableau.Create"/> in tests.</summary>
internal static class TableauValidation
{
    /// <summary>Every failure reported (empty on success).</summary>
    public static Seq<Error> Failures(this Validation<Error, ButcherTableau> v) =>
        v.Match(Succ: _ => Seq<Error>.Empty, Fail: errors => errors);

    /// <summary>The same tableau rebuilt through <see cref="ButcherTableau.Create"/> with changed coefficients.</summary>
    public static Validation<Error, ButcherTableau> Rebuild(ButcherTableau t,
        double[,]? a = null, double[]? b = null, double[]? c = null, double[]? bHat = null) =>
        ButcherTableau.Create(t.Name, a ?? t.A.ToArray(), b ?? t.B.ToArray(), c ?? t.C.ToArray(), t.Order, bHat ?? t.BHat?.ToArray(), t.EmbeddedOrder, t.MidpointWeights?.ToArray());
}

using RobustNode.Core.Tableaux;
using Xunit;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.ButcherTableaux;

/// <summary>
/// A validated tableau cannot be changed afterwards: its coefficients are read-only views of private copies, so
/// neither a write through the public surface (<c>Tableaux.Rk4.B[0] = 7</c> does not compile) nor a change to the
/// arrays it was built from can corrupt a scheme whose order conditions were checked.
/// </summary>
public sealed class TableauImmutability
{
    [Fact]
    public void The_coefficients_of_a_builtin_tableau_are_not_writable_arrays()
    {
        var rk4 = Builtins.Rk4;
        Assert.IsNotType<double[]>(rk4.B);
        Assert.IsNotType<double[]>(rk4.C);
        Assert.IsNotType<double[]>(Builtins.DormandPrince.BHat);
        Assert.IsNotType<double[]>(Builtins.DormandPrince.ErrorWeights);
        Assert.IsNotType<double[]>(Builtins.DormandPrince.MidpointWeights);
        // Even through the mutable list interface the views refuse to change.
        Assert.Throws<NotSupportedException>(() => ((IList<double>)rk4.B)[0] = 7);
        Assert.Throws<NotSupportedException>(() => ((IList<double>)Builtins.DormandPrince.BHat!)[0] = 7);
        var copy = rk4.A.ToArray();
        copy[1, 0] = 7;
        Assert.Equal(0.5, rk4.A[1, 0]);
        Assert.Equal(1.0 / 6, rk4.B[0]);
    }

    [Fact]
    public void Changing_the_arrays_a_tableau_was_built_from_does_not_change_the_tableau()
    {
        var a = Builtins.Rk4.A.ToArray();
        var b = Builtins.Rk4.B.ToArray();
        var c = Builtins.Rk4.C.ToArray();
        var tableau = ButcherTableau.Create("copy", a, b, c, 4).Match(Succ: t => t, Fail: e => throw new InvalidOperationException(e.Head.Message));
        a[1, 0] = 7;
        b[0] = 7;
        c[1] = 7;
        Assert.Equal(0.5, tableau.A[1, 0]);
        Assert.Equal(1.0 / 6, tableau.B[0]);
        Assert.Equal(0.5, tableau.C[1]);
        Assert.True(OrderConditions.Satisfies(tableau.A, tableau.B, 4));
    }
}

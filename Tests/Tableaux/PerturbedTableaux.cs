using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using RobustNode.Core.Errors;
using RobustNode.Core.Tableaux;
using Xunit;
using Builtins = RobustNode.Core.Tableaux.Tableaux;

namespace RobustNode.Tests.ButcherTableaux;

/// <summary>A change of one coefficient of a built-in tableau: which tableau, which coefficient (taken modulo their number), by how much.</summary>
public sealed record Perturbation(int Tableau, int Coefficient, double Size)
{
    public ButcherTableau Target => Builtins.All[Tableau];

    public override string ToString() => $"{Target.Name}, coefficient #{Coefficient}, δ = {Size:G3}";
}

/// <summary>Perturbations of size 10⁻⁶ ≤ |δ| ≤ 1 (log-uniform, either sign) of any coefficient of any built-in tableau.</summary>
public static class Perturbations
{
    public static Arbitrary<Perturbation> Any() =>
        (from tableau in Gen.Choose(0, Builtins.All.Count - 1)
         from coefficient in Gen.Choose(0, 10_000)
         from exponent in Gen.Choose(-6000, 0)
         from sign in Gen.Elements(-1.0, 1.0)
         select new Perturbation(tableau, coefficient, sign * Math.Pow(10, exponent / 1000.0))).ToArbitrary();
}

/// <summary>
/// The order conditions are sharp: moving any single weight bᵢ, entry aᵢⱼ, node cᵢ or embedded weight b̂ᵢ
/// of a valid tableau by at least 10⁻⁶ makes <see cref="ButcherTableau.Create"/> fail, and the failure names
/// the broken condition — an order condition (Σ bᵢ = 1 moves with every bᵢ) or consistency c = A·1 (every
/// row sum moves with its aᵢⱼ).
/// </summary>
[Properties(Arbitrary = [typeof(Perturbations)])]
public sealed class PerturbedTableaux
{
    [Property]
    public bool Perturbing_a_weight_breaks_an_order_condition(Perturbation p)
    {
        var t = p.Target;
        var b = t.B.ToArray();
        b[p.Coefficient % b.Length] += p.Size;
        var failures = TableauValidation.Rebuild(t, b: b).Failures();
        return !failures.IsEmpty
            && failures.Exists(e => e.Code == RobustNodeErrors.OrderConditionCode && e.Message.Contains("order condition") && e.Message.Contains("for b:"));
    }

    [Property]
    public bool Perturbing_an_entry_of_A_breaks_consistency_c_equals_A1(Perturbation p)
    {
        var t = p.Target;
        var a = t.A.ToArray();
        int s = t.Stages, k = p.Coefficient % (s * s), i = k / s, j = k % s;
        a[i, j] += p.Size;
        var failures = TableauValidation.Rebuild(t, a: a).Failures();
        bool namesConsistency = failures.Exists(e => e.Message.Contains("c = A·1") && e.Message.Contains($"row {i + 1}"));
        bool namesExplicitness = j < i || failures.Exists(e => e.Message.Contains("not explicit"));
        return namesConsistency && namesExplicitness;
    }

    [Property]
    public bool Perturbing_a_node_breaks_consistency_c_equals_A1(Perturbation p)
    {
        var t = p.Target;
        var c = t.C.ToArray();
        int i = p.Coefficient % c.Length;
        c[i] += p.Size;
        return TableauValidation.Rebuild(t, c: c).Failures()
            .Exists(e => e.Code == RobustNodeErrors.InvalidTableauCode && e.Message.Contains("c = A·1") && e.Message.Contains($"c{i + 1}"));
    }

    [Property]
    public bool Perturbing_an_embedded_weight_breaks_an_embedded_order_condition(Perturbation p)
    {
        var embedded = Builtins.All.Where(x => x.IsAdaptive).ToArray();
        var t = embedded[p.Tableau % embedded.Length];
        var bHat = t.BHat!.ToArray();
        bHat[p.Coefficient % bHat.Length] += p.Size;
        return TableauValidation.Rebuild(t, bHat: bHat).Failures()
            .Exists(e => e.Message.Contains("order condition") && e.Message.Contains("for b̂:"));
    }

    [Fact]
    public void Every_built_in_tableau_rebuilds_without_failures() =>
        Assert.All(Builtins.All, t => Assert.True(TableauValidation.Rebuild(t).Failures().IsEmpty, t.Name));
}

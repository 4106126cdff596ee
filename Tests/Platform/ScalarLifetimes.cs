using System.Collections.Concurrent;
using System.Reflection;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace RobustNode.Tests.Platform;

/// <summary>
/// TorchSharp 0.107 frees a <see cref="Scalar"/> (and a <see cref="Generator"/>) from its finalizer, and its methods hold
/// no reference to the argument while libtorch reads it: a number converted implicitly (<c>t * 0.5</c>,
/// <c>t.add_(u, alpha)</c>, <c>t.clamp(lo, hi)</c>) or created inside TorchSharp (<c>a + b</c> passes alpha = 1) is
/// garbage during the native call, and a collection started by any other thread can free it under libtorch. These tests
/// read the IL of every method of the libraries and the program and refuse every such call (test classes that still make
/// such calls run alone: <see cref="TestIsolation"/>), so the hazard cannot come back unnoticed: numbers must reach libtorch as explicit scalars that live across the call
/// (<see cref="Core.Engines.TorchScalars"/>), or not at all.
/// </summary>
public sealed class ScalarLifetimes
{
    private static readonly Assembly TorchSharpAssembly = typeof(Scalar).Assembly;

    private static readonly string[] Libraries = ["RobustNode.Core", "RobustNode.Solvers", "RobustNode.Sensitivity", "RobustNode.Training", "robustnode"];

    [Fact]
    public void No_library_call_leaves_a_scalar_to_the_finalizer() => AssertNoHazards(Libraries.Select(Assembly.Load));

    [Fact]
    public void The_guard_sees_implicit_scalars_and_tensor_additions()
    {
        // The guard itself: methods below hold each kind of hazard, and each is found.
        var found = typeof(Hazards).GetMethods(BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .ToDictionary(m => m.Name, m => Findings(m).Count);
        Assert.All(found, f => Assert.True(f.Value > 0, $"{f.Key}: not found"));
        Assert.Empty(Findings(typeof(Hazards).GetMethod(nameof(Hazards.Safe), BindingFlags.Public | BindingFlags.Static)!));
    }

    /// <summary>Methods holding each kind of hazard on purpose, for the guard's own test.</summary>
    internal static class Hazards
    {
        private static Tensor Implicit(Tensor t) => t.mul(0.5);
        private static Tensor Operator(Tensor t) => t * 2.0;
        private static Tensor Addition(Tensor t, Tensor u) => t + u;
        private static Tensor ExplicitNeverDisposed(Tensor t) => t.mul(0.5.ToScalar());
        private static Tensor TemporaryGenerator() => rand([2], generator: new Generator(1));

        public static Tensor Safe(Tensor t, Tensor u)
        {
            using var half = 0.5.ToScalar();
            using var generator = new Generator(1);
            return t.mul(half).add(u, Core.Engines.TorchScalars.One).add(rand([2], generator: generator), Core.Engines.TorchScalars.One);
        }
    }

    private static void AssertNoHazards(IEnumerable<Assembly> assemblies)
    {
        var findings = assemblies.SelectMany(IlCalls.Declared)
            .Select(m => (Method: m, Calls: Findings(m)))
            .Where(f => f.Calls.Count > 0)
            .Select(f => $"{Describe(f.Method)}: {string.Join(", ", f.Calls.Distinct())}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(findings.Count == 0,
            $"{findings.Count} methods hand libtorch a Scalar or Generator that only the finalizer frees; use explicit scalars that live across the call " +
            $"(TorchScalars, or `using var s = x.ToScalar()`):\n  " + string.Join("\n  ", findings));
    }

    private static string Describe(MethodBase m) => $"{m.DeclaringType?.FullName}.{m.Name}";

    /// <summary>The hazardous calls of one method.</summary>
    internal static List<string> Findings(MethodBase method)
    {
        var calls = IlCalls.Of(method).ToList();
        bool disposes = calls.Any(IsDispose);
        bool staticInitialiser = method is ConstructorInfo { IsStatic: true };
        var findings = new List<string>();
        foreach (var call in calls)
        {
            if (IsImplicitScalar(call) && !staticInitialiser) findings.Add($"implicit Scalar from {call.GetParameters()[0].ParameterType.Name}");
            else if (IsExplicitScalar(call) && !disposes && !staticInitialiser) findings.Add($"{call.Name}() never disposed");
            else if (IsGeneratorOwner(call) && !disposes && !staticInitialiser) findings.Add("a Generator never disposed");
            else if (IsHazardous(call)) findings.Add($"{call.DeclaringType?.Name}.{call.Name}({string.Join(", ", call.GetParameters().Select(p => p.ParameterType.Name))})");
        }
        return findings;
    }

    private static bool IsImplicitScalar(MethodBase m) => m is MethodInfo { Name: "op_Implicit" } i && i.ReturnType == typeof(Scalar);

    private static bool IsExplicitScalar(MethodBase m) => m.DeclaringType == typeof(ScalarExtensionMethods) && m is MethodInfo i && i.ReturnType == typeof(Scalar);

    private static bool IsGeneratorOwner(MethodBase m) =>
        m.DeclaringType == typeof(Generator) && (m is ConstructorInfo || m.Name == "get_Default");

    private static bool IsDispose(MethodBase m) => m.Name == "Dispose" && m.GetParameters().Length == 0;

    private static readonly ConcurrentDictionary<MethodBase, bool> Verdicts = new();

    /// <summary>
    /// A TorchSharp method that makes a Scalar it never disposes (an implicit conversion or ToScalar), or calls one that
    /// does: <c>Tensor.add(Tensor)</c> passes alpha = 1, the operators with numbers convert them.
    /// </summary>
    private static bool IsHazardous(MethodBase m) => IsHazardous(m, []);

    private static bool IsHazardous(MethodBase m, HashSet<MethodBase> visiting)
    {
        if (m.Module.Assembly != TorchSharpAssembly || IsImplicitScalar(m) || IsExplicitScalar(m)) return false;
        if (Verdicts.TryGetValue(m, out var known)) return known;
        if (!visiting.Add(m)) return false;
        var calls = IlCalls.Of(m).ToList();
        bool disposes = calls.Any(IsDispose);
        bool verdict = calls.Any(c => (IsImplicitScalar(c) || IsExplicitScalar(c)) && !disposes && !ReturnsScalar(m))
            || calls.Any(c => IsHazardous(c, visiting));
        visiting.Remove(m);
        Verdicts[m] = verdict;
        return verdict;
    }

    // A method that makes a Scalar and hands it out (Tensor.ToScalar, item conversions) leaves its lifetime to the caller.
    private static bool ReturnsScalar(MethodBase m) => m is MethodInfo i && i.ReturnType == typeof(Scalar);
}

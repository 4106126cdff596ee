using System.Reflection;
using RobustNode.Tests.Collections;
using Xunit;

namespace RobustNode.Tests.Platform;

/// <summary>
/// The test classes run in parallel, so a class that does something unsafe beside other tests must be in the collection
/// that keeps it apart. These tests read the IL of each test class — its methods, lambdas and base classes, and every
/// method of the test assembly they call, transitively — and name the classes outside their collection.
/// </summary>
public sealed class TestIsolation
{
    private static readonly Assembly Tests = typeof(TestIsolation).Assembly;

    [Fact]
    public void Test_classes_that_leave_a_scalar_to_the_finalizer_run_alone()
    {
        var hazards = new Dictionary<MethodBase, bool>();
        bool Hazardous(MethodBase m) =>
            m.DeclaringType != typeof(ScalarLifetimes.Hazards) &&
            (hazards.TryGetValue(m, out var known) ? known : hazards[m] = ScalarLifetimes.Findings(m).Count > 0);
        var outside = TestClasses()
            .Where(c => !RunsAlone(c) && Reaches(c, Hazardous))
            .Select(c => c.FullName).Order(StringComparer.Ordinal).ToList();
        Assert.True(outside.Count == 0,
            $"{outside.Count} test classes hand libtorch a Scalar or Generator that only the finalizer frees but run beside other tests; " +
            $"make their numbers explicit (TorchScalars) or mark them [Collection(nameof({nameof(ScalarsLeftToTheFinalizer)}))]:\n  " + string.Join("\n  ", outside));
    }

    [Fact]
    public void Test_classes_that_set_the_libtorch_thread_count_share_a_collection()
    {
        var outside = TestClasses()
            .Where(c => !RunsAlone(c) && CollectionOf(c) != nameof(LibtorchThreadCount) &&
                        Reaches(c, m => IlCalls.Of(m).Any(call => call.Name == "set_num_threads" && call.DeclaringType == typeof(TorchSharp.torch))))
            .Select(c => c.FullName).Order(StringComparer.Ordinal).ToList();
        Assert.True(outside.Count == 0,
            $"{outside.Count} test classes set libtorch's thread count (directly or by running the program) outside the collection " +
            $"{nameof(LibtorchThreadCount)}; mark them [Collection(nameof({nameof(LibtorchThreadCount)}))]:\n  " + string.Join("\n  ", outside));
    }

    [Fact]
    public void The_guard_follows_calls_and_lambdas_into_other_test_code()
    {
        Assert.True(Reaches(typeof(CallsSafeIndirectly), m => m == typeof(ScalarLifetimes.Hazards).GetMethod(nameof(ScalarLifetimes.Hazards.Safe))));
        Assert.False(Reaches(typeof(CallsSafeIndirectly), m => m.DeclaringType == typeof(ScalarLifetimes.Hazards) && m.Name != nameof(ScalarLifetimes.Hazards.Safe)));
    }

    private static class CallsSafeIndirectly
    {
        private static Func<TorchSharp.torch.Tensor> Later() => () => Now();

        private static TorchSharp.torch.Tensor Now() => ScalarLifetimes.Hazards.Safe(null!, null!);
    }

    /// <summary>The non-abstract classes of the test assembly with at least one test method.</summary>
    private static IEnumerable<Type> TestClasses() =>
        Tests.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } &&
            t.GetMethods(BindingFlags.Public | BindingFlags.Instance).Any(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any()));

    private static string? CollectionOf(Type c) =>
        c.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType == typeof(CollectionAttribute))?.ConstructorArguments[0].Value as string;

    /// <summary>Whether a class's collection is defined with <c>DisableParallelization</c>.</summary>
    private static bool RunsAlone(Type c) =>
        CollectionOf(c) is { } name && Tests.GetTypes().Any(t =>
            t.GetCustomAttribute<CollectionDefinitionAttribute>() is { DisableParallelization: true } d && t.Name == name);

    /// <summary>
    /// Whether a method of the class (its own, its nested types', its base classes') or a method of the test assembly
    /// they call, transitively, satisfies <paramref name="found"/>.
    /// </summary>
    private static bool Reaches(Type testClass, Func<MethodBase, bool> found)
    {
        var seen = new HashSet<MethodBase>();
        var pending = new Stack<MethodBase>(OwnMethods(testClass));
        while (pending.Count > 0)
        {
            var m = pending.Pop();
            if (!seen.Add(m)) continue;
            if (found(m)) return true;
            foreach (var call in IlCalls.Of(m))
                if (call.Module.Assembly == Tests && Definition(call) is { } d && !seen.Contains(d)) pending.Push(d);
        }
        return false;
    }

    private static IEnumerable<MethodBase> OwnMethods(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        for (var t = type; t is not null && t.Assembly == Tests; t = t.BaseType)
        {
            var definition = t.IsGenericType ? t.GetGenericTypeDefinition() : t;
            foreach (var m in definition.GetConstructors(all).Cast<MethodBase>().Concat(definition.GetMethods(all))) yield return m;
            foreach (var nested in definition.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic))
                foreach (var m in OwnMethods(nested)) yield return m;
        }
    }

    // The generic definition of a call's target, so that every instantiation is read once, with its own IL.
    private static MethodBase? Definition(MethodBase call)
    {
        try { return call.Module.ResolveMethod(call.MetadataToken); }
        catch (ArgumentException) { return null; }
    }
}

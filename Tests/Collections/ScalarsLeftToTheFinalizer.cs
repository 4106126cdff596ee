using Xunit;

namespace RobustNode.Tests.Collections;

/// <summary>
/// Test classes whose own code (or the test code it calls) still hands libtorch a Scalar or Generator that only the
/// finalizer frees (<c>a + b</c>, <c>0.5 * t</c>, <c>t.square()</c>): they run alone, after the parallel tests, so that
/// no other test's allocations start a collection in the middle of such a call. <c>ScalarLifetimes</c> finds these
/// classes from their IL and refuses any that is not in this collection; a class whose code is made explicit
/// (<see cref="Core.Engines.TorchScalars"/>) can leave it.
/// </summary>
[CollectionDefinition(nameof(ScalarsLeftToTheFinalizer), DisableParallelization = true)]
public sealed class ScalarsLeftToTheFinalizer;

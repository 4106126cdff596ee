using Xunit;

namespace RobustNode.Tests.Collections;

/// <summary>
/// Test classes that assert a bound on wall time of about a second (a refused input must be refused at once): they run
/// alone, so that concurrent tests do not take their core.
/// </summary>
[CollectionDefinition(nameof(WallTimeBounds), DisableParallelization = true)]
public sealed class WallTimeBounds;

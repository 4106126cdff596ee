using Xunit;

namespace RobustNode.Tests.Collections;

/// <summary>
/// Test classes that set libtorch's intra-op thread count (<c>torch.set_num_threads</c>), in practice by running the
/// program in-process, whose <c>Torch:Threads</c> setting applies for the run: they run one at a time, so that each
/// restores the count the next one starts from. <c>TestIsolation</c> finds these classes from their IL.
/// </summary>
[CollectionDefinition(nameof(LibtorchThreadCount))]
public sealed class LibtorchThreadCount;

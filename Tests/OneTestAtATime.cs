using Xunit;

// The tests run one at a time. TorchSharp 0.107 frees a Scalar in its finalizer and holds no reference to it while
// libtorch reads it: every tensor op with a number (t * 0.5, 1 - t) and every tensor addition (alpha = 1) creates one.
// A garbage collection started by another thread's allocations in the middle of such a call can free the Scalar under
// libtorch, which then fails with "Expected false to be true" (c10 Scalar::toDouble) or reads a wrong number. Test
// classes running side by side allocate all the time; that failed about one suite run in six.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

using Xunit;

// Test classes run in parallel, on as many threads as the machine has cores. TorchSharp 0.107 frees a Scalar in its
// finalizer and holds no reference to it while libtorch reads it, so a garbage collection started by another test's
// allocations could free a number under libtorch: the libraries hand libtorch only explicit scalars (TorchScalars), and
// test classes that still use implicit ones run alone (Collections.ScalarsLeftToTheFinalizer). Classes touching other
// process-wide state share a collection: libtorch's thread count (Collections.LibtorchThreadCount), wall-time bounds
// (Collections.WallTimeBounds), resident memory (Sensitivity.MemoryMeasurements). Platform.TestIsolation finds the
// first two kinds from the IL and refuses a class outside its collection.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, DisableTestParallelization = false)]

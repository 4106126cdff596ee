using RobustNode.Core.Fields;
using RobustNode.Core.Norms;
using static TorchSharp.torch;

namespace RobustNode.Core.Engines;

/// <summary>
/// An engine: where the numbers of a computation live and the kernels that compute with them. Everything above it —
/// vector fields, the Runge–Kutta stage recurrence, the adjoint sweeps, losses, attacks and optimizers — is written
/// once against this interface and runs on every engine. Two engines exist: the TorchSharp engine (tensors on the CPU
/// or a GPU, any floating dtype; the only engine with convolutions) and the managed engine (dense row-major arrays of
/// float or double with SIMD kernels and no native calls; for small dense states, where libtorch's per-call overhead
/// is most of the cost).
/// </summary>
/// <remarks>
/// <para>Shapes are batch-first as in PyTorch: states [B, d] (or [B, C, H, W] on engines that have images), per-sample
/// values [B], parameters in their own shapes (W [m, n], b [m], stacked per-layer controls [N, …]).</para>
/// <para>Ownership follows TorchSharp's dispose scopes: every method returns a new value owned by the innermost scope
/// opened with <see cref="IStateAlgebra{T}.OpenScope"/>, except views (<see cref="Select"/>, <see cref="Rows"/>,
/// <see cref="Reshape"/>), which share storage with their source, and methods whose name ends in <c>InPlace</c>, which
/// overwrite their first argument. Scalars are <see cref="double"/> whatever the element type.</para>
/// <para>Class labels are values of the engine's own type (int64 tensors on TorchSharp; whole numbers stored as the
/// element type on the managed engine), made with <see cref="FromTensor"/> or <see cref="FromValues"/>.</para>
/// </remarks>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public interface IEngine<T> : IStateAlgebra<T>
{
    /// <summary>Name used in configuration, files and reports: "torch" or "managed".</summary>
    string Name { get; }

    // ---- Shapes, creation and conversion -------------------------------------------------------------------------

    /// <summary>The shape of x (allocates; hot paths use <see cref="BatchSize"/>).</summary>
    long[] Shape(T x);

    /// <summary>The size of the first dimension (the batch size of a state).</summary>
    long BatchSize(T x);

    /// <summary>Zeros of the given shape, with the element type (and device) of <paramref name="like"/>.</summary>
    T Zeros(T like, params ReadOnlySpan<long> shape);

    /// <summary>Zeros shaped like x.</summary>
    T ZerosLike(T x);

    /// <summary>A copy of x that shares nothing with it.</summary>
    T Clone(T x);

    /// <summary>Values given row-major, in the shape given, with the element type (and device) of <paramref name="like"/>.</summary>
    T FromValues(ReadOnlySpan<double> values, T like, params ReadOnlySpan<long> shape);

    /// <summary>The values of x, row-major.</summary>
    double[] ToArray(T x);

    /// <summary>A TorchSharp tensor as a value of this engine (copied unless the engine is TorchSharp): the edge where data sets, checkpoints and problem files enter.</summary>
    T FromTensor(Tensor tensor);

    /// <summary>x as a TorchSharp tensor (copied unless the engine is TorchSharp): the edge where reports, plots and checkpoints leave.</summary>
    Tensor ToTensor(T x);

    /// <summary>The element type of x as a TorchSharp dtype (Float32 or Float64 for states; labels may be integral).</summary>
    ScalarType DType(T x);

    /// <summary>True when x holds floating-point numbers (states and parameters; not integral labels).</summary>
    bool IsFloatingPoint(T x);

    /// <summary>
    /// Why x cannot be combined with <paramref name="reference"/> — another element type, or another device — as a phrase
    /// for an error message ("dtype Float32 differs from Float64"), or null when it can. Checked before anything runs.
    /// </summary>
    string? Incompatibility(T reference, T x);

    /// <summary>
    /// Takes x out of every scope and returns it: the caller owns it until <see cref="IStateAlgebra{T}.Release"/> (e.g. a
    /// field's cached per-layer views, a trained model's parameters, an optimizer's buffers).
    /// </summary>
    T DetachFromScope(T x);

    /// <summary>x[index] along the first dimension, a view (e.g. the control slice u_k of layer k).</summary>
    T Select(T x, long index);

    /// <summary>The rows start … start + count − 1 of the first dimension, a view.</summary>
    T Rows(T x, long start, long count);

    /// <summary>The given rows of the first dimension, in that order (a copy).</summary>
    T GatherRows(T x, ReadOnlySpan<long> rows);

    /// <summary>x with another shape of the same number of elements, a view.</summary>
    T Reshape(T x, params ReadOnlySpan<long> shape);

    /// <summary>[B, n] → [B, width], the new columns zero (augmented neural ODEs).</summary>
    T PadColumns(T x, long width);

    /// <summary>[B, n] → [B, count]: the first <paramref name="count"/> columns (a copy, or a view that is only read).</summary>
    T FirstColumns(T x, long count);

    /// <summary>The parts stacked along the first dimension (e.g. the logits of the chunks of a data set); at least one part.</summary>
    T Concat(IReadOnlyList<T> parts);

    // ---- Elementwise arithmetic -----------------------------------------------------------------------------------

    /// <summary>a + α b.</summary>
    T Add(T a, T b, double alpha = 1);

    /// <summary>a ⊙ b.</summary>
    T Multiply(T a, T b);

    /// <summary>s · a.</summary>
    T Scale(T a, double s);

    /// <summary>Each sample scaled by its own factor: row i of x [B, …] times factors[i] (factors [B]).</summary>
    T ScaleRows(T x, T factors);

    /// <summary>sign(a) with sign(0) = 0.</summary>
    T Sign(T a);

    /// <summary>a clipped to [min, max] elementwise.</summary>
    T Clamp(T a, double min, double max);

    /// <summary>y ← y + α x.</summary>
    void AddInPlace(T y, T x, double alpha = 1);

    /// <summary>y ← s · y.</summary>
    void ScaleInPlace(T y, double s);

    /// <summary>y ← y + α (a ⊙ b) (TorchSharp's addcmul_).</summary>
    void AddProductInPlace(T y, T a, T b, double alpha);

    /// <summary>y ← y + α (a ⊘ b) (TorchSharp's addcdiv_).</summary>
    void AddQuotientInPlace(T y, T a, T b, double alpha);

    /// <summary>y ← √y + c (the denominator of Adam's update).</summary>
    void SqrtAddInPlace(T y, double c);

    /// <summary>destination ← source (same shape).</summary>
    void CopyInPlace(T destination, T source);

    // ---- Dense linear algebra (2-D operands) ----------------------------------------------------------------------

    /// <summary>x Wᵀ + b for x [B, n], W [m, n], b [m] or null: an affine layer (PyTorch's linear).</summary>
    T Linear(T x, T weight, T? bias);

    /// <summary>a b for a [B, m], b [m, n]: a cotangent pulled back through a linear map (p W).</summary>
    T MatMul(T a, T b);

    /// <summary>aᵀ b for a [B, m], b [B, n] → [m, n]: the outer products of the rows summed over the batch (a weight gradient).</summary>
    T TransposedMatMul(T a, T b);

    /// <summary>Σᵢ x[i, …] over the first dimension (a bias gradient).</summary>
    T SumRows(T x);

    /// <summary>
    /// The state cotangents of one second-order reverse stage of a dense layer g = W a(x) + b, fused: with P = p W and
    /// M = m W (p, m [B, n], W [n, k] as in <see cref="MatMul"/>; s, d1, d2 [B, k]) returns
    /// (d1 ⊙ P, d1 ⊙ M + (d2 ⊙ s) ⊙ P) — g_xᵀp and g_xᵀm + ∂ₓ(g_xᵀp)·s for d1 = a'(x), d2 = a''(x) (DESIGN §1) —
    /// rounded as those products in that order.
    /// </summary>
    (T First, T Second) SecondOrderPullback(T p, T m, T weight, T s, T d1, T d2);

    /// <summary>y ← y + α aᵀb for a [B, m], b [B, n], y [m, n]: a weight cotangent added where it accumulates (TorchSharp's addmm_).</summary>
    void AddTransposedMatMulInPlace(T y, T a, T b, double alpha = 1);

    /// <summary>y ← y + α Σᵢ x[i, …]: a bias cotangent added where it accumulates.</summary>
    void AddSumRowsInPlace(T y, T x, double alpha = 1);

    /// <summary>Per sample, the sum over every dimension but the first: [B, …] → [B].</summary>
    T SumPerSample(T x);

    // ---- Activations ----------------------------------------------------------------------------------------------

    /// <summary>σ(x) elementwise for a built-in activation.</summary>
    T Activate(Activation activation, T x);

    /// <summary>σ'(x), given σ(x) (which lets tanh and sigmoid use their value instead of a second evaluation).</summary>
    T ActivationDerivative(Activation activation, T x, T value);

    /// <summary>σ''(x), given σ(x) and σ'(x).</summary>
    T ActivationSecondDerivative(Activation activation, T x, T value, T derivative);

    // ---- Losses and classification --------------------------------------------------------------------------------

    /// <summary>Per-sample cross-entropy ℓᵢ = −zᵢ,yᵢ + log Σⱼ e^{zᵢⱼ} of logits z [B, m] and labels [B] → [B].</summary>
    T CrossEntropy(T logits, T labels);

    /// <summary>∇_z Σᵢ ℓᵢ = softmax(z) − onehot(y), [B, m].</summary>
    T CrossEntropyGradient(T logits, T labels);

    /// <summary>∇²_z Σᵢ ℓᵢ · s = π ⊙ s − π (πᵀs) row by row, π = softmax(z).</summary>
    T CrossEntropyHessianVectorProduct(T logits, T s);

    /// <summary>softmax(z) row by row.</summary>
    T Softmax(T logits);

    /// <summary>The index of the largest entry of each row [B, m] → [B] (ties: the first), as labels.</summary>
    T ArgMax(T logits);

    /// <summary>The number of positions where a and b are equal (e.g. predictions and labels).</summary>
    long CountEqual(T a, T b);

    // ---- Norms of the attack ball and per-sample selection ---------------------------------------------------------

    /// <summary>Per-sample dual norm ‖gᵢ‖_{q*} over every dimension but the first: [B, …] → [B].</summary>
    T DualNorm(AttackNorm norm, T g);

    /// <summary>∇‖gᵢ‖_{q*} row by row — the steepest-ascent direction in the unit q-ball, with the subgradients at kinks that <see cref="AttackNorm"/> names.</summary>
    T DualNormGradient(AttackNorm norm, T g);

    /// <summary>Each sample projected onto the ball ‖δᵢ‖_q ≤ radius (ℓ₁: the sort-based projection that <see cref="AttackNorm"/> cites).</summary>
    T Project(AttackNorm norm, T delta, double radius);

    /// <summary>Per sample [B], a mask: true (nonzero) where a &gt; b, else false (zero); for <see cref="WhereRows"/>.</summary>
    T Greater(T a, T b);

    /// <summary>Sample i of a where mask[i] ≠ 0, else sample i of b (mask [B], a and b [B, …]).</summary>
    T WhereRows(T mask, T a, T b);

    // ---- Reductions to numbers ------------------------------------------------------------------------------------

    /// <summary>Σ of every element.</summary>
    double Sum(T x);

    /// <summary>The mean of every element.</summary>
    double Mean(T x);

    /// <summary>⟨a, b⟩ over every element.</summary>
    double Dot(T a, T b);

    /// <summary>The smallest and largest element (NaN when any element is NaN).</summary>
    (double Min, double Max) Extrema(T x);

    /// <summary>Turns off autograd recording where the engine has it (TorchSharp's no_grad); nothing on engines without.</summary>
    IDisposable Untracked();
}

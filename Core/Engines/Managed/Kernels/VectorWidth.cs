using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace RobustNode.Core.Engines.Managed.Kernels;

/// <summary>
/// One SIMD register width (128, 256 or 512 bits) as a type, so that a kernel is written once and the JIT specialises
/// it per width with no indirection. Multiply-add is fused wherever the hardware has FMA, in the vector lanes and in
/// the scalar remainders alike (<see cref="Scalar{TScalar}.MultiplyAdd"/>), so an element's result does not depend on
/// whether it fell in a vector or in a remainder — which keeps results independent of how rows are split.
/// </summary>
internal interface IVectorWidth<TVector, TScalar>
    where TVector : struct
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    static abstract bool IsAccelerated { get; }
    static abstract int Count { get; }
    static abstract TVector Load(ref TScalar source, nint index);
    static abstract void Store(TVector value, ref TScalar destination, nint index);
    static abstract TVector Broadcast(TScalar value);
    static abstract TVector Zero { get; }
    static abstract TVector Add(TVector a, TVector b);
    static abstract TVector Multiply(TVector a, TVector b);
    /// <summary>a b + c, fused where the hardware has FMA.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);
    static abstract TVector Subtract(TVector a, TVector b);
    static abstract TVector Divide(TVector a, TVector b);
    static abstract TVector Abs(TVector a);
    /// <summary>All bits set in the lanes where a &lt; b (false for NaN).</summary>
    static abstract TVector LessThan(TVector a, TVector b);
    /// <summary>The bits of a where the mask's bits are set, else those of b.</summary>
    static abstract TVector Select(TVector mask, TVector a, TVector b);
    /// <summary>
    /// 2ⁿ from t = n + 1.5·2^p (p = 23 for float, 52 for double), where n is a whole number held in t's low mantissa
    /// bits: the exponent field built directly (n must keep 2ⁿ normal).
    /// </summary>
    static abstract TVector PowerOfTwo(TVector t);
}

/// <summary>Scalar arithmetic matching the vector lanes.</summary>
internal static class Scalar<TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    /// <summary>
    /// True when multiply-add is fused in hardware (then the vector lanes fuse too). A property, not a field: the JIT
    /// folds it to a constant in every method, also in one compiled before this class is initialised (a static readonly
    /// field is then read, and branched on, at every multiply-add).
    /// </summary>
    public static bool FusedMultiplyAdd => Fma.IsSupported || AdvSimd.IsSupported;

    /// <summary>a b + c, rounded once where the hardware has FMA (like the vector lanes), else twice.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TScalar MultiplyAdd(TScalar a, TScalar b, TScalar c) =>
        FusedMultiplyAdd ? TScalar.FusedMultiplyAdd(a, b, c) : a * b + c;
}

internal readonly struct Width128<TScalar> : IVectorWidth<Vector128<TScalar>, TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated;
    public static int Count => Vector128<TScalar>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<TScalar> Load(ref TScalar source, nint index) => Vector128.LoadUnsafe(ref source, (nuint)index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<TScalar> value, ref TScalar destination, nint index) => value.StoreUnsafe(ref destination, (nuint)index);

    public static Vector128<TScalar> Broadcast(TScalar value) => Vector128.Create(value);
    public static Vector128<TScalar> Zero => Vector128<TScalar>.Zero;
    public static Vector128<TScalar> Add(Vector128<TScalar> a, Vector128<TScalar> b) => a + b;
    public static Vector128<TScalar> Multiply(Vector128<TScalar> a, Vector128<TScalar> b) => a * b;
    public static Vector128<TScalar> Subtract(Vector128<TScalar> a, Vector128<TScalar> b) => a - b;
    public static Vector128<TScalar> Divide(Vector128<TScalar> a, Vector128<TScalar> b) => a / b;
    public static Vector128<TScalar> Abs(Vector128<TScalar> a) => Vector128.Abs(a);
    public static Vector128<TScalar> LessThan(Vector128<TScalar> a, Vector128<TScalar> b) => Vector128.LessThan(a, b);
    public static Vector128<TScalar> Select(Vector128<TScalar> mask, Vector128<TScalar> a, Vector128<TScalar> b) => Vector128.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<TScalar> PowerOfTwo(Vector128<TScalar> t)
    {
        if (typeof(TScalar) == typeof(float))
            return Vector128.ShiftLeft(t.AsInt32() + Vector128.Create(127 - 0x4B400000), 23).As<int, TScalar>();
        return Vector128.ShiftLeft(t.AsInt64() + Vector128.Create(1023L - 0x4338000000000000L), 52).As<long, TScalar>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<TScalar> MultiplyAdd(Vector128<TScalar> a, Vector128<TScalar> b, Vector128<TScalar> c)
    {
        if (typeof(TScalar) == typeof(float))
            return Vector128.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, TScalar>();
        if (typeof(TScalar) == typeof(double))
            return Vector128.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, TScalar>();
        return a * b + c;
    }
}

internal readonly struct Width256<TScalar> : IVectorWidth<Vector256<TScalar>, TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;
    public static int Count => Vector256<TScalar>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<TScalar> Load(ref TScalar source, nint index) => Vector256.LoadUnsafe(ref source, (nuint)index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<TScalar> value, ref TScalar destination, nint index) => value.StoreUnsafe(ref destination, (nuint)index);

    public static Vector256<TScalar> Broadcast(TScalar value) => Vector256.Create(value);
    public static Vector256<TScalar> Zero => Vector256<TScalar>.Zero;
    public static Vector256<TScalar> Add(Vector256<TScalar> a, Vector256<TScalar> b) => a + b;
    public static Vector256<TScalar> Multiply(Vector256<TScalar> a, Vector256<TScalar> b) => a * b;
    public static Vector256<TScalar> Subtract(Vector256<TScalar> a, Vector256<TScalar> b) => a - b;
    public static Vector256<TScalar> Divide(Vector256<TScalar> a, Vector256<TScalar> b) => a / b;
    public static Vector256<TScalar> Abs(Vector256<TScalar> a) => Vector256.Abs(a);
    public static Vector256<TScalar> LessThan(Vector256<TScalar> a, Vector256<TScalar> b) => Vector256.LessThan(a, b);
    public static Vector256<TScalar> Select(Vector256<TScalar> mask, Vector256<TScalar> a, Vector256<TScalar> b) => Vector256.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<TScalar> PowerOfTwo(Vector256<TScalar> t)
    {
        if (typeof(TScalar) == typeof(float))
            return Vector256.ShiftLeft(t.AsInt32() + Vector256.Create(127 - 0x4B400000), 23).As<int, TScalar>();
        return Vector256.ShiftLeft(t.AsInt64() + Vector256.Create(1023L - 0x4338000000000000L), 52).As<long, TScalar>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<TScalar> MultiplyAdd(Vector256<TScalar> a, Vector256<TScalar> b, Vector256<TScalar> c)
    {
        if (typeof(TScalar) == typeof(float))
            return Vector256.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, TScalar>();
        if (typeof(TScalar) == typeof(double))
            return Vector256.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, TScalar>();
        return a * b + c;
    }
}

internal readonly struct Width512<TScalar> : IVectorWidth<Vector512<TScalar>, TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;
    public static int Count => Vector512<TScalar>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<TScalar> Load(ref TScalar source, nint index) => Vector512.LoadUnsafe(ref source, (nuint)index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<TScalar> value, ref TScalar destination, nint index) => value.StoreUnsafe(ref destination, (nuint)index);

    public static Vector512<TScalar> Broadcast(TScalar value) => Vector512.Create(value);
    public static Vector512<TScalar> Zero => Vector512<TScalar>.Zero;
    public static Vector512<TScalar> Add(Vector512<TScalar> a, Vector512<TScalar> b) => a + b;
    public static Vector512<TScalar> Multiply(Vector512<TScalar> a, Vector512<TScalar> b) => a * b;
    public static Vector512<TScalar> Subtract(Vector512<TScalar> a, Vector512<TScalar> b) => a - b;
    public static Vector512<TScalar> Divide(Vector512<TScalar> a, Vector512<TScalar> b) => a / b;
    public static Vector512<TScalar> Abs(Vector512<TScalar> a) => Vector512.Abs(a);
    public static Vector512<TScalar> LessThan(Vector512<TScalar> a, Vector512<TScalar> b) => Vector512.LessThan(a, b);
    public static Vector512<TScalar> Select(Vector512<TScalar> mask, Vector512<TScalar> a, Vector512<TScalar> b) => Vector512.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<TScalar> PowerOfTwo(Vector512<TScalar> t)
    {
        if (typeof(TScalar) == typeof(float))
            return Vector512.ShiftLeft(t.AsInt32() + Vector512.Create(127 - 0x4B400000), 23).As<int, TScalar>();
        return Vector512.ShiftLeft(t.AsInt64() + Vector512.Create(1023L - 0x4338000000000000L), 52).As<long, TScalar>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<TScalar> MultiplyAdd(Vector512<TScalar> a, Vector512<TScalar> b, Vector512<TScalar> c)
    {
        if (typeof(TScalar) == typeof(float))
            return Vector512.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, TScalar>();
        if (typeof(TScalar) == typeof(double))
            return Vector512.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, TScalar>();
        return a * b + c;
    }
}

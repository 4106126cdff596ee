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
}

/// <summary>Scalar arithmetic matching the vector lanes.</summary>
internal static class Scalar<TScalar>
    where TScalar : unmanaged, IFloatingPointIeee754<TScalar>
{
    /// <summary>True when multiply-add is fused in hardware (then the vector lanes fuse too).</summary>
    public static readonly bool FusedMultiplyAdd = Fma.IsSupported || AdvSimd.IsSupported;

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

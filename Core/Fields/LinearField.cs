using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Spectral;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// The linear field x' = A x with a time-invariant matrix A [d, d] (the test problem with a closed-form
/// solution x(t) = exp(tA) x₀). g_xᵀp = Aᵀp, g_Aᵀp = p xᵀ; its second derivatives in x vanish
/// except ∂ₓ(g_Aᵀp)·s = p sᵀ.
/// </summary>
/// <typeparam name="T">The engine's tensor type.</typeparam>
public sealed class LinearField<T> : IVectorField<T>, ILipschitzField
{
    /// <inheritdoc/>
    public IEngine<T> Engine { get; }
    /// <inheritdoc/>
    public LayerGrid Grid { get; }
    /// <inheritdoc/>
    public int Dim { get; }
    /// <inheritdoc/>
    public long[] StateShape => [Dim];
    /// <inheritdoc/>
    public IReadOnlyList<ControlParameter<T>> Controls { get; }
    /// <summary>A [d, d].</summary>
    public T Matrix => Controls[0].Value;

    internal LinearField(IEngine<T> engine, T a, LayerGrid grid)
    {
        Engine = engine;
        Grid = grid;
        Dim = (int)engine.Shape(a)[0];
        Controls = [new ControlParameter<T>("A", a, false)];
    }

    /// <inheritdoc/>
    public T Evaluate(int layer, double t, T x) => Engine.Linear(x, Matrix, default);

    /// <inheritdoc/>
    public IVectorField<T> WithControls(IReadOnlyList<T> values) => new LinearField<T>(Engine, values[0], Grid);

    /// <inheritdoc/>
    public FieldLinearization<T> Linearize(int layer, double t, T x) => new Linearization(this, layer, t, x);

    /// <summary>‖A‖₂ (exact singular values), the same on every layer.</summary>
    public double LipschitzConstant(int layer) => DenseSpectrum.SpectralNorm(Engine.ToArray(Matrix), Dim, Dim);

    private sealed class Linearization(LinearField<T> f, int layer, double t, T x) : FieldLinearization<T>(f.Engine, layer, t, x)
    {
        private IEngine<T> E => f.Engine;

        public override T Value() => E.Linear(State, f.Matrix, default);

        public override T Jvp(T s) => E.Linear(s, f.Matrix, default);

        public override T ControlJvp(IReadOnlyList<T> eta) => E.Linear(State, eta[0], default);

        public override T Vjp(T p, FieldCotangent<T>? controls)
        {
            if (controls is not null) E.AddTransposedMatMulInPlace(controls[0], p, State, controls.Scale);
            return E.MatMul(p, f.Matrix);
        }

        public override T SecondOrderVjp(T p, T s, FieldCotangent<T>? controls)
        {
            if (controls is not null) E.AddTransposedMatMulInPlace(controls[0], p, s, controls.Scale);
            return E.ZerosLike(State);
        }

        public override (T First, T Second) SecondOrderReverse(T p, T m, T s, FieldCotangent<T>? first, FieldCotangent<T> second)
        {
            if (first is not null) E.AddTransposedMatMulInPlace(first[0], p, State, first.Scale);
            E.AddTransposedMatMulInPlace(second[0], m, State, second.Scale);
            E.AddTransposedMatMulInPlace(second[0], p, s, second.Scale);
            return (E.MatMul(p, f.Matrix), E.MatMul(m, f.Matrix));
        }
    }
}

/// <summary>Builds <see cref="LinearField{T}"/> values, checking shapes before anything reaches an engine.</summary>
public static class LinearField
{
    /// <summary>A linear field on TorchSharp tensors on [0, T] split into the given number of layers (step boundaries).</summary>
    public static Validation<Error, LinearField<Tensor>> Create(Tensor a, double finalTime, int layers = 1) =>
        Create(TorchEngine.Instance, a, finalTime, layers);

    /// <summary>A linear field on any engine on [0, T] split into the given number of layers (step boundaries).</summary>
    public static Validation<Error, LinearField<T>> Create<T>(IEngine<T> engine, T a, double finalTime, int layers = 1)
    {
        var errors = new List<Error>();
        var shape = engine.Shape(a);
        if (shape.Length != 2 || shape[0] != shape[1]) errors.Add(RobustNodeErrors.ShapeMismatch("A", "[d, d]", ShapeText.Of(shape)));
        if (!(finalTime > 0) || !double.IsFinite(finalTime)) errors.Add(RobustNodeErrors.InvalidArgument("T", $"final time must be positive and finite, got {finalTime}"));
        if (layers < 1) errors.Add(RobustNodeErrors.InvalidArgument("steps", $"must be at least 1, got {layers}"));
        return errors.Count > 0
            ? Fail<Error, LinearField<T>>(Seq(errors))
            : Success<Error, LinearField<T>>(new LinearField<T>(engine, a, new LayerGrid(layers, finalTime)));
    }
}

using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Errors;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// The linear field x' = A x with a time-invariant matrix A [d, d] (the test problem with a closed-form
/// solution x(t) = exp(tA) x₀). g_xᵀp = Aᵀp, g_Aᵀp = p xᵀ; its second derivatives in x vanish
/// except ∂ₓ(g_Aᵀp)·s = p sᵀ.
/// </summary>
public sealed class LinearField : IVectorField
{
    public LayerGrid Grid { get; }
    public int Dim { get; }
    public IReadOnlyList<ControlParameter> Controls { get; }
    /// <summary>A [d, d].</summary>
    public Tensor Matrix => Controls[0].Value;

    private LinearField(Tensor a, LayerGrid grid)
    {
        Grid = grid;
        Dim = (int)a.shape[0];
        Controls = [new ControlParameter("A", a, false)];
    }

    /// <summary>A linear field on [0, T] split into the given number of layers (step boundaries).</summary>
    public static Validation<Error, LinearField> Create(Tensor a, double finalTime, int layers = 1)
    {
        var errors = new List<Error>();
        if (a.dim() != 2 || a.shape[0] != a.shape[1]) errors.Add(RobustNodeErrors.ShapeMismatch("A", "[d, d]", NeuralOdeField.Shape(a)));
        if (!(finalTime > 0) || !double.IsFinite(finalTime)) errors.Add(RobustNodeErrors.InvalidArgument("T", $"final time must be positive and finite, got {finalTime}"));
        if (layers < 1) errors.Add(RobustNodeErrors.InvalidArgument("steps", $"must be at least 1, got {layers}"));
        return errors.Count > 0 ? Fail<Error, LinearField>(Seq(errors)) : Success<Error, LinearField>(new LinearField(a, new LayerGrid(layers, finalTime)));
    }

    public Tensor Evaluate(int layer, double t, Tensor x) => x.matmul(Matrix.t());

    public FieldCotangent Vjp(int layer, double t, Tensor x, Tensor p) =>
        new(p.matmul(Matrix), [p.t().matmul(x)]);

    public Tensor Jvp(int layer, double t, Tensor x, Tensor s) => s.matmul(Matrix.t());

    public Tensor ControlJvp(int layer, double t, Tensor x, IReadOnlyList<Tensor> eta) => x.matmul(eta[0].t());

    public FieldCotangent SecondOrderVjp(int layer, double t, Tensor x, Tensor p, Tensor s) =>
        new(zeros_like(x), [p.t().matmul(s)]);

    public IVectorField WithControls(IReadOnlyList<Tensor> values) => new LinearField(values[0], Grid);
}

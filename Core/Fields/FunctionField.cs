using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// A general field x' = f(t, x, u_k) given as a function, for users who embed the library. Its
/// derivatives come from one small autograd call on a single evaluation's graph (never a graph
/// across steps): VJP by one backward, JVP by the double-VJP trick, second-order terms by one
/// double backward of (g_xᵀp)·s.
/// </summary>
public sealed class FunctionField : IVectorField
{
    private readonly Func<double, Tensor, IReadOnlyList<Tensor>, Tensor> _f;

    public LayerGrid Grid { get; }
    public int Dim { get; }
    public long[] StateShape { get; }
    public IReadOnlyList<ControlParameter> Controls { get; }

    /// <param name="f">f(t, x, slices of the controls for the current layer), batched over x's first dimension.</param>
    /// <param name="dim">State dimension d.</param>
    /// <param name="grid">The layer grid.</param>
    /// <param name="controls">The controls (may be empty).</param>
    /// <param name="stateShape">Shape of one sample's state (default [dim]).</param>
    public FunctionField(Func<double, Tensor, IReadOnlyList<Tensor>, Tensor> f, int dim, LayerGrid grid, IReadOnlyList<ControlParameter>? controls = null,
        long[]? stateShape = null)
    {
        _f = f;
        Dim = dim;
        StateShape = stateShape ?? [dim];
        Grid = grid;
        Controls = controls ?? [];
    }

    /// <summary>A field without controls: x' = f(t, x) on [0, T].</summary>
    public static FunctionField Autonomous(Func<double, Tensor, Tensor> f, int dim, double finalTime) =>
        new((t, x, _) => f(t, x), dim, new LayerGrid(1, finalTime));

    public Tensor Evaluate(int layer, double t, Tensor x)
    {
        using var scope = NewDisposeScope();
        return _f(t, x, Controls.Select(c => c.Slice(layer)).ToArray()).MoveToOuterDisposeScope();
    }

    private (Tensor X, Tensor[] U, Tensor Y) Graph(int layer, double t, Tensor x)
    {
        var xr = x.detach().requires_grad_(true);
        var ur = Controls.Select(c => c.Slice(layer).detach().requires_grad_(true)).ToArray();
        return (xr, ur, _f(t, xr, ur));
    }

    private static Tensor Grad(Tensor? g, Tensor like) => g is null || g.IsInvalid ? zeros_like(like) : g;

    public FieldCotangent Vjp(int layer, double t, Tensor x, Tensor p)
    {
        using var scope = NewDisposeScope();
        using var enable = enable_grad();
        var (xr, ur, y) = Graph(layer, t, x);
        var grads = autograd.grad([y], [xr, .. ur], [p], allow_unused: true);
        return new FieldCotangent(Grad(grads[0], xr).detach().MoveToOuterDisposeScope(),
            ur.Select((u, i) => Grad(grads[i + 1], u).detach().MoveToOuterDisposeScope()).ToArray());
    }

    public Tensor Jvp(int layer, double t, Tensor x, Tensor s)
    {
        using var scope = NewDisposeScope();
        using var enable = enable_grad();
        var (xr, _, y) = Graph(layer, t, x);
        var w = zeros_like(y).requires_grad_(true);
        var jt = autograd.grad([y], [xr], [w], create_graph: true, retain_graph: true)[0];
        return autograd.grad([jt], [w], [s], allow_unused: true)[0].detach().MoveToOuterDisposeScope();
    }

    public Tensor ControlJvp(int layer, double t, Tensor x, IReadOnlyList<Tensor> eta)
    {
        using var scope = NewDisposeScope();
        if (Controls.Count == 0) return zeros_like(x).MoveToOuterDisposeScope();
        using var enable = enable_grad();
        var (_, ur, y) = Graph(layer, t, x);
        var w = zeros_like(y).requires_grad_(true);
        var grads = autograd.grad([y], ur, [w], create_graph: true, retain_graph: true, allow_unused: true);
        var terms = grads.Select((g, i) => (g is null || g.IsInvalid ? null : (g * eta[i]).sum())).Where(z => z is not null).ToArray();
        if (terms.Length == 0) return zeros_like(x).MoveToOuterDisposeScope();
        var z = terms.Skip(1).Aggregate(terms[0]!, (a, b) => a + b!);
        var jv = autograd.grad([z], [w], allow_unused: true)[0];
        return Grad(jv, x).detach().MoveToOuterDisposeScope();
    }

    public FieldCotangent SecondOrderVjp(int layer, double t, Tensor x, Tensor p, Tensor s)
    {
        using var scope = NewDisposeScope();
        using var enable = enable_grad();
        var (xr, ur, y) = Graph(layer, t, x);
        var gx = autograd.grad([y], [xr], [p], create_graph: true, retain_graph: true)[0];
        var z = (gx * s).sum();
        if (!z.requires_grad)
            return new FieldCotangent(zeros_like(x).MoveToOuterDisposeScope(), ur.Select(u => zeros_like(u).MoveToOuterDisposeScope()).ToArray());
        var grads = autograd.grad([z], [xr, .. ur], allow_unused: true);
        return new FieldCotangent(Grad(grads[0], xr).detach().MoveToOuterDisposeScope(),
            ur.Select((u, i) => Grad(grads[i + 1], u).detach().MoveToOuterDisposeScope()).ToArray());
    }

    public IVectorField WithControls(IReadOnlyList<Tensor> values) =>
        new FunctionField(_f, Dim, Grid, Controls.Select((c, i) => c with { Value = values[i] }).ToArray(), StateShape);
}

using RobustNode.Core.Engines;
using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// A general field x' = f(t, x, u_k) given as a function of TorchSharp tensors, for users who embed the library. Its
/// derivatives come from one small autograd call on a single evaluation's graph (never a graph across steps): VJP by
/// one backward, JVP by the double-VJP trick, second-order terms by one double backward of (g_xᵀp)·s.
/// </summary>
public sealed class FunctionField : IVectorField<Tensor>
{
    private readonly Func<double, Tensor, IReadOnlyList<Tensor>, Tensor> _f;

    /// <inheritdoc/>
    public IEngine<Tensor> Engine => TorchEngine.Instance;
    /// <inheritdoc/>
    public LayerGrid Grid { get; }
    /// <inheritdoc/>
    public int Dim { get; }
    /// <inheritdoc/>
    public long[] StateShape { get; }
    /// <inheritdoc/>
    public IReadOnlyList<ControlParameter<Tensor>> Controls { get; }

    /// <param name="f">f(t, x, slices of the controls for the current layer), batched over x's first dimension.</param>
    /// <param name="dim">State dimension d.</param>
    /// <param name="grid">The layer grid.</param>
    /// <param name="controls">The controls (may be empty).</param>
    /// <param name="stateShape">Shape of one sample's state (default [dim]).</param>
    public FunctionField(Func<double, Tensor, IReadOnlyList<Tensor>, Tensor> f, int dim, LayerGrid grid, IReadOnlyList<ControlParameter<Tensor>>? controls = null,
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

    private Tensor[] Slices(int layer)
    {
        var slices = new Tensor[Controls.Count];
        for (int j = 0; j < slices.Length; j++) slices[j] = Controls[j].Slice(TorchEngine.Instance, layer);
        return slices;
    }

    /// <inheritdoc/>
    public Tensor Evaluate(int layer, double t, Tensor x)
    {
        using var scope = NewDisposeScope();
        return _f(t, x, Slices(layer)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public IVectorField<Tensor> WithControls(IReadOnlyList<Tensor> values)
    {
        var controls = new ControlParameter<Tensor>[Controls.Count];
        for (int j = 0; j < controls.Length; j++) controls[j] = Controls[j] with { Value = values[j] };
        return new FunctionField(_f, Dim, Grid, controls, StateShape);
    }

    /// <summary>The derivatives at one point, each from a single-step autograd graph.</summary>
    public FieldLinearization<Tensor> Linearize(int layer, double t, Tensor x) => new Linearization(this, layer, t, x);

    private sealed class Linearization(FunctionField f, int layer, double t, Tensor x) : FieldLinearization<Tensor>(TorchEngine.Instance, layer, t, x)
    {
        private (Tensor X, Tensor[] U, Tensor Y) Graph()
        {
            var xr = State.detach().requires_grad_(true);
            var ur = f.Slices(Layer);
            for (int j = 0; j < ur.Length; j++) ur[j] = ur[j].detach().requires_grad_(true);
            return (xr, ur, f._f(Time, xr, ur));
        }

        private static Tensor Grad(Tensor? g, Tensor like) => g is null || g.IsInvalid ? zeros_like(like) : g;

        private static void Add(FieldCotangent<Tensor>? controls, IList<Tensor> grads, Tensor[] u)
        {
            if (controls is null) return;
            for (int j = 0; j < u.Length; j++)
                if (grads[j + 1] is { IsInvalid: false } g) controls[j].PlusInPlace(g.detach(), controls.Scale);
        }

        public override Tensor Value() => f.Evaluate(Layer, Time, State);

        public override Tensor Vjp(Tensor p, FieldCotangent<Tensor>? controls)
        {
            using var scope = NewDisposeScope();
            using var enable = enable_grad();
            var (xr, ur, y) = Graph();
            var grads = autograd.grad([y], [xr, .. ur], [p], allow_unused: true);
            Add(controls, grads, ur);
            return Grad(grads[0], xr).detach().MoveToOuterDisposeScope();
        }

        public override Tensor Jvp(Tensor s)
        {
            using var scope = NewDisposeScope();
            using var enable = enable_grad();
            var (xr, _, y) = Graph();
            var w = zeros_like(y).requires_grad_(true);
            var jt = autograd.grad([y], [xr], [w], create_graph: true, retain_graph: true)[0];
            return autograd.grad([jt], [w], [s], allow_unused: true)[0].detach().MoveToOuterDisposeScope();
        }

        public override Tensor ControlJvp(IReadOnlyList<Tensor> eta)
        {
            using var scope = NewDisposeScope();
            if (f.Controls.Count == 0) return zeros_like(State).MoveToOuterDisposeScope();
            using var enable = enable_grad();
            var (_, ur, y) = Graph();
            var w = zeros_like(y).requires_grad_(true);
            var grads = autograd.grad([y], ur, [w], create_graph: true, retain_graph: true, allow_unused: true);
            Tensor? z = null;
            for (int j = 0; j < grads.Count; j++)
            {
                if (grads[j] is null || grads[j].IsInvalid) continue;
                var term = (grads[j] * eta[j]).sum();
                z = z is null ? term : z.Plus(term);
            }
            if (z is null) return zeros_like(State).MoveToOuterDisposeScope();
            var jv = autograd.grad([z], [w], allow_unused: true)[0];
            return Grad(jv, State).detach().MoveToOuterDisposeScope();
        }

        public override Tensor SecondOrderVjp(Tensor p, Tensor s, FieldCotangent<Tensor>? controls)
        {
            using var scope = NewDisposeScope();
            using var enable = enable_grad();
            var (xr, ur, y) = Graph();
            var gx = autograd.grad([y], [xr], [p], create_graph: true, retain_graph: true)[0];
            var z = (gx * s).sum();
            if (!z.requires_grad) return zeros_like(State).MoveToOuterDisposeScope();
            var grads = autograd.grad([z], [xr, .. ur], allow_unused: true);
            Add(controls, grads, ur);
            return Grad(grads[0], xr).detach().MoveToOuterDisposeScope();
        }
    }
}

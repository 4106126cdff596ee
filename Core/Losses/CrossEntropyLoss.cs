using static TorchSharp.torch;

namespace RobustNode.Core.Losses;

/// <summary>
/// Cross-entropy ℓ = −z_y + log Σⱼ e^{zⱼ} of logits z = x (or z = R x with a fixed read-out R [m, d]).
/// ∇_z ℓ = softmax(z) − e_y; ∇²_z ℓ · s = π ⊙ s − π (πᵀs) with π = softmax(z); through R by the chain rule.
/// </summary>
public sealed class CrossEntropyLoss : ILoss
{
    /// <summary>Class labels [B] (int64).</summary>
    public Tensor Labels { get; }
    /// <summary>Optional fixed read-out R [m, d].</summary>
    public Tensor? Readout { get; }
    public string Name => "cross-entropy";

    public CrossEntropyLoss(Tensor labels, Tensor? readout = null) => (Labels, Readout) = (labels, readout);

    private Tensor Logits(Tensor x) => Readout is null ? x : x.matmul(Readout.t());
    private Tensor Back(Tensor g) => Readout is null ? g : g.matmul(Readout);

    public Tensor PerSample(Tensor x)
    {
        using var scope = NewDisposeScope();
        var z = Logits(x);
        return (z.logsumexp(1) - z.gather(1, Labels.unsqueeze(1)).squeeze(1)).MoveToOuterDisposeScope();
    }

    public Tensor Gradient(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pi = Logits(x).softmax(1);
        var g = pi - nn.functional.one_hot(Labels, pi.shape[1]).to(pi.dtype);
        return Back(g).MoveToOuterDisposeScope();
    }

    public Tensor HessianVectorProduct(Tensor x, Tensor s)
    {
        using var scope = NewDisposeScope();
        var pi = Logits(x).softmax(1);
        var zs = Logits(s);
        var h = pi * zs - pi * (pi * zs).sum(1, keepdim: true);
        return Back(h).MoveToOuterDisposeScope();
    }

    public ILoss Select(Tensor indices) => new CrossEntropyLoss(Labels.index_select(0, indices), Readout);
}

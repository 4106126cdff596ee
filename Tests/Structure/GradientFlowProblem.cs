using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Tests.Sensitivity.Support;
using static TorchSharp.torch;

namespace RobustNode.Tests.Structure;

/// <summary>
/// A gradient-flow problem x' = s_k A_kᵀσ(A_k x + b_k) drawn from a seed in float64: A [N, m, d] with entries N(0, 1/d)
/// times a scale, b [N, m], and the inputs, labels and targets of a <see cref="NodeProblem"/> of the same d.
/// </summary>
public sealed record GradientFlowProblem(NodeProblem Node, Tensor A, Tensor B, Activation Activation, FlowDirection[] Directions)
{
    public int Layers => (int)A.shape[0];
    public int Rows => (int)A.shape[1];
    public int Dim => (int)A.shape[2];

    public static GradientFlowProblem Draw(long seed, int dim, int rows, int batch, int layers, LossKind loss, Activation activation,
        FlowDirection[]? directions = null, double scale = 1.0, double finalTime = 1.0)
    {
        var node = NodeProblem.Draw(seed, dim, batch, layers, loss, finalTime);
        using var g = new Generator((ulong)seed + 7919);
        var a = randn([layers, rows, dim], dtype: float64, generator: g).TimesInPlace(scale / Math.Sqrt(dim));
        var b = randn([layers, rows], dtype: float64, generator: g).TimesInPlace(0.5);
        directions ??= Enumerable.Range(0, layers).Select(k => k % 2 == 0 ? FlowDirection.Contractive : FlowDirection.Expansive).ToArray();
        return new GradientFlowProblem(node, a, b, activation, directions);
    }

    /// <summary>The library's field (closed-form derivatives).</summary>
    public GradientFlowField<Tensor> Field() => GradientFlowField.Create(A, B, Node.FinalTime, Activation, Directions).Ok();

    /// <summary>The right-hand side written with torch operations on (tracked) controls, for autograd references.</summary>
    public Func<int, double, Tensor, Tensor> Reference(Tensor a, Tensor b) =>
        (k, _, x) => TorchActivation.Apply(Activation, x.matmul(a[k].t()).Plus(b[k])).matmul(a[k]).Times(Directions[k].Sign());
}

using RobustNode.Core.Tableaux;
using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>
/// The reference: an explicit Runge–Kutta scheme written out with autograd-tracked tensors, independently of
/// the library's stepper. On each of N layers, m equal steps of h = (T/N)/m:
/// Xᵢ = x + h Σⱼ&lt;ᵢ aᵢⱼ Kⱼ, Kᵢ = f(k, t + cᵢh, Xᵢ), x ← x + h Σ bᵢ Kᵢ.
/// Backpropagating through it (once, or twice with <c>create_graph</c>) gives the derivatives of the
/// discretized network that the discrete adjoints must reproduce.
/// </summary>
public static class AutogradRungeKutta
{
    public static Tensor Solve(ButcherTableau tableau, Func<int, double, Tensor, Tensor> f, Tensor x0, int layers, int stepsPerLayer, double finalTime)
    {
        int s = tableau.Stages;
        double width = finalTime / layers, h = width / stepsPerLayer;
        var x = x0;
        for (int k = 0; k < layers; k++)
        {
            for (int m = 0; m < stepsPerLayer; m++)
            {
                double t = k * width + m * h;
                var stages = new Tensor[s];
                for (int i = 0; i < s; i++)
                {
                    var xi = x;
                    for (int j = 0; j < i; j++)
                        if (tableau.A[i, j] != 0) xi = xi + (h * tableau.A[i, j]) * stages[j];
                    stages[i] = f(k, t + tableau.C[i] * h, xi);
                }
                var next = x;
                for (int i = 0; i < s; i++)
                    if (tableau.B[i] != 0) next = next + (h * tableau.B[i]) * stages[i];
                x = next;
            }
        }
        return x;
    }

    /// <summary>The neural-ODE right-hand side W_k tanh(x) + b_k with W, b as (tracked) tensors.</summary>
    public static Func<int, double, Tensor, Tensor> NeuralOde(Tensor weights, Tensor biases) =>
        (k, _, x) => x.tanh().matmul(weights[k].t()) + biases[k];

    /// <summary>The linear right-hand side A x.</summary>
    public static Func<int, double, Tensor, Tensor> Linear(Tensor a) => (_, _, x) => x.matmul(a.t());
}

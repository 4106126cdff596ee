using static TorchSharp.torch;

namespace RobustNode.Tests.Sensitivity.Support;

/// <summary>
/// Closed forms for x' = A x on [0, T] with the squared-error loss ℓᵢ = |xᵢ(T) − yᵢ|²: x(T) = e^{TA} x₀, and the
/// continuous gradient ∇_A J = (1/B) ∫₀ᵀ Σᵢ pᵢ(t) xᵢ(t)ᵀ dt = (1/B) ∫₀ᵀ e^{(T−t)Aᵀ} C e^{tAᵀ} dt with
/// C = Σᵢ ∇ℓᵢ x₀ᵢᵀ, which is the upper-right block of exp(T [[Aᵀ, C], [0, Aᵀ]]) (Van Loan 1978).
/// </summary>
public static class LinearFlow
{
    public static Tensor FinalState(Tensor a, Tensor x0, double finalTime) => x0.matmul(linalg.matrix_exp(a * finalTime).t());

    public static Tensor SquaredErrorGradient(Tensor a, Tensor x0, Tensor targets, double finalTime)
    {
        using var scope = NewDisposeScope();
        int d = (int)a.shape[0];
        var g = 2 * (FinalState(a, x0, finalTime) - targets);
        var c = g.t().matmul(x0);
        var block = zeros([2 * d, 2 * d], dtype: a.dtype);
        block[TensorIndex.Slice(0, d), TensorIndex.Slice(0, d)] = a.t();
        block[TensorIndex.Slice(d, 2 * d), TensorIndex.Slice(d, 2 * d)] = a.t();
        block[TensorIndex.Slice(0, d), TensorIndex.Slice(d, 2 * d)] = c;
        var integral = linalg.matrix_exp(block * finalTime)[TensorIndex.Slice(0, d), TensorIndex.Slice(d, 2 * d)];
        return (integral / x0.shape[0]).MoveToOuterDisposeScope();
    }
}

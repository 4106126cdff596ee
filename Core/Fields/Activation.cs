using TorchSharp;
using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// An elementwise activation σ with its first and second derivatives, which the closed-form
/// adjoints need (g_xᵀp = σ'(x) ⊙ Wᵀp; ∂ₓ(g_xᵀp)·s = σ''(x) ⊙ s ⊙ Wᵀp).
/// </summary>
public sealed record Activation(
    string Name,
    Func<Tensor, Tensor> Value,
    Func<Tensor, Tensor> Derivative,
    Func<Tensor, Tensor> SecondDerivative)
{
    /// <summary>(σ, σ', σ'') together, sharing work where the activation allows (tanh: one tanh for all three).</summary>
    public (Tensor Value, Tensor Derivative, Tensor SecondDerivative) All(Tensor x)
    {
        if (Name != "tanh") return (Value(x), Derivative(x), SecondDerivative(x));
        var t = x.tanh();
        var d = 1 - t * t;
        return (t, d, d * t * -2);
    }

    /// <summary>
    /// Optional: σ' and σ'' from values already computed, (x, σ(x)) ↦ σ'(x) and (x, σ(x), σ'(x)) ↦ σ''(x), so that a
    /// stage's derivatives cost no second evaluation of σ. Must give the same numbers as
    /// <see cref="Derivative"/> and <see cref="SecondDerivative"/>.
    /// </summary>
    public Func<Tensor, Tensor, Tensor>? DerivativeFromValue { get; init; }

    /// <inheritdoc cref="DerivativeFromValue"/>
    public Func<Tensor, Tensor, Tensor, Tensor>? SecondDerivativeFromValues { get; init; }

    /// <summary>tanh: σ' = 1 − tanh², σ'' = −2 tanh (1 − tanh²).</summary>
    public static Activation Tanh { get; } = new("tanh",
        x => x.tanh(),
        x => { var t = x.tanh(); return 1 - t * t; },
        x => { var t = x.tanh(); return -2 * t * (1 - t * t); })
    {
        DerivativeFromValue = (_, t) => 1 - t * t,
        SecondDerivativeFromValues = (_, t, d1) => -2 * t * d1,
    };

    /// <summary>Logistic sigmoid: σ' = σ(1 − σ), σ'' = σ'(1 − 2σ).</summary>
    public static Activation Sigmoid { get; } = new("sigmoid",
        x => x.sigmoid(),
        x => { var s = x.sigmoid(); return s * (1 - s); },
        x => { var s = x.sigmoid(); return s * (1 - s) * (1 - 2 * s); })
    {
        DerivativeFromValue = (_, s) => s * (1 - s),
        SecondDerivativeFromValues = (_, s, d1) => d1 * (1 - 2 * s),
    };

    /// <summary>softplus log(1 + eˣ): σ' = sigmoid, σ'' = sigmoid (1 − sigmoid).</summary>
    public static Activation Softplus { get; } = new("softplus",
        x => nn.functional.softplus(x),
        x => x.sigmoid(),
        x => { var s = x.sigmoid(); return s * (1 - s); });

    /// <summary>Identity (a linear field): σ' = 1, σ'' = 0.</summary>
    public static Activation Identity { get; } = new("identity",
        x => x.alias(),
        x => ones_like(x),
        x => zeros_like(x));

    /// <summary>ReLU max(x, 0): σ' = 1 for x &gt; 0 and 0 otherwise (PyTorch's choice at the kink), σ'' = 0.</summary>
    public static Activation Relu { get; } = new("relu",
        x => nn.functional.relu(x),
        x => x.gt(0).to(x.dtype),
        x => zeros_like(x))
    {
        DerivativeFromValue = (x, _) => x.gt(0).to(x.dtype),
    };

    /// <summary>The built-in activations by name.</summary>
    public static IReadOnlyDictionary<string, Activation> ByName { get; } =
        new[] { Tanh, Sigmoid, Softplus, Identity, Relu }.ToDictionary(a => a.Name, StringComparer.OrdinalIgnoreCase);
}

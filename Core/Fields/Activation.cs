namespace RobustNode.Core.Fields;

/// <summary>The built-in elementwise activations; every engine has kernels for each (<see cref="Engines.IEngine{T}.Activate"/>).</summary>
public enum ActivationKind
{
    /// <summary>σ(x) = x.</summary>
    Identity,
    /// <summary>σ(x) = tanh x.</summary>
    Tanh,
    /// <summary>σ(x) = 1 / (1 + e⁻ˣ).</summary>
    Sigmoid,
    /// <summary>σ(x) = log(1 + eˣ).</summary>
    Softplus,
    /// <summary>σ(x) = max(x, 0).</summary>
    Relu,
}

/// <summary>
/// An elementwise activation σ as a value: which one it is and the facts the mathematics uses about it. Its kernels —
/// σ, σ' and σ'' as the closed-form adjoints need them (g_xᵀp = σ'(x) ⊙ Wᵀp; ∂ₓ(g_xᵀp)·s = σ''(x) ⊙ s ⊙ Wᵀp) — live in
/// the engines, which compute σ' and σ'' from σ(x) where the activation allows it (tanh: σ' = 1 − σ², σ'' = −2σσ';
/// sigmoid: σ' = σ(1 − σ), σ'' = σ'(1 − 2σ)), so that a stage costs one evaluation of σ.
/// </summary>
/// <param name="Kind">Which activation.</param>
/// <param name="Name">Name used in configuration, files and reports.</param>
/// <param name="Monotone">σ is non-decreasing (needed by the gradient-flow layers of convex potentials).</param>
/// <param name="SlopeBound">sup |σ'|: the Lipschitz constant of σ.</param>
public sealed record Activation(ActivationKind Kind, string Name, bool Monotone, double SlopeBound)
{
    /// <summary>tanh: σ' = 1 − tanh², σ'' = −2 tanh (1 − tanh²); monotone, slope ≤ 1.</summary>
    public static Activation Tanh { get; } = new(ActivationKind.Tanh, "tanh", true, 1);

    /// <summary>Logistic sigmoid: σ' = σ(1 − σ), σ'' = σ'(1 − 2σ); monotone, slope ≤ 1/4.</summary>
    public static Activation Sigmoid { get; } = new(ActivationKind.Sigmoid, "sigmoid", true, 0.25);

    /// <summary>softplus log(1 + eˣ): σ' = sigmoid, σ'' = sigmoid (1 − sigmoid); monotone, slope ≤ 1.</summary>
    public static Activation Softplus { get; } = new(ActivationKind.Softplus, "softplus", true, 1);

    /// <summary>Identity (a linear field): σ' = 1, σ'' = 0.</summary>
    public static Activation Identity { get; } = new(ActivationKind.Identity, "identity", true, 1);

    /// <summary>ReLU max(x, 0): σ' = 1 for x &gt; 0 and 0 otherwise (PyTorch's choice at the kink), σ'' = 0; monotone, slope ≤ 1.</summary>
    public static Activation Relu { get; } = new(ActivationKind.Relu, "relu", true, 1);

    /// <summary>True when σ'' vanishes everywhere (identity, ReLU): the second-order terms of the field drop out.</summary>
    public bool IsPiecewiseLinear => Kind is ActivationKind.Identity or ActivationKind.Relu;

    /// <summary>
    /// True when σ' and σ'' are functions of σ alone (tanh: 1 − σ², −2σσ'; sigmoid: σ(1 − σ), σ'(1 − 2σ); ReLU: [σ &gt; 0], 0;
    /// identity: 1, 0), so that the engines' derivative kernels compute them exactly from σ(x) given in place of x: a
    /// point's σ(x) then stands for x in every product. Softplus is the exception (σ' = sigmoid x).
    /// </summary>
    public bool DerivativesFromValue => Kind is not ActivationKind.Softplus;

    /// <summary>
    /// What a field hands the engines' derivative kernels as the argument of σ' and σ'' at a point x with σ(x) =
    /// <paramref name="value"/>: σ(x) itself where the derivatives are functions of it (<see cref="DerivativesFromValue"/>),
    /// so that nothing at the point reads x once σ(x) is known; x otherwise.
    /// </summary>
    public T DerivativeArgument<T>(T x, T value) => DerivativesFromValue ? value : x;

    /// <summary>
    /// Common activations that are not monotone — SiLU (swish), GELU, mish, sine, Gaussian — hence not the derivative σ = γ'
    /// of any convex potential γ. No engine computes them; they are named so that a layer that needs a convex potential
    /// refuses them for that reason rather than as unknown words.
    /// </summary>
    internal static IReadOnlySet<string> NotMonotone { get; } =
        new HashSet<string>(["silu", "swish", "gelu", "mish", "sin", "sine", "gaussian"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Why a gradient-flow layer refuses a non-monotone activation, and what it takes instead.</summary>
    internal static string NotAPotentialGradient(string name) =>
        $"'{name}' is not monotone, so it is not the derivative of a convex potential, which a gradient-flow layer x' = ∓Aᵀσ(Ax + b) needs (σ = γ' with γ convex); " +
        "use tanh, relu, softplus, sigmoid or identity";

    /// <summary>The built-in activations by name.</summary>
    public static IReadOnlyDictionary<string, Activation> ByName { get; } =
        new[] { Tanh, Sigmoid, Softplus, Identity, Relu }.ToDictionary(a => a.Name, StringComparer.OrdinalIgnoreCase);
}

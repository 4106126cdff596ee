using System.Numerics.Tensors;
using RobustNode.Core.Engines.Managed.Kernels;
using RobustNode.Core.Fields;

namespace RobustNode.Core.Engines.Managed;

// The activations with their first and second derivatives, the derivatives computed from values already
// known (σ' from σ for tanh and sigmoid, σ'' from σ and σ') as the Activation record's FromValue functions do.
public sealed partial class ManagedEngine<TScalar>
{
    /// <inheritdoc/>
    public ManagedTensor<TScalar> Activate(Activation activation, ManagedTensor<TScalar> x)
    {
        var source = x.Span;
        var result = New(x.Shape);
        var destination = result.Span;
        Run(Threads, source.Length, (x, result), activation.Kind switch
        {
            ActivationKind.Tanh => static (s, start, end) => ActivationKernels<TScalar>.Tanh(s.x.Span[start..end], s.result.Span[start..end]),
            ActivationKind.Sigmoid => static (s, start, end) => TensorPrimitives.Sigmoid(s.x.Span[start..end], s.result.Span[start..end]),
            ActivationKind.Softplus => static (s, start, end) => ActivationKernels<TScalar>.Softplus(s.x.Span[start..end], s.result.Span[start..end]),
            ActivationKind.Relu => static (s, start, end) => TensorPrimitives.Max(s.x.Span[start..end], TScalar.Zero, s.result.Span[start..end]),
            _ => static (s, start, end) => s.x.Span[start..end].CopyTo(s.result.Span[start..end]),
        });
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> ActivationDerivative(Activation activation, ManagedTensor<TScalar> x, ManagedTensor<TScalar> value)
    {
        SameShape("ActivationDerivative", x, value);
        var result = New(x.Shape);
        var destination = result.Span;
        switch (activation.Kind)
        {
            case ActivationKind.Tanh: ElementwiseKernels<TScalar>.OneMinusSquare(value.Span, destination); break;
            case ActivationKind.Sigmoid: ElementwiseKernels<TScalar>.TimesOneMinus(value.Span, destination); break;
            case ActivationKind.Softplus:
                Run(Threads, destination.Length, (x, result),
                    static (s, start, end) => TensorPrimitives.Sigmoid(s.x.Span[start..end], s.result.Span[start..end]));
                break;
            case ActivationKind.Relu: ElementwiseKernels<TScalar>.Positive(x.Span, destination); break;
            default: destination.Fill(TScalar.One); break;
        }
        return result;
    }

    /// <inheritdoc/>
    public ManagedTensor<TScalar> ActivationSecondDerivative(Activation activation, ManagedTensor<TScalar> x, ManagedTensor<TScalar> value,
        ManagedTensor<TScalar> derivative)
    {
        SameShape("ActivationSecondDerivative", x, value);
        SameShape("ActivationSecondDerivative", x, derivative);
        var result = New(x.Shape);
        var destination = result.Span;
        switch (activation.Kind)
        {
            case ActivationKind.Tanh: ElementwiseKernels<TScalar>.MinusTwiceProduct(value.Span, derivative.Span, destination); break;
            case ActivationKind.Sigmoid: ElementwiseKernels<TScalar>.TimesOneMinusTwice(derivative.Span, value.Span, destination); break;
            // softplus'' = sigmoid (1 − sigmoid), and sigmoid is softplus'.
            case ActivationKind.Softplus: ElementwiseKernels<TScalar>.TimesOneMinus(derivative.Span, destination); break;
            default: destination.Clear(); break;
        }
        return result;
    }

    /// <summary>An elementwise kernel over fixed element blocks, split across threads when large.</summary>
    private static void Run(int threads, int count, (ManagedTensor<TScalar> x, ManagedTensor<TScalar> result) state,
        Action<(ManagedTensor<TScalar> x, ManagedTensor<TScalar> result), int, int> body) =>
        Blocks.Run(threads, count, Blocks.ElementBlock, count, state, body);
}

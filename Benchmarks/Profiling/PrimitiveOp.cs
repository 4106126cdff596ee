using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Profiling;

/// <summary>
/// One libtorch operation at a shape the image network's sweeps use, described as data so that the .NET side and the
/// PyTorch script (oracles/image_profile.py) build and time exactly the same call. Kinds: <c>conv2d</c> (W ∗ z + b),
/// <c>conv_transpose2d</c> (Wᵀ ∗ p, the input cotangent), <c>correlation</c> (z ⋆ p, the kernel cotangent: a conv2d
/// over the batch, dilated by the stride), <c>conv2d-autograd</c> (the convolution and its backward pass by libtorch's autograd:
/// the input, kernel and bias cotangents at once, a "local single-layer backward"), <c>tanh</c>, <c>tanh-derivative</c> (1 − t·t from t), <c>mul</c>,
/// <c>add-scaled</c> (x + h·y), <c>sum</c> (over batch and space, the bias cotangent), <c>empty</c> (an allocation).
/// </summary>
/// <param name="Name">What it is, for the tables.</param>
/// <param name="Kind">The operation.</param>
/// <param name="Input">The first operand's shape ([B, C, H, W]).</param>
/// <param name="Weight">The kernel's shape [C_out, C_in, k, k] for the convolution kinds.</param>
/// <param name="Stride">Convolution stride.</param>
internal sealed record PrimitiveOp(string Name, string Kind, long[] Input, long[]? Weight = null, int Stride = 1)
{
    public bool IsConvolution => Weight is not null;

    private int Padding => Weight is null ? 0 : (int)(Weight[2] / 2);

    private long Out(long n) => (n + 2 * Padding - Weight![2]) / Stride + 1;

    /// <summary>The cotangent's shape [B, C_out, H_out, W_out] of a convolution kind.</summary>
    public long[] OutputShape => [Input[0], Weight![0], Out(Input[2]), Out(Input[3])];

    // The transposed convolution's output padding that shapes it like the input.
    private long[] OutputPadding => [Input[2] - ((OutputShape[2] - 1) * Stride - 2 * Padding + Weight![2]), Input[3] - ((OutputShape[3] - 1) * Stride - 2 * Padding + Weight![2])];

    /// <summary>The operations of one image network (stem convolutions and the ODE block's field and stepper arithmetic).</summary>
    public static IReadOnlyList<PrimitiveOp> OfNetwork(int batch, int width)
    {
        int c1 = width / 4, c2 = width / 2;
        long[] state = [batch, width, 7, 7];
        long[] kernel = [width, width, 3, 3];
        var ops = new List<PrimitiveOp>();
        foreach (var (name, input, weight, stride) in new (string, long[], long[], int)[]
                 {
                     ("stem 1", [batch, 1, 28, 28], [c1, 1, 3, 3], 2),
                     ("stem 2", [batch, c1, 14, 14], [c2, c1, 3, 3], 2),
                     ("stem 3", [batch, c2, 7, 7], [width, c2, 3, 3], 1),
                     ("ODE layer", state, kernel, 1),
                 })
        {
            ops.Add(new($"{name}: conv2d W ∗ z + b", "conv2d", input, weight, stride));
            ops.Add(new($"{name}: conv_transpose2d Wᵀ ∗ p", "conv_transpose2d", input, weight, stride));
            ops.Add(new($"{name}: conv_transpose2d Wᵀ ∗ p and its kernel-only backward", "conv_transpose2d-kernel-backward", input, weight, stride));
            ops.Add(new($"{name}: kernel correlation z ⋆ p", "correlation", input, weight, stride));
            ops.Add(new($"{name}: conv2d and its backward by autograd", "conv2d-autograd", input, weight, stride));
        }
        ops.Add(new("ODE state: tanh", "tanh", state));
        ops.Add(new("ODE state: 1 − t·t", "tanh-derivative", state));
        ops.Add(new("ODE state: x ⊙ y", "mul", state));
        ops.Add(new("ODE state: x + h·y", "add-scaled", state));
        ops.Add(new("ODE state: Σ over batch and space (bias cotangent)", "sum", state));
        ops.Add(new("ODE state: allocate (empty)", "empty", state));
        return ops;
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["name"] = Name, ["kind"] = Kind, ["input"] = Array(Input), ["stride"] = Stride };
        if (Weight is not null) o["weight"] = Array(Weight);
        return o;
    }

    private static JsonArray Array(long[] shape) => new(shape.Select(n => (JsonNode)JsonValue.Create(n)).ToArray());

    /// <summary>The call, prepared on random operands (channels-last strides for the convolution kinds when asked).</summary>
    public Func<Tensor> Prepare(Generator generator, bool channelsLast)
    {
        Tensor Random(long[] shape)
        {
            var t = randn(shape, generator: generator);
            return channelsLast ? LibTorchSettings.ChannelsLast(t) : t;
        }
        var x = Random(Input);
        switch (Kind)
        {
            case "conv2d":
            {
                var w = Random(Weight!);
                var b = randn([Weight![0]], generator: generator);
                return () => nn.functional.conv2d(x, w, b, strides: [Stride, Stride], padding: [Padding, Padding]);
            }
            case "conv_transpose2d":
            {
                var w = Random(Weight!);
                var p = Random(OutputShape);
                return () => nn.functional.conv_transpose2d(p, w, strides: [Stride, Stride], padding: [Padding, Padding], output_padding: OutputPadding);
            }
            case "conv_transpose2d-kernel-backward":
            {
                // The sweeps' call for a kernel term (KernelCotangents): the transposed convolution with the kernel tracked,
                // then a backward pass for the kernel only (libtorch's weight gradient).
                var w = Random(Weight!);
                var p = Random(OutputShape);
                return () =>
                {
                    using var enable = enable_grad();
                    var tracked = w.detach().requires_grad_(true);
                    var q = nn.functional.conv_transpose2d(p, tracked, strides: [Stride, Stride], padding: [Padding, Padding], output_padding: OutputPadding);
                    return autograd.grad([q], [tracked], [x])[0];
                };
            }
            case "correlation":
            {
                var p = Random(OutputShape);
                long k = Weight![2];
                return () => nn.functional.conv2d(x.transpose(0, 1), p.transpose(0, 1), padding: [Padding, Padding], dilation: [Stride, Stride])
                    .narrow(2, 0, k).narrow(3, 0, k).transpose(0, 1);
            }
            case "conv2d-autograd":
            {
                var w = Random(Weight!).requires_grad_(true);
                var b = randn([Weight![0]], generator: generator).requires_grad_(true);
                var z = x.requires_grad_(true);
                var p = Random(OutputShape);
                return () =>
                {
                    using var enable = enable_grad();
                    var y = nn.functional.conv2d(z, w, b, strides: [Stride, Stride], padding: [Padding, Padding]);
                    return autograd.grad([y], [z, w, b], [p])[0];
                };
            }
            case "tanh": return () => x.tanh();
            case "tanh-derivative": return () => 1 - x * x;
            case "mul":
            {
                var y = randn(Input, generator: generator);
                return () => x * y;
            }
            case "add-scaled":
            {
                var y = randn(Input, generator: generator);
                return () => x.add(y, 0.25);
            }
            case "sum": return () => x.sum([0, 2, 3]);
            case "empty": return () => empty(Input);
            default: throw new InvalidOperationException($"unknown primitive kind '{Kind}'");
        }
    }
}

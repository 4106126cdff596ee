using static TorchSharp.torch;

namespace RobustNode.Core.Fields;

/// <summary>
/// The kernel cotangents of a convolution a = W ∗_S z (stride S, padding P, k × k kernels) that the closed-form sweeps
/// of the convolutional fields and blocks add up, in the forms libtorch computes fastest on a CPU; exact (the same
/// sums, only laid out differently). With ⋆ the kernel correlation,
/// (z ⋆ ā)[o, i, u, v] = Σ_b Σ_{h,w} ā[b, o, h, w] z[b, i, S·h + u − P, S·w + v − P] = ∂⟨ā, W ∗_S z⟩/∂W[o, i, u, v].
/// </summary>
/// <remarks>
/// <para>A correlation is one <c>conv2d</c> with the batch in the channels' place (input zᵀ [C_in, B, H, W], kernel
/// āᵀ [C_out, B, H', W'], dilation S). Given in channels-last layout, oneDNN runs this shape 0.6–0.7× the time of the
/// contiguous layout at the image network's 7 × 7 maps (docs/benchmarks/image-gradients.md); the two layout copies
/// are a small part of that.</para>
/// <para>A second-order reverse stage needs the transposed convolution of two cotangents (ā and ā̇) and the kernel
/// correlations that pair them with two partners. <see cref="TransposedWithCorrelation"/> computes both at once as a
/// local single-layer backward: the transposed convolutions of the cotangents with the kernel tracked by autograd,
/// then one backward pass for the kernel only (libtorch's convolution backward for the weight, which costs
/// far less than a correlation written as a forward convolution). The graph has one node and is freed by that
/// backward pass, so the memory is one layer's.</para>
/// </remarks>
internal static class KernelCotangents
{
    /// <summary>z ⋆ ā, shaped like the kernel [C_out, C_in, k, k].</summary>
    /// <param name="z">The convolution's input [B, C_in, H, W].</param>
    /// <param name="abar">The cotangent of its output [B, C_out, H', W'].</param>
    /// <param name="kernel">k.</param>
    /// <param name="stride">S.</param>
    /// <param name="padding">P.</param>
    public static Tensor Correlation(Tensor z, Tensor abar, long kernel, long stride, long padding)
    {
        using var scope = NewDisposeScope();
        var c = nn.functional.conv2d(ChannelsLast(z.transpose(0, 1)), ChannelsLast(abar.transpose(0, 1)),
            padding: [padding, padding], dilation: [stride, stride]);
        // With a stride, the correlation's output can be larger than the kernel: its first k × k entries are the sums.
        if (c.shape[2] != kernel || c.shape[3] != kernel) c = c.narrow(2, 0, kernel).narrow(3, 0, kernel);
        return c.transpose(0, 1).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// zⱼ ⋆ ā for several inputs zⱼ paired with one cotangent ā, by one <c>conv2d</c>: the inputs stacked along the axis that
    /// the correlation treats as its batch (C_in), so that they share the layout copy of ā and the call (two inputs cost
    /// about 1.1× one, against 2× for two calls, at the image network's 7 × 7 maps).
    /// </summary>
    /// <param name="inputs">z₁, … [B, C_in, H, W].</param>
    /// <param name="abar">The cotangent ā [B, C_out, H', W'].</param>
    /// <param name="kernel">k.</param>
    /// <param name="stride">S.</param>
    /// <param name="padding">P.</param>
    /// <returns>zⱼ ⋆ ā [C_out, C_in, k, k] for every j.</returns>
    public static Tensor[] Correlations(Tensor[] inputs, Tensor abar, long kernel, long stride, long padding)
    {
        using var scope = NewDisposeScope();
        long channels = inputs[0].shape[1];
        // [B, C_in, H, W] → [C_in, H, W, B] contiguous is zᵀ in channels-last layout; the inputs are concatenated there.
        var stacked = new Tensor[inputs.Length];
        for (int j = 0; j < inputs.Length; j++) stacked[j] = inputs[j].permute(1, 2, 3, 0);
        var z = cat(stacked, 0).permute(0, 3, 1, 2);
        var c = nn.functional.conv2d(z, ChannelsLast(abar.transpose(0, 1)), padding: [padding, padding], dilation: [stride, stride]);
        if (c.shape[2] != kernel || c.shape[3] != kernel) c = c.narrow(2, 0, kernel).narrow(3, 0, kernel);
        var result = new Tensor[inputs.Length];
        for (int j = 0; j < result.Length; j++)
            result[j] = c.narrow(0, j * channels, channels).transpose(0, 1).contiguous().MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>
    /// The transposed convolutions W ∗ᵀ_S āⱼ of several cotangents and Σⱼ Gⱼ ⋆ āⱼ for their partners Gⱼ, by one transposed
    /// convolution per cotangent and one kernel-only backward pass through them.
    /// </summary>
    /// <param name="cotangents">ā₁, … [B, C_out, H', W'].</param>
    /// <param name="weight">W [C_out, C_in, k, k] (not modified; autograd tracks a detached alias).</param>
    /// <param name="partners">G₁, … [B, C_in, H, W], the convolution inputs the cotangents are paired with.</param>
    /// <param name="stride">S.</param>
    /// <param name="padding">P.</param>
    /// <param name="outputPadding">The transposed convolution's output padding, so that its output is shaped like Gⱼ.</param>
    /// <returns>(W ∗ᵀ āⱼ [B, C_in, H, W] for every j, Σⱼ Gⱼ ⋆ āⱼ [C_out, C_in, k, k]), untracked.</returns>
    /// <remarks>The cotangents are not stacked into one batch: that would copy them and their partners, two states each, for
    /// the same arithmetic.</remarks>
    public static (Tensor[] Transposed, Tensor Kernel) TransposedWithCorrelation(Tensor[] cotangents, Tensor weight, Tensor[] partners,
        long stride, long padding, long[] outputPadding)
    {
        var (transposed, kernels) = TransposedWithCorrelations(cotangents, weight, [partners], stride, padding, outputPadding);
        return (transposed, kernels[0]);
    }

    /// <summary>
    /// <see cref="TransposedWithCorrelation"/> for several sets of partners: Σⱼ Gₛⱼ ⋆ āⱼ for every set s, by one kernel-only
    /// backward pass per set through the same transposed convolutions (the graph kept until the last). A set shorter than
    /// the cotangents pairs only the first of them.
    /// </summary>
    /// <returns>(W ∗ᵀ āⱼ for every j, Σⱼ Gₛⱼ ⋆ āⱼ for every set s), untracked.</returns>
    public static (Tensor[] Transposed, Tensor[] Kernels) TransposedWithCorrelations(Tensor[] cotangents, Tensor weight, Tensor[][] partners,
        long stride, long padding, long[] outputPadding)
    {
        using var scope = NewDisposeScope();
        using var tracked = enable_grad();
        var w = weight.detach().requires_grad_(true);
        var q = new Tensor[cotangents.Length];
        for (int j = 0; j < q.Length; j++)
            q[j] = nn.functional.conv_transpose2d(cotangents[j].detach(), w, strides: [stride, stride], padding: [padding, padding],
                output_padding: outputPadding);
        // ∂⟨G, W ∗ᵀ ā⟩/∂W = G ⋆ ā (the adjoint of the transposed convolution is the convolution W ∗ G).
        var kernels = new Tensor[partners.Length];
        for (int k = 0; k < partners.Length; k++)
        {
            var set = partners[k];
            var outputs = set.Length == q.Length ? q : q[..set.Length];
            kernels[k] = autograd.grad(outputs, [w], set, retain_graph: k < partners.Length - 1)[0].detach().MoveToOuterDisposeScope();
        }
        var transposed = new Tensor[q.Length];
        for (int j = 0; j < q.Length; j++) transposed[j] = q[j].detach().MoveToOuterDisposeScope();
        return (transposed, kernels);
    }

    /// <summary>
    /// The convolution W ∗_S z and z ⋆ ā for a cotangent ā of its output, by one convolution and a kernel-only backward
    /// pass through it (a local single-layer backward, like <see cref="TransposedWithCorrelation"/>).
    /// </summary>
    /// <param name="input">z [B, C_in, H, W].</param>
    /// <param name="weight">W [C_out, C_in, k, k] (not modified; autograd tracks a detached alias).</param>
    /// <param name="cotangent">ā [B, C_out, H', W'], shaped like the convolution's output.</param>
    /// <param name="stride">S.</param>
    /// <param name="padding">P.</param>
    /// <returns>(W ∗_S z [B, C_out, H', W'], z ⋆ ā [C_out, C_in, k, k]), untracked.</returns>
    public static (Tensor Convolution, Tensor Kernel) ConvolutionWithCorrelation(Tensor input, Tensor weight, Tensor cotangent, long stride, long padding)
    {
        using var scope = NewDisposeScope();
        using var tracked = enable_grad();
        var w = weight.detach().requires_grad_(true);
        var a = nn.functional.conv2d(input.detach(), w, strides: [stride, stride], padding: [padding, padding]);
        // ∂⟨ā, W ∗ z⟩/∂W = z ⋆ ā.
        var kernel = autograd.grad([a], [w], [cotangent])[0];
        return (a.detach().MoveToOuterDisposeScope(), kernel.detach().MoveToOuterDisposeScope());
    }

    // Channels-last strides for a [N, C, H, W] tensor (TorchSharp has no memory-format argument for contiguous).
    private static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
}

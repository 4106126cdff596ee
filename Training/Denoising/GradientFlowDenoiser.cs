using System.Globalization;
using LanguageExt;
using RobustNode.Core.Engines;
using RobustNode.Core.Errors;
using RobustNode.Core.Fields;
using RobustNode.Core.Spectral;
using RobustNode.Sensitivity.Networks;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Denoising;

/// <summary>
/// The convergent denoiser: D = T_N ∘ … ∘ T_1 with T_k(x) = x − h A_kᵀσ(A_k x + b_k), explicit Euler steps of the
/// gradient flow of the convex potential V_k(x) = Σᵢ γ((A_k x + b_k)ᵢ), A_k a k×k convolution from the grey image to
/// <see cref="Filters"/> channels (<see cref="GradientFlowSteps"/>), acting on the image lifted to <see cref="Channels"/> state
/// channels (the image and C − 1 zero channels; the output is channel 0). Training keeps h·sup σ'·‖A_k‖₂² ≤ 2θ with θ &lt; 1 by
/// projection after every optimizer step, ‖A_k‖₂ from the bound proven for images of every size
/// (<see cref="ConvolutionSpectrum.UpperBoundOnAnyImage"/>); then each T_k is the gradient step of a convex function with
/// an L_k-Lipschitz gradient, h L_k &lt; 2, hence (hL_k/2)-averaged (Baillon–Haddad), and D is averaged with the composed
/// α &lt; 1 and 1-Lipschitz, whatever the parameters: Plug-and-Play forward–backward splitting with D converges.
/// <para>
/// The lifting keeps both facts: with E y = (y, 0, …, 0) (an isometry, EᵀE = I) and N = T_N ∘ … ∘ T_1 α-averaged on the
/// lifted space, N = (1 − α)I + αM with M non-expansive, so D = EᵀNE = (1 − α)I + α EᵀME and ‖EᵀME‖ ≤ 1: D is α-averaged
/// with the same α. The extra channels carry features from step to step (as a CNN's hidden channels do), which one grey
/// channel cannot.
/// </para>
/// </summary>
/// <param name="Steps">N, the number of Euler steps (layers).</param>
/// <param name="Filters">m, the channels of each A_k.</param>
/// <param name="Kernel">k, odd.</param>
/// <param name="StepSize">h &gt; 0 (the norm constraint scales with it; only h‖A‖² matters).</param>
/// <param name="Theta">θ ∈ (0, 1): each step keeps h L_k ≤ 2θ, so it is θ-averaged at worst.</param>
/// <param name="ActivationName">σ = γ': relu, softplus, tanh, sigmoid or identity (monotone, so γ is convex).</param>
/// <param name="Channels">C ≥ 1, the state channels: each A_k maps C channels to m (1: the grey image alone).</param>
/// <param name="GramBound">For C &gt; 1, the proven norm bound: <c>moduli</c> (<see cref="ConvolutionGramBound.UpperBoundOnAnyImage"/>)
/// or the tighter <c>eigenvalues</c> (<see cref="ConvolutionGramBound.EigenvalueBoundOnAnyImage"/>).</param>
/// <remarks>
/// Sherry, Celledoni, Ehrhardt, Murari, Owren, Schönlieb, "Designing stable neural networks using convex analysis and
/// ODEs", arXiv:2306.17332 (2023): the denoiser as a chain of averaged gradient-flow steps, no skip connection beyond the
/// steps themselves. Averagedness of compositions: Combettes &amp; Yamada 2015, Proposition 2.5.
/// </remarks>
public sealed record GradientFlowDenoiser(int Steps = 20, int Filters = 64, int Kernel = 3, double StepSize = 1, double Theta = 0.95,
    string ActivationName = "relu", int Channels = 1, string GramBound = GradientFlowDenoiser.ModuliGramBound) : IDenoiserArchitecture
{
    /// <summary>The architecture's name.</summary>
    public const string ArchitectureName = "gradient-flow";

    /// <summary>The default <see cref="GramBound"/>: <see cref="ConvolutionGramBound.UpperBoundOnAnyImage"/>.</summary>
    public const string ModuliGramBound = "moduli";

    /// <summary>The tighter <see cref="GramBound"/>: <see cref="ConvolutionGramBound.EigenvalueBoundOnAnyImage"/>.</summary>
    public const string EigenvalueGramBound = "eigenvalues";

    /// <summary>The frequency grid of the proven norm bound (see <see cref="ConvolutionSpectrum.UpperBoundOnAnyImage"/>).</summary>
    public const int BoundGrid = 128;

    /// <inheritdoc/>
    public string Name => ArchitectureName;

    /// <summary>Number of trainable values: N·m·(C·k² + 1).</summary>
    public long ParameterCount => (long)Steps * Filters * ((long)Channels * Kernel * Kernel + 1);

    /// <summary>σ, when the name is a monotone activation.</summary>
    public Option<Activation> Activation =>
        Core.Fields.Activation.ByName.TryGetValue(ActivationName, out var a) && a.Monotone ? Some(a) : None;

    /// <summary>The rule the steps keep: h·sup σ'·‖A_k‖₂² ≤ 2θ.</summary>
    public GradientFlowStepRule Rule => new(Contractive: 2 * Theta);

    /// <summary>Checks the settings, naming each problem.</summary>
    public Fin<GradientFlowDenoiser> Validate()
    {
        var problems = new List<string>();
        if (Steps < 1) problems.Add($"steps must be at least 1, got {Steps}");
        if (Filters < 1) problems.Add($"filters must be at least 1, got {Filters}");
        if (Channels < 1) problems.Add($"channels must be at least 1, got {Channels}");
        if (GramBound is not (ModuliGramBound or EigenvalueGramBound)) problems.Add($"gram bound must be moduli or eigenvalues, got '{GramBound}'");
        if (Kernel < 1 || Kernel % 2 == 0) problems.Add($"kernel must be odd and positive, got {Kernel}");
        if (!(StepSize > 0) || !double.IsFinite(StepSize)) problems.Add($"step size must be positive and finite, got {StepSize}");
        if (!(Theta > 0 && Theta < 1)) problems.Add($"theta must lie in (0, 1) (θ = 1 would allow steps that are not averaged), got {Theta}");
        if (Core.Fields.Activation.NotMonotone.Contains(ActivationName)) problems.Add(Core.Fields.Activation.NotAPotentialGradient(ActivationName));
        else if (Activation.IsNone) problems.Add($"activation must be one of {string.Join(", ", Core.Fields.Activation.ByName.Keys)}, got '{ActivationName}'");
        return problems.Count == 0
            ? FinSucc(this)
            : FinFail<GradientFlowDenoiser>(RobustNodeErrors.InvalidArgument(ArchitectureName, string.Join("; ", problems)));
    }

    /// <inheritdoc/>
    public IReadOnlyList<KeyValuePair<string, string>> Describe()
    {
        var entries = new List<KeyValuePair<string, string>>
        {
            new("architecture", ArchitectureName),
            new("architecture.steps", Steps.ToString(CultureInfo.InvariantCulture)),
            new("architecture.filters", Filters.ToString(CultureInfo.InvariantCulture)),
            new("architecture.kernel", Kernel.ToString(CultureInfo.InvariantCulture)),
            new("architecture.step", StepSize.ToString("R", CultureInfo.InvariantCulture)),
            new("architecture.theta", Theta.ToString("R", CultureInfo.InvariantCulture)),
            new("architecture.activation", ActivationName),
            new("architecture.channels", Channels.ToString(CultureInfo.InvariantCulture)),
        };
        // Written only when it is not the default, so that every earlier description stays what it was.
        if (GramBound != ModuliGramBound) entries.Add(new("architecture.gramBound", GramBound));
        return entries;
    }

    /// <summary>The architecture of a description written by <see cref="Describe"/>.</summary>
    internal static Fin<GradientFlowDenoiser> FromDescription(IReadOnlyDictionary<string, string> entries)
    {
        Fin<string> Text(string key) => entries.TryGetValue(key, out var text)
            ? FinSucc(text)
            : FinFail<string>(RobustNodeErrors.InvalidArgument(key, $"missing from the description of a {ArchitectureName} denoiser"));
        Fin<int> Integer(string key) => Text(key).Bind(text => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? FinSucc(value)
            : FinFail<int>(RobustNodeErrors.InvalidArgument(key, $"expected an integer in the description of a {ArchitectureName} denoiser, got '{text}'")));
        Fin<double> Number(string key) => Text(key).Bind(text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? FinSucc(value)
            : FinFail<double>(RobustNodeErrors.InvalidArgument(key, $"expected a number in the description of a {ArchitectureName} denoiser, got '{text}'")));
        return from steps in Integer("architecture.steps")
               from filters in Integer("architecture.filters")
               from kernel in Integer("architecture.kernel")
               from step in Number("architecture.step")
               from theta in Number("architecture.theta")
               from activation in Text("architecture.activation")
               // Descriptions written before the lifting have no channels entry: one channel, the grey image.
               from channels in entries.ContainsKey("architecture.channels") ? Integer("architecture.channels") : FinSucc(1)
               from gramBound in entries.ContainsKey("architecture.gramBound") ? Text("architecture.gramBound") : FinSucc(ModuliGramBound)
               from valid in new GradientFlowDenoiser(steps, filters, kernel, step, theta, activation, channels, gramBound).Validate()
               select valid;
    }

    /// <summary>The fraction of the step rule's budget h L_k the initial kernels use: D starts close to the identity.</summary>
    public const double InitialBudgetFraction = 0.05;

    /// <summary>
    /// Normal kernels, each scaled so that h L_k = 5 % of its budget 2θ (D starts close to the identity, so training
    /// starts from the noisy image's PSNR), zero biases, from the seed.
    /// </summary>
    public Fin<IBlock<Tensor>> Build(ulong seed, ScalarType dtype) =>
        Validate().Map(_ =>
        {
            using var scope = NewDisposeScope();
            using var generator = new Generator(seed);
            var kernels = randn([Steps, Filters, Channels, Kernel, Kernel], dtype: ScalarType.Float64, generator: generator);
            double radius = Radius * Math.Sqrt(InitialBudgetFraction);
            for (int k = 0; k < Steps; k++)
            {
                var kernel = kernels[k];
                kernel.TimesInPlace(radius / NormBound(kernel));
            }
            kernels = kernels.to(dtype);
            var biases = zeros([Steps, Filters], dtype: dtype);
            Constrain([kernels, biases]);
            kernels.MoveToOuterDisposeScope();
            biases.MoveToOuterDisposeScope();
            return (IBlock<Tensor>)new GradientFlowSteps(kernels, biases, StepSize, (Activation)Activation, Rule);
        });

    /// <summary>
    /// Rescales every A_k whose proven norm exceeds √(2θ/(h sup σ')) onto that radius, in place (a relative margin below
    /// it — 1e-9 in float64, 1e-5 in float32 — survives rounding the rescaled kernel).
    /// </summary>
    public void Constrain(IReadOnlyList<Tensor> parameters)
    {
        using var scope = NewDisposeScope();
        using var untracked = no_grad();
        var kernels = parameters[0];
        double margin = kernels.dtype == ScalarType.Float64 ? 1e-9 : 1e-5;
        double radius = Radius * (1 - margin);
        for (int k = 0; k < Steps; k++)
        {
            var kernel = kernels[k];
            double bound = NormBound(kernel);
            if (bound > radius) kernel.TimesInPlace(radius / bound);
        }
    }

    /// <summary>1 when every step keeps h L_k &lt; 2 with the proven norms (each step is then non-expansive).</summary>
    public Option<double> LipschitzBound(IBlock<Tensor> network) => StepAlphas(network).Map(_ => 1.0);

    /// <summary>The composed α of the steps' (h L_k / 2)-averagedness, from the proven norms of the given parameters.</summary>
    public Option<double> Averagedness(IBlock<Tensor> network) => StepAlphas(network).Map(Denoising.Averagedness.Compose);

    /// <summary>h L_k / 2 for every step, when each is below 1 (proven norms of the network's kernels).</summary>
    public Option<double[]> StepAlphas(IBlock<Tensor> network)
    {
        if (network.Parameters.Count != 2 || network.Parameters[0].dim() != 5 || network.Parameters[0].shape[0] != Steps) return None;
        var kernels = network.Parameters[0];
        var alphas = new double[Steps];
        for (int k = 0; k < Steps; k++)
        {
            using var scope = NewDisposeScope();
            double norm = NormBound(kernels[k]);
            var alpha = Denoising.Averagedness.OfGradientStep(StepSize, SlopeBound * norm * norm);
            if (alpha.IsNone) return None;
            alphas[k] = (double)alpha;
        }
        return Some(alphas);
    }

    /// <summary>
    /// The proven bound of ‖A_k‖₂ on images of every size: the exact-per-frequency bound for one channel
    /// (<see cref="ConvolutionSpectrum.UpperBoundOnAnyImage"/>), a Gram bound for several (moduli or eigenvalues, see
    /// <see cref="GramBound"/>), whose cost does not grow with the filters m.
    /// </summary>
    public double NormBound(Tensor kernel) =>
        Channels == 1 ? ConvolutionSpectrum.UpperBoundOnAnyImage(kernel, BoundGrid)
        : GramBound == EigenvalueGramBound ? ConvolutionGramBound.EigenvalueBoundOnAnyImage(kernel, BoundGrid)
        : ConvolutionGramBound.UpperBoundOnAnyImage(kernel, BoundGrid);

    private double SlopeBound => Activation.Map(a => a.SlopeBound).IfNone(1);

    // √(2θ/(h sup σ')): the largest ‖A_k‖₂ the rule allows.
    private double Radius => Math.Sqrt(2 * Theta / (StepSize * SlopeBound));
}

using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Solvers;
using RobustNode.Training.Data;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using static TorchSharp.torch;

namespace RobustNode.Host.Experiments;

/// <summary>
/// One experiment of the <c>Experiments</c> section, validated into core values: where the data comes from, the
/// network, how it is trained (one or more trainers sharing optimizer, schedule, epochs, batch size and seed) and how
/// it is evaluated under attack.
/// </summary>
/// <param name="Name">The section's name (<c>moons</c>, <c>mnist</c>, …).</param>
/// <param name="Threads">libtorch intra-op threads while the experiment runs (1 for point clouds: tiny tensors).</param>
/// <param name="Data">The data set.</param>
/// <param name="Model">The network.</param>
/// <param name="Training">The trainers and their shared settings.</param>
/// <param name="Evaluation">Attacks, radii and plots.</param>
internal sealed record ExperimentSettings(
    string Name,
    int Threads,
    DataSettings Data,
    ModelSettings Model,
    TrainingSettings Training,
    EvaluationSettings Evaluation)
{
    /// <summary>True for two-dimensional inputs, where level sets and arrow plots make sense.</summary>
    public bool IsPlanar => Data is PointCloudDataSettings;
}

/// <summary>Where an experiment's data comes from.</summary>
internal abstract record DataSettings;

/// <summary>A generated 2-D point cloud (<c>Data:Kind = point-cloud</c>), split at random into train and test parts.</summary>
/// <param name="Generator">The family with its parameters (moons, circles, spirals).</param>
/// <param name="Size">Number of points generated.</param>
/// <param name="TestFraction">Fraction of the points held out for testing.</param>
/// <param name="Seed">Seed of the generator and of the split.</param>
internal sealed record PointCloudDataSettings(PointCloud Generator, int Size, double TestFraction, long Seed) : DataSettings;

/// <summary>How grey levels in [0, 1] are fed to the network.</summary>
internal enum ImageNormalisation
{
    /// <summary>As they are, in [0, 1] (ε and the input box are in grey levels).</summary>
    Unit,
    /// <summary>(x − μ) / σ with the mean and standard deviation of the training images; ε and the box are still given in grey levels.</summary>
    Standard,
}

/// <summary>
/// Images from IDX files (<c>Data:Kind = images</c>): either one labelled file split into train and test parts
/// (<see cref="Test"/> null), or separate train and test files, each subsampled at random.
/// </summary>
/// <param name="Source">Short name for reports (the experiment name).</param>
/// <param name="Section">The configuration path of the data section (for error messages).</param>
/// <param name="Train">Images and labels of the training part (or of everything, when <see cref="Test"/> is null).</param>
/// <param name="Test">Images and labels of the test part, or null.</param>
/// <param name="TrainCount">Training images used (at most those available).</param>
/// <param name="TestCount">Test images used.</param>
/// <param name="Seed">Seed of the random subsets.</param>
/// <param name="Normalisation">Input normalisation.</param>
internal sealed record ImageDataSettings(
    string Source,
    string Section,
    IdxPair Train,
    IdxPair? Test,
    int TrainCount,
    int TestCount,
    long Seed,
    ImageNormalisation Normalisation) : DataSettings;

/// <summary>An IDX image file and its IDX label file, with the configuration keys they came from (for error messages).</summary>
internal sealed record IdxPair(string Images, string Labels, string ImagesKey, string LabelsKey);

/// <summary>The network of an experiment.</summary>
/// <param name="Seed">Seed of the parameter initialisation.</param>
/// <param name="SolverName">The solver's registry name (for reports).</param>
internal abstract record ModelSettings(long Seed, string SolverName)
{
    /// <summary>The engine that computes with the network, resolved at start-up (<c>Model:Engine</c> or <c>Engine:Name</c>; never <c>auto</c>).</summary>
    public string Engine { get; init; } = "torch";

    /// <summary>Whether the network has convolutions (only engines with convolutions run it).</summary>
    public abstract bool IsConvolutional { get; }
}

/// <summary>The point-cloud network: zero padding to R^d, the neural ODE on N layers, a linear read-out.</summary>
internal sealed record PointCloudModelSettings(PointCloudModel Model, long Seed, string SolverName) : ModelSettings(Seed, SolverName)
{
    /// <inheritdoc/>
    public override bool IsConvolutional => false;
}

/// <summary>The convolutional ODE network of the seed talk's MNIST experiment.</summary>
internal sealed record ImageModelSettings(
    ConvolutionalOdeModel Model,
    OdeSolver Solver,
    IAdjointMethod Adjoint,
    ScalarType DType,
    long Seed,
    string SolverName) : ModelSettings(Seed, SolverName)
{
    /// <inheritdoc/>
    public override bool IsConvolutional => true;
}

/// <summary>
/// A trainer as configured: its name (the file name of its model and checkpoint) and its objective's settings, with
/// radii in input units (grey levels for images). <see cref="Runs.Objectives"/> turns it into an
/// <see cref="ITrainingObjective"/> once the data's normalisation is known.
/// </summary>
/// <param name="Name"><c>standard</c>, <c>augmented</c>, <c>pgd</c>, <c>fgsm-rs</c>, <c>trades</c>, <c>gradalign</c>, <c>llr</c>, <c>augmented-adversarial</c>, <c>lipschitz-margin</c>, <c>gloro</c> or <c>gloro-trades</c>.</param>
/// <param name="Kind">Which objective.</param>
/// <param name="Epsilon">The radius defended against.</param>
/// <param name="Norm">The attack norm q (augmented losses: the penalty uses its dual q*).</param>
/// <param name="Weight">The weight of the objective's extra term: the augmented penalty w (null: w = ε), TRADES' β, GradAlign's λ, LLR's λ, GloRo-TRADES' λ.</param>
/// <param name="WarmupEpochs">Epochs over which the radius (and the weights) grow linearly from 0.</param>
/// <param name="Steps">Attack steps per training batch (PGD, TRADES, LLR).</param>
/// <param name="StepSize">Attack step size α (null: the objective's default).</param>
/// <param name="RandomStart">PGD starts at a random point of the ε-ball.</param>
/// <param name="GradientWeight">LLR's weight μ of |δᵀ∇ₓℓ|.</param>
/// <param name="Temperature">The temperature τ of the Lipschitz-margin cross-entropy (1: none).</param>
/// <param name="WarmupShape">How the margin trainers' radius grows over the warm-up: linearly from 0 or by GloRo's logarithmic schedule.</param>
internal sealed record TrainerSettings(
    string Name,
    TrainerKind Kind,
    double Epsilon = 0,
    AttackNorm? Norm = null,
    double? Weight = null,
    int WarmupEpochs = 0,
    int Steps = 0,
    double? StepSize = null,
    bool RandomStart = true,
    double? GradientWeight = null,
    double Temperature = 1,
    WarmupShape WarmupShape = WarmupShape.Linear);

/// <summary>The kinds of trainer.</summary>
internal enum TrainerKind
{
    /// <summary>Minimises the loss J.</summary>
    Standard,
    /// <summary>Minimises the augmented loss J + w‖∇ₓ₀ℓ‖_{q*} (second-order adjoint).</summary>
    Augmented,
    /// <summary>Minimises J at PGD examples (Madry et al.).</summary>
    Pgd,
    /// <summary>Minimises J at FGSM-with-random-start examples (Wong et al.).</summary>
    FgsmRs,
    /// <summary>Minimises J + β KL(f(x) ‖ f(x′)) with x′ from PGD on the divergence (Zhang et al.).</summary>
    Trades,
    /// <summary>FGSM training plus λ(1 − cos(∇ₓℓ(x), ∇ₓℓ(x + η))) (Andriushchenko &amp; Flammarion; second-order adjoint).</summary>
    GradAlign,
    /// <summary>Local linearity regularisation (Qin et al.; second-order adjoint).</summary>
    Llr,
    /// <summary>The augmented loss at an FGSM-with-random-start example (second-order adjoint).</summary>
    AugmentedAdversarial,
    /// <summary>Cross-entropy with every wrong logit raised by its ℓ2 Lipschitz margin at ε (Tsuzuku et al.; pairwise through the read-out).</summary>
    LipschitzMargin,
    /// <summary>Cross-entropy with GloRo's bottom class: the largest wrong logit raised by its ℓ2 Lipschitz margin at ε (Leino et al.).</summary>
    GloRo,
    /// <summary>GloRo's TRADES loss: cross-entropy plus λ times the divergence of the bottom-class softmax from the clean one, ⊥ raised against the prediction.</summary>
    GloRoTrades,
}

/// <summary>What every trainer of an experiment shares, and which trainers run (in the order standard, augmented, pgd, fgsm-rs, trades, gradalign, llr, augmented-adversarial, lipschitz-margin, gloro, gloro-trades).</summary>
/// <param name="Optimizer">The optimizer of every trainer.</param>
/// <param name="Schedule">The learning-rate schedule.</param>
/// <param name="Epochs">Epochs of every trainer.</param>
/// <param name="BatchSize">Mini-batch size.</param>
/// <param name="Seed">The seed of shuffles and of the objectives' random draws.</param>
/// <param name="Trainers">The enabled trainers, in order.</param>
/// <param name="Divergence">When a trainer's run counts as diverged (null: the library's default rule).</param>
/// <param name="RandomShift">The largest random translation of the training images, in pixels (0: none; images only).</param>
internal sealed record TrainingSettings(
    IOptimizer Optimizer,
    ILearningRateSchedule Schedule,
    int Epochs,
    int BatchSize,
    long Seed,
    IReadOnlyList<TrainerSettings> Trainers,
    DivergenceRule? Divergence = null,
    int RandomShift = 0);

/// <summary>
/// PGD as an evaluation attack: steps, restarts, step size relative to ε, seed of the random starts, and how many test
/// samples it attacks (the first <paramref name="TestCount"/>; 0: all) — PGD costs Steps gradients per sample and radius.
/// </summary>
internal sealed record PgdEvaluation(int Steps, int Restarts, double? RelativeStepSize, long Seed, int TestCount = 0);

/// <summary>
/// APGD on the cross-entropy (APGD-CE) as an evaluation attack: iterations and restarts per radius, the seed of its random
/// starts, and the first test samples it attacks (0: all). Its step size is its own (Croce &amp; Hein 2020).
/// </summary>
internal sealed record ApgdEvaluation(int Iterations, int Restarts, long Seed, int TestCount = 0);

/// <summary>
/// APGD with targets (APGD-T) as an evaluation attack: the targeted DLR loss from four classes on, the targeted margin
/// below, the curve <c>apgd-dlr-&lt;norm&gt;</c> either way; iterations and restarts per target class, how many target classes (the highest
/// clean scores after the label's; at most classes − 1 are used), the seed, and the first test samples it attacks.
/// </summary>
internal sealed record ApgdTargetedEvaluation(int Iterations, int Restarts, int TargetClasses, long Seed, int TestCount = 0);

/// <summary>
/// The Square attack as an evaluation attack: queries per sample and restart, the initial fraction p_init of the
/// features a window covers, restarts, the seed, and the first test samples it attacks.
/// </summary>
internal sealed record SquareEvaluation(int Queries, double InitialFraction, int Restarts, long Seed, int TestCount = 0);

/// <summary>
/// How models are evaluated: the attack norm, the radii (in input units: grey levels for images), the attacks — FGSM,
/// PGD, APGD-CE, APGD-T, Square, each optional —, the radius of the arrow plot and attack grid, the valid input box, the
/// level-set grid of planar data, and the covering radius of the sanity check (null: none; computed from the box or the
/// test data unless given).
/// </summary>
internal sealed record EvaluationSettings(
    AttackNorm Norm,
    IReadOnlyList<double> Epsilons,
    bool Fgsm,
    PgdEvaluation? Pgd,
    double AttackEpsilon,
    InputBox? Box,
    int GridResolution,
    double GridMargin,
    ApgdEvaluation? Apgd = null,
    ApgdTargetedEvaluation? ApgdDlr = null,
    SquareEvaluation? Square = null,
    CoveringRadiusSetting? CoveringRadius = null)
{
    /// <summary>
    /// Whether models are also scored by certified accuracy (<c>certified-&lt;norm&gt;</c>, from their Lipschitz bound and
    /// logit margins) at the same radii; models without a known bound get no certified curve.
    /// </summary>
    public bool Certify { get; init; } = true;
}

/// <summary>The radius of the covering sanity check: computed (<see cref="Automatic"/>) or given in input units.</summary>
/// <param name="Radius">The given radius, or null to compute it from the input box or the test data.</param>
internal sealed record CoveringRadiusSetting(double? Radius)
{
    /// <summary>Computed from the input box, or the test data's bounding box without one.</summary>
    public static CoveringRadiusSetting Automatic { get; } = new((double?)null);
}

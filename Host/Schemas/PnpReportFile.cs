namespace RobustNode.Host.Schemas;

/// <summary>
/// <c>report.json</c> of <c>pnp</c>: <c>finished</c>, <c>problem</c>, <c>denoisers</c> (what is proven of each and what
/// the tests found), <c>images</c> (per image the degraded PSNR and, per denoiser, the reconstruction's PSNR and
/// residual per iteration and the self-application's PSNR and drift per application) and <c>plots</c>. Noise levels are
/// in grey levels of 255.
/// </summary>
internal sealed record PnpReportFile(
    DateTimeOffset Finished,
    PnpProblemJson Problem,
    IReadOnlyList<PnpDenoiserJson> Denoisers,
    IReadOnlyList<PnpImageJson> Images,
    IReadOnlyList<string> Plots);

/// <summary>
/// The inverse problem and the iteration: <c>{ "kind" (deblur | inpaint), "operator", "noiseLevel", "noiseLevelUnit",
/// "stepSize", "maxIterations", "tolerance", "crop", "selfApplications", "seed" }</c>.
/// </summary>
internal sealed record PnpProblemJson(string Kind, string Operator, double NoiseLevel, string NoiseLevelUnit, double StepSize, int MaxIterations, double Tolerance,
    int Crop, int SelfApplications, long Seed);

/// <summary>
/// A denoiser: <c>{ "name", "file", "trainedAt", "lipschitzBound", "averagedness" (null when not proven),
/// "averagednessTest", "jacobianNorm" (the largest ‖J_D‖₂ found: a lower bound of the Lipschitz constant) }</c>.
/// </summary>
internal sealed record PnpDenoiserJson(string Name, string File, IReadOnlyList<double> TrainedAt, double? LipschitzBound, double? Averagedness,
    AveragednessTestJson AveragednessTest, double JacobianNorm);

/// <summary>
/// The averagedness inequality on sample pairs: <c>{ "alpha", "pairs", "violations", "holds", "worstRelativeSlack",
/// "smallestAlpha" (null when a pair is expanded), "largestDistanceRatio" }</c>.
/// </summary>
internal sealed record AveragednessTestJson(double Alpha, int Pairs, int Violations, bool Holds, double WorstRelativeSlack, double SmallestAlpha,
    double LargestDistanceRatio);

/// <summary>One image: <c>{ "image", "height", "width", "degradedPsnr", "startPsnr", "reconstructions", "selfApplication" }</c>.</summary>
internal sealed record PnpImageJson(string Image, int Height, int Width, double DegradedPsnr, double StartPsnr, IReadOnlyList<PnpReconstructionJson> Reconstructions,
    IReadOnlyList<PnpSelfApplicationJson> SelfApplication);

/// <summary>
/// One denoiser's reconstruction: <c>{ "denoiser", "converged", "iterations", "finalResidual", "residualRises",
/// "finalPsnr", "bestPsnr", "bestIteration", "seconds", "psnr" (per iteration), "residual" (‖x_k − x_(k−1)‖₂ per iteration) }</c>.
/// </summary>
internal sealed record PnpReconstructionJson(string Denoiser, bool Converged, int Iterations, double FinalResidual, int ResidualRises, double FinalPsnr,
    double BestPsnr, int BestIteration, double Seconds, IReadOnlyList<double> Psnr, IReadOnlyList<double> Residual);

/// <summary>
/// One denoiser applied again and again to its own output: <c>{ "denoiser", "noiseLevel", "startPsnr", "driftRises",
/// "psnr" (per application), "drift" (‖x_k − x_(k−1)‖₂ per application) }</c>.
/// </summary>
internal sealed record PnpSelfApplicationJson(string Denoiser, double NoiseLevel, double StartPsnr, int DriftRises, IReadOnlyList<double> Psnr,
    IReadOnlyList<double> Drift);

using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;
using RobustNode.Core.Sampling;

namespace RobustNode.Training.Data;

/// <summary>
/// A family of labelled two-dimensional point clouds (the seed talk's "two-dimensional point clouds" example):
/// each class is a curve or region of the plane, sampled at random and blurred by Gaussian noise of standard
/// deviation <see cref="Noise"/> in each coordinate. Samples alternate between the classes (sample i has label
/// i mod m), so classes are balanced. Everything is drawn from one seeded SplitMix64 stream, so a (family, size,
/// seed) triple always gives the same float64 data.
/// </summary>
/// <param name="Noise">Standard deviation of the Gaussian noise added to each coordinate (≥ 0).</param>
public abstract record PointCloud(double Noise)
{
    /// <summary>The family's name: "moons", "circles", "spirals".</summary>
    public abstract string Kind { get; }

    /// <summary>Number of classes.</summary>
    public virtual int Classes => 2;

    /// <summary>The family's own parameters, for the data set's name.</summary>
    protected virtual string Parameters => "";

    /// <summary>A noise-free point of the given class.</summary>
    private protected abstract (double X, double Y) Point(int label, SplitMix64 random);

    /// <summary>Checks the family's own parameters.</summary>
    protected virtual IEnumerable<Error> Problems() => [];

    /// <summary>
    /// <paramref name="count"/> samples drawn from <paramref name="seed"/>: inputs [count, 2] float64, labels [count] int64.
    /// Invalid settings give one error listing every problem.
    /// </summary>
    public Fin<Dataset> Generate(int count, long seed)
    {
        var errors = Problems().ToList();
        if (!(Noise >= 0) || !double.IsFinite(Noise)) errors.Add(TrainingErrors.InvalidConfiguration("noise", $"must be finite and non-negative, got {Noise}"));
        if (count < Classes) errors.Add(TrainingErrors.InvalidConfiguration("size", $"needs at least one sample per class ({Classes}), got {count}"));
        if (errors.Count > 0) return TrainingErrors.All(errors).Map(_ => default(Dataset)!);
        var random = new SplitMix64(seed);
        var x = new double[count, 2];
        var labels = new long[count];
        for (int i = 0; i < count; i++)
        {
            int label = i % Classes;
            var (px, py) = Point(label, random);
            x[i, 0] = px + Noise * random.NextGaussian();
            x[i, 1] = py + Noise * random.NextGaussian();
            labels[i] = label;
        }
        string parameters = Parameters.Length > 0 ? Parameters + ", " : "";
        return Dataset.FromArrays(x, labels, Classes, FormattableString.Invariant($"{Kind}({parameters}n={count}, noise={Noise:G6}, seed={seed})"));
    }

    /// <summary>The family names <see cref="Named"/> knows.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["moons", "circles", "spirals"];

    /// <summary>A family by name with its default parameters (change them with <c>with { … }</c>).</summary>
    public static Fin<PointCloud> Named(string kind) => kind.Trim().ToLowerInvariant() switch
    {
        "moons" => new Moons(),
        "circles" => new Circles(),
        "spirals" => new Spirals(),
        _ => FinFail<PointCloud>(TrainingErrors.InvalidConfiguration("dataset", $"unknown point cloud '{kind}'; known: {string.Join(", ", Kinds)}")),
    };
}

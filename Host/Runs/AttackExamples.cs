using LanguageExt;
using RobustNode.Core.Losses;
using RobustNode.Host.Experiments;
using RobustNode.Host.Reports;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using ScottPlot;
using static TorchSharp.torch;

namespace RobustNode.Host.Runs;

/// <summary>Clean samples and their adversarial examples, in input units, with the model's predictions on both.</summary>
/// <param name="Clean">Clean inputs [n, …] (float64, input units).</param>
/// <param name="Adversarial">Adversarial inputs [n, …] (float64, input units).</param>
/// <param name="Labels">True classes.</param>
/// <param name="CleanPredicted">Predicted classes of the clean inputs.</param>
/// <param name="AdversarialPredicted">Predicted classes of the adversarial inputs.</param>
public sealed record AttackExamples(Tensor Clean, Tensor Adversarial, long[] Labels, long[] CleanPredicted, long[] AdversarialPredicted)
{
    /// <summary>The attack an experiment's plots use: FGSM (or PGD) at <c>Evaluation:AttackEpsilon</c>, or at the given radius.</summary>
    public static IAttack Attack(EvaluationSettings evaluation, InputScale scale, double epsilon, bool pgd)
    {
        var box = scale.Box(evaluation.Box);
        var radius = scale.Radius(epsilon);
        if (!pgd) return new Fgsm(radius, evaluation.Norm, box);
        var p = evaluation.Pgd ?? new PgdEvaluation(20, 1, null, 0);
        return new Pgd(radius, evaluation.Norm, p.Steps, (p.RelativeStepSize ?? 2.5 / p.Steps) * radius, true, p.Restarts, p.Seed, box);
    }

    /// <summary>Attacks the first <paramref name="count"/> samples of a data set, on the model's engine; the examples come back as CPU tensors.</summary>
    public static Fin<AttackExamples> Compute<T>(IBlock<T> model, Dataset data, IAttack attack, InputScale scale, int count)
    {
        var engine = model.Engine;
        // One scope for the engine's temporaries (on TorchSharp the same kind of scope); the examples are detached from it.
        using var scope = engine.OpenScope();
        int n = Math.Min(count, data.Count);
        var x = data.X.narrow(0, 0, n);
        var labels = data.Labels.narrow(0, 0, n);
        var input = engine.FromTensor(x);
        long[] Classes(T predictions) => engine.ToArray(predictions).Select(v => (long)v).ToArray();
        return
            from adversarial in attack.Perturb(model, input, new CrossEntropyLoss<T>(engine, engine.FromTensor(labels)))
            from clean in Classification.Predictions(model, input)
            from attacked in Classification.Predictions(model, adversarial)
            select new AttackExamples(
                scale.ToInput(x).to(ScalarType.Float64, CPU).DetachFromDisposeScope(),
                scale.ToInput(engine.ToTensor(adversarial)).to(ScalarType.Float64, CPU).DetachFromDisposeScope(),
                labels.cpu().data<long>().ToArray(), Classes(clean), Classes(attacked));
    }

    /// <summary>The examples as points of the plane, for the arrows plot.</summary>
    public AttackedPoints Points(string title, GridPrediction? grid)
    {
        Coordinates[] Xy(Tensor t)
        {
            var v = t.contiguous().data<double>().ToArray();
            return Enumerable.Range(0, v.Length / 2).Select(i => new Coordinates(v[2 * i], v[2 * i + 1])).ToArray();
        }
        return new AttackedPoints(title, Xy(Clean), Xy(Adversarial), Labels, AdversarialPredicted, grid);
    }

    /// <summary>The examples as captioned images: each clean image ("label y, predicted p") followed by its adversarial one ("predicted p′").</summary>
    public IReadOnlyList<CaptionedImage> Images()
    {
        var images = new List<CaptionedImage>();
        for (int i = 0; i < Labels.Length; i++)
        {
            images.Add(new CaptionedImage(Pixels(Clean[i]), $"{Labels[i]}: clean → {CleanPredicted[i]}", CleanPredicted[i] != Labels[i]));
            images.Add(new CaptionedImage(Pixels(Adversarial[i]), $"attacked → {AdversarialPredicted[i]}", AdversarialPredicted[i] != Labels[i]));
        }
        return images;
    }

    /// <summary>The first channel of an image [c, h, w] as a [h, w] array.</summary>
    public static double[,] Pixels(Tensor image)
    {
        using var scope = NewDisposeScope();
        var channel = image.dim() == 3 ? image[0] : image;
        int h = (int)channel.shape[0], w = (int)channel.shape[1];
        var v = channel.to(ScalarType.Float64, CPU).contiguous().data<double>().ToArray();
        var pixels = new double[h, w];
        Buffer.BlockCopy(v, 0, pixels, 0, v.Length * sizeof(double));
        return pixels;
    }
}

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
internal sealed record AttackExamples(Tensor Clean, Tensor Adversarial, long[] Labels, long[] CleanPredicted, long[] AdversarialPredicted)
{
    /// <summary>
    /// The attacks of a picture at a radius (input units): one named attack with the experiment's settings (its defaults
    /// where the experiment switches it off), or, for <see cref="AttackSelection.All"/>, every attack the experiment enables.
    /// </summary>
    public static IReadOnlyList<IAttack> Attacks(EvaluationSettings evaluation, InputScale scale, double epsilon, AttackSelection selection, int classes)
    {
        var box = scale.Box(evaluation.Box);
        double radius = scale.Radius(epsilon);
        if (selection == AttackSelection.All)
            return ModelEvaluation.Families(evaluation, scale, AttackSelection.All, classes).Select(a => a.Family.At(radius)).ToArray();
        var norm = evaluation.Norm;
        var p = evaluation.Pgd ?? new PgdEvaluation(20, 1, null, 0);
        var a = evaluation.Apgd ?? new ApgdEvaluation(100, 1, 0);
        var t = evaluation.ApgdDlr ?? new ApgdTargetedEvaluation(100, 1, 9, 0);
        var q = evaluation.Square ?? new SquareEvaluation(1000, 0.8, 1, 0);
        IAttack attack = selection switch
        {
            AttackSelection.Pgd => new Pgd(radius, norm, p.Steps, (p.RelativeStepSize ?? 2.5 / p.Steps) * radius, true, p.Restarts, p.Seed, box),
            AttackSelection.ApgdCe => new Apgd(radius, norm, a.Iterations, a.Restarts, ApgdLoss.CrossEntropy, Seed: a.Seed, Box: box),
            AttackSelection.ApgdDlr => new Apgd(radius, norm, t.Iterations, t.Restarts, ApgdLosses.Targeted(classes), t.TargetClasses, t.Seed, box),
            AttackSelection.Square => new Square(radius, norm, q.Queries, q.InitialFraction, q.Restarts, q.Seed, box),
            _ => new Fgsm(radius, norm, box),
        };
        return [attack];
    }

    /// <summary>
    /// Attacks the first <paramref name="count"/> samples of a data set, on the model's engine; the examples come back as
    /// CPU tensors. With several attacks, each sample gets the example of the first attack that misclassifies it (the worst
    /// case per sample), or the last attack's when none does.
    /// </summary>
    public static Fin<AttackExamples> Compute<T>(IBlock<T> model, Dataset data, IReadOnlyList<IAttack> attacks, InputScale scale, int count)
    {
        var engine = model.Engine;
        // One scope for the engine's temporaries (on TorchSharp the same kind of scope); the examples are detached from it.
        using var scope = engine.OpenScope();
        int n = Math.Min(count, data.Count);
        var x = data.X.narrow(0, 0, n);
        var labels = data.Labels.narrow(0, 0, n);
        var input = engine.FromTensor(x);
        var engineLabels = engine.FromTensor(labels);
        long[] Classes(T predictions) => engine.ToArray(predictions).Select(v => (long)v).ToArray();
        var truth = labels.cpu().data<long>().ToArray();
        var clean = Classification.Predictions(model, input);
        if (clean.IsFail) return clean.Map(_ => default(AttackExamples)!);
        Tensor? chosen = null;
        long[]? predicted = null;
        foreach (var attack in attacks)
        {
            var found = attack.Perturb(model, input, new CrossEntropyLoss<T>(engine, engineLabels));
            if (found.IsFail) return found.Map(_ => default(AttackExamples)!);
            var attacked = Classification.Predictions(model, (T)found);
            if (attacked.IsFail) return attacked.Map(_ => default(AttackExamples)!);
            var examples = engine.ToTensor((T)found).to(ScalarType.Float64, CPU);
            var classes = Classes((T)attacked);
            if (chosen is null || predicted is null) (chosen, predicted) = (examples, classes);
            else
            {
                // Keep a sample's earlier example where it already fools the model.
                var keep = predicted.Select((p, i) => p != truth[i]).ToArray();
                var shape = new long[examples.dim()];
                shape[0] = keep.Length;
                for (int d = 1; d < shape.Length; d++) shape[d] = 1;
                var mask = tensor(keep, device: CPU).view(shape);
                chosen = where(mask, chosen, examples);
                predicted = predicted.Select((p, i) => keep[i] ? p : classes[i]).ToArray();
            }
        }
        return new AttackExamples(
            scale.ToInput(x).to(ScalarType.Float64, CPU).DetachFromDisposeScope(),
            scale.ToInput(chosen!).to(ScalarType.Float64, CPU).DetachFromDisposeScope(),
            truth, Classes((T)clean), predicted!);
    }

    /// <summary>The examples in the shape of the data's images (see <see cref="ExperimentData.AsImages"/>).</summary>
    public AttackExamples AsImages(ExperimentData data) => this with { Clean = data.AsImages(Clean), Adversarial = data.AsImages(Adversarial) };

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

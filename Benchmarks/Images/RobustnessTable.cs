using System.Globalization;
using System.Text;
using LanguageExt;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using RobustNode.Training.Data;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using static TorchSharp.torch;
using RobustNode.Benchmarks.Results;

namespace RobustNode.Benchmarks.Images;

/// <summary>
/// The seed talk's MNIST table: the convolutional ODE network trained by standard, augmented (q = ∞) and PGD
/// training, each attacked by FGSM and PGD-20 at ε = 0.1, 0.2, 0.3 (ℓ∞, images clipped to [0, 1]); plus time per
/// epoch of each trainer and the augmented/standard ratio, all measured in one run.
/// </summary>
public static class RobustnessTable
{
    public sealed record Settings(string Data, int TrainCount, int TestCount, int Width, int Layers, int Epochs, double LearningRate,
        string Schedule, double AugmentedEpsilon, double PenaltyWeight, int WarmupEpochs, double PgdEpsilon, int PgdSteps, int PgdWarmupEpochs,
        int BatchSize, ulong Seed, string[] Trainers)
    {
        /// <summary>PGD-20 attacks the first this-many test images (its cost is 20 gradients per image and radius); 0: all.</summary>
        public int PgdTestCount { get; init; }

        /// <summary>Where the page goes (relative to docs/benchmarks, or absolute); null: <c>&lt;data&gt;.md</c>.</summary>
        public string? Output { get; init; }

        public bool Runs(string trainer) => Trainers.Contains(trainer);
    }

    public static Settings Parse(string[] args)
    {
        var map = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
        string S(string key, string fallback) => map.TryGetValue(key, out var v) ? v : fallback;
        double D(string key, double fallback) => double.Parse(S(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        int I(string key, int fallback) => int.Parse(S(key, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        return new Settings(S("data", "mnist"), I("train", 8000), I("test", 2000), I("width", 64), I("layers", 6), I("epochs", 6), D("lr", 0.005),
            S("schedule", "constant"), D("epsilon", 0.1), D("weight", 0.1), I("warmup", 2), D("pgd-epsilon", 0.1), I("pgd-steps", 3), I("pgd-warmup", 1),
            I("batch", 64), (ulong)I("seed", 1), S("trainers", "standard,augmented,adversarial").Split(','))
        {
            Output = map.GetValueOrDefault("out"),
            PgdTestCount = I("pgd-test", 0),
        };
    }

    // MNIST digits: one file pair split at random by the seed. Fashion-MNIST: its own training set (TrainCount images
    // drawn by the seed; 60000 is all of it) and the first TestCount images of its test set (10000 is all of it).
    internal static Fin<(Dataset Train, Dataset Test)> Load(Settings s, string root)
    {
        const string fashion = "/usr/share/datasets/fashion-mnist";
        Fin<ImageData> Read(string images, string labels) =>
            from i in IdxFile.Parse(File.ReadAllBytes(images), images)
            from l in IdxFile.Parse(File.ReadAllBytes(labels), labels)
            from data in ImageData.FromIdx(s.Data, i, l, images, labels)
            select data;
        Fin<Dataset> Take(ImageData data, int count) => Dataset.Create(data.Images, data.Labels, 10, data.Name).Map(d => d.First(count));
        if (s.Data == "fashion-mnist")
            return from all in Read($"{fashion}/train-images-idx3-ubyte.gz", $"{fashion}/train-labels-idx1-ubyte.gz")
                   from tests in Read($"{fashion}/t10k-images-idx3-ubyte.gz", $"{fashion}/t10k-labels-idx1-ubyte.gz")
                   from train in Take(s.TrainCount >= all.Count ? all : all.Split(s.TrainCount, (long)s.Seed).Train, s.TrainCount)
                   from test in Take(tests, s.TestCount)
                   select (train, test);
        return from all in Read(Path.Combine(root, "data/mnist/digits-images-idx3-ubyte"), Path.Combine(root, "data/mnist/digits-labels-idx1-ubyte"))
               let parts = all.Split(s.TrainCount, (long)s.Seed)
               from train in Take(parts.Train, s.TrainCount)
               from test in Take(parts.Test, s.TestCount)
               select (train, test);
    }

    public static string Run(Settings s, string root)
    {
        set_num_threads(2);
        var (train, test) = Load(s, root).Match(d => d, e => throw new InvalidOperationException(e.Message));
        var model = new ConvolutionalOdeModel(Width: s.Width, Layers: s.Layers);
        var box = InputBox.Unit;
        ITrainingObjective[] objectives = new ITrainingObjective[]
        {
            new StandardObjective(),
            new AugmentedObjective(s.AugmentedEpsilon, AttackNorm.Infinity) { Weight = s.PenaltyWeight, WarmupEpochs = s.WarmupEpochs },
            new AdversarialObjective(Pgd.Madry(s.PgdEpsilon, AttackNorm.Infinity, s.PgdSteps, (long)s.Seed, box)) { WarmupEpochs = s.PgdWarmupEpochs },
        }.Where(o => s.Runs(o.Name)).ToArray();
        double[] radii = [0.1, 0.2, 0.3];
        var pgdTest = s.PgdTestCount > 0 ? test.First(s.PgdTestCount) : test;
        var rows = new List<(string Trainer, double Clean, RobustnessCurve Fgsm, RobustnessCurve Pgd, double SecondsPerEpoch)>();
        foreach (var objective in objectives)
        {
            var options = new TrainingOptions(objective, new Adam(s.LearningRate), s.Epochs, s.BatchSize, (long)s.Seed)
            {
                Schedule = s.Schedule == "cosine" ? new CosineDecay(s.Epochs) : ConstantRate.Instance,
            };
            var network = model.Build(SolverCatalog.Fixed(Tableaux.Euler), AdjointMode.Discrete, s.Seed).Match(n => n, e => throw new InvalidOperationException(e.Message));
            var state = Trainer.Start(network, options).Match(x => x, e => throw new InvalidOperationException(e.Message));
            var times = new List<double>();
            foreach (var epoch in Trainer.Epochs(state, train, options))
            {
                var m = epoch.Match(x => x, e => throw new InvalidOperationException(e.Message));
                times.Add(m.WallTime.TotalSeconds);
                Console.WriteLine($"  {objective.Name} epoch {m.Epoch + 1}/{s.Epochs}: loss {m.Loss:F3}, objective {m.Objective:F3}, train accuracy {m.TrainAccuracy:P1}, {m.WallTime.TotalSeconds:F1} s");
            }
            // The median epoch: the first epoch of the first trainer also pays for JIT and libtorch warm-up.
            double perEpoch = times.Order().ElementAt(times.Count / 2);
            var result =
                from clean in Classification.Accuracy(state.Model, test)
                from fgsm in Robustness.AccuracyCurve(state.Model, test, AttackFamily.Fgsm(AttackNorm.Infinity, box), radii)
                from pgd in Robustness.AccuracyCurve(state.Model, pgdTest, AttackFamily.Pgd(AttackNorm.Infinity, steps: 20, box: box), radii)
                select (objective.Name, clean, fgsm, pgd, perEpoch);
            rows.Add(result.Match(r => r, e => throw new InvalidOperationException(e.Message)));
            Console.WriteLine($"  {objective.Name}: clean {rows[^1].Clean:P2}");
        }
        return Render(s, rows);
    }

    private static string Render(Settings s, List<(string Trainer, double Clean, RobustnessCurve Fgsm, RobustnessCurve Pgd, double SecondsPerEpoch)> rows)
    {
        static string Invariant(double v) => v.ToString(CultureInfo.InvariantCulture);
        string P(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture);
        var md = new StringBuilder();
        md.AppendLine($"# {s.Data}: robustness of the convolutional ODE network");
        md.AppendLine();
        md.AppendLine("Produced by");
        md.AppendLine();
        md.AppendLine($"    dotnet run -c Release --project Benchmarks -- images data={s.Data} train={s.TrainCount} test={s.TestCount} width={s.Width} layers={s.Layers} epochs={s.Epochs} lr={Invariant(s.LearningRate)} schedule={s.Schedule} epsilon={Invariant(s.AugmentedEpsilon)} weight={Invariant(s.PenaltyWeight)} warmup={s.WarmupEpochs} pgd-epsilon={Invariant(s.PgdEpsilon)} pgd-steps={s.PgdSteps} pgd-warmup={s.PgdWarmupEpochs}{(s.PgdTestCount > 0 ? $" pgd-test={s.PgdTestCount}" : "")} batch={s.BatchSize} seed={s.Seed} trainers={string.Join(',', s.Trainers)}");
        md.AppendLine();
        md.AppendLine($"Network: 3 convolutional layers (tanh, strides 2, 2, 1) → ODE block of {s.Layers} layers of width {s.Width} (W_k ∗ tanh(x) + b_k, Euler, one step per layer: a ResNet), " +
                      $"average pooling → linear {s.Width} → 10. Adam (lr {s.LearningRate}, {s.Schedule} schedule), batch {s.BatchSize}, {s.Epochs} epochs per trainer, " +
                      (s.Data == "fashion-mnist"
                          ? $"{s.TrainCount} images of the training set and the first {s.TestCount} of the test set (seed {s.Seed})."
                          : $"{s.TrainCount} training and {s.TestCount} test images (fixed split, seed {s.Seed})."));
        md.AppendLine($"Augmented: 𝒥 = J + w‖∇ₓ₀J‖₁ (q = ∞, ε = {s.AugmentedEpsilon}) by the second-order adjoint, w = {s.PenaltyWeight} reached after a linear warm-up of {s.WarmupEpochs} epochs. " +
                      $"PGD training: Madry et al., ε = {s.PgdEpsilon}, {s.PgdSteps} steps, the radius ramped up from 0 over {s.PgdWarmupEpochs} epochs. " +
                      "Attacks: ℓ∞, images clipped to [0, 1]; PGD-20 with step 2.5ε/20 and a random start" +
                      (s.PgdTestCount is > 0 && s.PgdTestCount < s.TestCount ? $", on the first {s.PgdTestCount} test images." : "."));
        md.AppendLine();
        md.AppendLine("Accuracy on the test images (%):");
        md.AppendLine();
        md.AppendLine("| trainer | clean | FGSM 0.1 | FGSM 0.2 | FGSM 0.3 | PGD-20 0.1 | PGD-20 0.2 | PGD-20 0.3 | s / epoch (median) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            md.AppendLine($"| {r.Trainer} | {P(r.Clean)} | {string.Join(" | ", r.Fgsm.Points.Select(p => P(p.Accuracy)))} | {string.Join(" | ", r.Pgd.Points.Select(p => P(p.Accuracy)))} | {r.SecondsPerEpoch:F1} |");
        md.AppendLine();
        md.AppendLine("The seed talk (full MNIST, FGSM): standard 39.5 / 8.2 / 3.19 %, robust training 96.86 / 91.98 / 59.53 % at ε = 0.1 / 0.2 / 0.3.");
        md.AppendLine();
        var standard = rows.FirstOrDefault(r => r.Trainer == "standard").SecondsPerEpoch;
        foreach (var r in rows.Where(r => r.Trainer != "standard" && standard > 0))
            md.AppendLine($"Time per epoch, {r.Trainer} / standard: {r.SecondsPerEpoch / standard:F2}× (same run, same machine).");
        string load = MachineReadings.LoadAverage();
        md.AppendLine();
        md.AppendLine($"Machine: {Environment.ProcessorCount} cores, 2 torch threads; 1-minute load average {load} at the end of the run.");
        return md.ToString();
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using RobustNode.Benchmarks.PyTorch;
using RobustNode.Benchmarks.Results;
using RobustNode.Benchmarks.Sensitivity;
using RobustNode.Core.Losses;
using RobustNode.Core.Norms;
using RobustNode.Core.Tableaux;
using RobustNode.Host.Runs;
using RobustNode.Sensitivity.Adjoints;
using RobustNode.Sensitivity.Networks;
using RobustNode.Solvers;
using RobustNode.Training.Data;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using RobustNode.Training;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.Images;

/// <summary>
/// <c>train-epoch</c>: one training epoch of the MNIST network exactly as <see cref="ConvolutionalOdeModel"/> builds it
/// (8000 digits, batch 64, Adam, float32, 2 threads), standard and augmented, in (a) RobustNode's trainers (the
/// discrete adjoint and its second-order sweeps), (b) the same network in plain TorchSharp autograd (one backward pass;
/// double backpropagation), (c) PyTorch 1.13 (the same, in Python). All three start from the same weights and see the
/// same batches in the same order; each implementation first runs a few warm-up batches on a copy of the model. One
/// epoch each, interleaved by objective; ratios to PyTorch. Writes docs/benchmarks/train-epoch.md.
/// </summary>
internal static class TrainEpochBenchmark
{
    public const string Name = "train-epoch";
    public const string Command = "dotnet run -c Release --project Benchmarks -- train-epoch";

    public static int Run(string[] args) => TrainEpochSettings.Parse(args).Match(s =>
    {
        string root = BenchmarkRun.RepositoryRoot();
        var digits = Path.Combine(root, "data", "mnist", "digits-images-idx3-ubyte");
        if (!File.Exists(digits)) return Fail($"the MNIST digits are missing ({digits}); run scripts/prepare-data.sh");
        var loaded = RobustnessTable.Load(RobustnessTable.Parse([]) with { TrainCount = s.Train }, root);
        if (loaded.IsFail) return Fail($"the MNIST digits could not be read: {loaded.Match(Succ: _ => "", Fail: e => e.Message)}");
        var train = loaded.Match(d => d.Train, _ => throw new InvalidOperationException()).First(s.Samples);
        set_num_threads(s.Threads);
        var times = Measure(s, train);
        var page = Render(s, args, times);
        Console.WriteLine();
        Console.WriteLine(page);
        var path = s.Output is { } o ? Path.GetFullPath(o) : Path.Combine(root, "docs", "benchmarks", $"{Name}.md");
        Host.IO.AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(page));
        Console.WriteLine($"wrote {path}");
        if (s.Json is { } json)
        {
            BenchmarkRow Row(EpochTime t) => new(Name, t.Method, t.Implementation == EpochTime.PyTorch ? BenchmarkRow.PyTorch : Engines.EngineCatalog.Torch,
                s.Layers, s.BatchSize, s.Width, t.WallSeconds * 1e3, t.CpuSeconds * 1e3, null, s.Threads, t.Objective);
            ResultFile.Write(json, times.Where(t => t.Implementation != EpochTime.PyTorch).Select(Row).ToArray(),
                times.Where(t => t.Implementation == EpochTime.PyTorch).Select(Row).ToArray());
        }
        return 0;
    }, Usage.Invalid(Name));

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"robustnode-benchmarks {Name}: {message}");
        return Usage.InvalidInput;
    }

    private static ConvolutionalOdeModel Model(TrainEpochSettings s) => new(Width: s.Width, Layers: s.Layers);

    private static Network<Tensor> Network(TrainEpochSettings s) =>
        Model(s).Build(SolverCatalog.Fixed(Tableaux.Euler), AdjointMode.Discrete, s.Seed).Match(n => n, e => throw new InvalidOperationException(e.Message));

    private static TrainingOptions Options(TrainEpochSettings s, string objective) =>
        new(objective == "standard" ? new StandardObjective() : new AugmentedObjective(s.Epsilon, AttackNorm.Infinity) { Weight = s.Epsilon },
            new Adam(s.LearningRate), Epochs: 1, s.BatchSize, (long)s.Seed);

    // The shuffle of epoch 0 as the trainer draws it: the batches of a data set whose inputs are the sample indices.
    private static long[] Order(TrainEpochSettings s, int count)
    {
        using var scope = NewDisposeScope();
        var indices = Dataset.Create(arange(count, dtype: float64).unsqueeze(1), zeros(count, dtype: int64), 2, "indices")
            .Match(d => d, e => throw new InvalidOperationException(e.Message));
        return indices.Batches(s.BatchSize, Seeds.Derive((long)s.Seed, Seeds.Shuffle, 0))
            .SelectMany(b => b.X.squeeze(1).to(int64).data<long>().ToArray()).ToArray();
    }

    private static List<EpochTime> Measure(TrainEpochSettings s, Dataset train)
    {
        var times = new List<EpochTime>();
        string? pytorch = !s.PyTorch ? "PyTorch side not run (--no-pytorch)" : PyTorchScript.Missing;
        Console.WriteLine($"{Name}: {train.Count} digits, batch {s.BatchSize}, N = {s.Layers}, width {s.Width}, {s.Threads} threads; " +
                          (pytorch is null ? $"PyTorch {PyTorchScript.Version}" : $"PyTorch side skipped: {pytorch}"));
        using var baseline = pytorch is null ? new ImageEpochBaseline(train, Order(s, train.Count), Network(s)) : null;
        var warm = train.First(s.WarmupBatches * s.BatchSize);
        foreach (var objective in s.Objectives)
        {
            times.Add(Report(RobustNodeEpoch(s, objective, train, warm)));
            times.Add(Report(TorchSharpEpoch(s, objective, train, warm)));
            if (baseline is not null) times.Add(Report(baseline.Epoch(s, objective, Model(s).FinalTime)));
        }
        return times;
    }

    private static EpochTime Report(EpochTime t)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {t.Objective,-9} {t.Implementation,-10} {t.WallSeconds,8:F2} s wall, {t.CpuSeconds,8:F2} s CPU, loss {t.Loss:F4}, accuracy {t.Accuracy:P1}, {t.Batches} batches"));
        return t;
    }

    private static EpochTime RobustNodeEpoch(TrainEpochSettings s, string objective, Dataset train, Dataset warm)
    {
        var options = Options(s, objective);
        if (s.WarmupBatches > 0)
        {
            var throwaway = Trainer.Start(Network(s), options).Match(x => x, e => throw new InvalidOperationException(e.Message));
            Trainer.RunEpoch(throwaway, warm, options).IfFail(e => throw new InvalidOperationException(e.Message));
        }
        var state = Trainer.Start(Network(s), options).Match(x => x, e => throw new InvalidOperationException(e.Message));
        double cpu0 = CpuClock.Milliseconds(process: true);
        var metrics = Trainer.RunEpoch(state, train, options).Match(m => m, e => throw new InvalidOperationException(e.Message));
        double cpu = (CpuClock.Milliseconds(process: true) - cpu0) / 1e3;
        return new EpochTime(EpochTime.RobustNode, objective, "discrete", metrics.WallTime.TotalSeconds, cpu, metrics.Loss, metrics.TrainAccuracy, metrics.Batches);
    }

    private static EpochTime TorchSharpEpoch(TrainEpochSettings s, string objective, Dataset train, Dataset warm)
    {
        if (s.WarmupBatches > 0) AutogradEpoch(s, objective, warm);
        double cpu0 = CpuClock.Milliseconds(process: true);
        var clock = Stopwatch.StartNew();
        var (loss, accuracy, batches) = AutogradEpoch(s, objective, train);
        double wall = clock.Elapsed.TotalSeconds, cpu = (CpuClock.Milliseconds(process: true) - cpu0) / 1e3;
        return new EpochTime(EpochTime.TorchSharp, objective, objective == "standard" ? "autograd" : "double-backprop", wall, cpu, loss, accuracy, batches);
    }

    // What a TorchSharp user writes: parameters, torch.optim.Adam, per batch zero_grad, backward, step, in a dispose scope.
    private static (double Loss, double Accuracy, int Batches) AutogradEpoch(TrainEpochSettings s, string objective, Dataset data)
    {
        var model = new ImageAutograd(Network(s), Model(s).FinalTime);
        var optimizer = optim.Adam(model.Parameters, lr: s.LearningRate);
        double lossSum = 0;
        long correct = 0, samples = 0;
        int batches = 0;
        foreach (var batch in data.Batches(s.BatchSize, Seeds.Derive((long)s.Seed, Seeds.Shuffle, 0)))
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var (total, loss, logits) = objective == "standard" ? model.Standard(batch.X, batch.Labels) : model.Augmented(batch.X, batch.Labels, s.Epsilon);
            total.backward();
            optimizer.step();
            long size = batch.X.shape[0];
            lossSum += loss.item<float>() * size;
            correct += logits.argmax(1).eq(batch.Labels).sum().item<long>();
            samples += size;
            batches++;
        }
        return (lossSum / samples, (double)correct / samples, batches);
    }

    private static string Render(TrainEpochSettings s, string[] args, IReadOnlyList<EpochTime> times)
    {
        var md = new StringBuilder();
        md.AppendLine("# One training epoch of the MNIST network: RobustNode, TorchSharp autograd and PyTorch").AppendLine();
        md.AppendLine($"Command: `{string.Join(" ", new[] { Command }.Concat(args))}` (options: `{TrainEpochSettings.Options}`; see [README.md](README.md)).").AppendLine();
        string load = MachineReadings.LoadAverage();
        md.AppendLine($"Machine: {MachineReadings.Processor()}, {Environment.ProcessorCount} cores, intra-op threads: {s.Threads}, 1-minute load average {load} at the end of the run " +
                      $"(other processes share the cores), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.").AppendLine();
        md.AppendLine($"The network of the MNIST experiment as `ConvolutionalOdeModel` builds it: 3 convolutional layers (tanh, strides 2, 2, 1), an ODE block of " +
                      $"{s.Layers} Euler layers of width {s.Width} (W_k ∗ tanh(x) + b_k on 7×7 maps), average pooling, linear {s.Width} → 10; float32; " +
                      $"{s.Samples} training digits of the fixed split (seed 1) of the 10 000 MNIST digits{(s.Samples < s.Train ? $" (the first {s.Samples}: a smoke test, not a measurement)" : "")}, " +
                      $"batches of {s.BatchSize}, Adam at {s.LearningRate.ToString(CultureInfo.InvariantCulture)}. Augmented: J + ε mean ᵢ‖∇ₓ₀ℓᵢ‖₁ with ε = {s.Epsilon.ToString(CultureInfo.InvariantCulture)} (q = ∞), no warm-up of the weight.").AppendLine();
        md.AppendLine("- `robustnode`: RobustNode's trainers (`Trainer.RunEpoch` with `StandardObjective` / `AugmentedObjective`): the discrete adjoint through the Euler steps, and its four second-order sweeps for the augmented loss.");
        md.AppendLine("- `torchsharp`: the same network in plain TorchSharp autograd (`Benchmarks/Images/ImageAutograd.cs`, `torch.optim.Adam`): one backward pass; double backpropagation (`create_graph`) for the augmented loss.");
        md.AppendLine("- `pytorch`: the same in PyTorch 1.13 (Debian python3-torch, `Benchmarks/oracles/image_epoch.py`, `nn.Conv2d` per layer, `torch.optim.Adam`).");
        md.AppendLine();
        md.AppendLine("All three start from the same initial weights (RobustNode's seeded initialisation, copied) and see the same batches in the same order, " +
                      $"so their mean loss and accuracy agree up to float32 rounding. Each first trains {s.WarmupBatches} warm-up batches on a copy of the model (not timed). " +
                      "One epoch each, interleaved by objective (RobustNode, TorchSharp, PyTorch). CPU time counts every thread of the process.").AppendLine();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var t in times)
        {
            var py = times.FirstOrDefault(p => p.Implementation == EpochTime.PyTorch && p.Objective == t.Objective);
            rows.Add([t.Objective, t.Implementation, t.WallSeconds.ToString("F2", CultureInfo.InvariantCulture), t.CpuSeconds.ToString("F2", CultureInfo.InvariantCulture),
                py is null ? "—" : Markdown.Ratio(t.WallSeconds / py.WallSeconds), py is null ? "—" : Markdown.Ratio(t.CpuSeconds / py.CpuSeconds),
                t.Loss.ToString("F4", CultureInfo.InvariantCulture), (100 * t.Accuracy).ToString("F1", CultureInfo.InvariantCulture)]);
        }
        md.AppendLine(Markdown.Table(["objective", "implementation", "s / epoch (wall)", "CPU s", "wall / PyTorch", "CPU / PyTorch", "mean J before each step", "train accuracy (%)"], rows));
        if (!times.Any(t => t.Implementation == EpochTime.PyTorch))
            md.AppendLine(!s.PyTorch ? "PyTorch side not run (--no-pytorch)." : $"PyTorch side skipped: {PyTorchScript.Missing}.").AppendLine();
        var goals = new List<IReadOnlyList<string>>();
        foreach (var objective in s.Objectives)
        {
            var ours = times.Single(t => t.Implementation == EpochTime.RobustNode && t.Objective == objective);
            var plain = times.Single(t => t.Implementation == EpochTime.TorchSharp && t.Objective == objective);
            if (times.FirstOrDefault(t => t.Implementation == EpochTime.PyTorch && t.Objective == objective) is { } py)
                goals.Add([$"RobustNode's {objective} epoch ≤ 1.1× PyTorch's", $"{Markdown.Ratio(ours.WallSeconds / py.WallSeconds)} wall, {Markdown.Ratio(ours.CpuSeconds / py.CpuSeconds)} CPU",
                    Markdown.Verdict(ours.WallSeconds <= 1.1 * py.WallSeconds && ours.CpuSeconds <= 1.1 * py.CpuSeconds)]);
            goals.Add([$"RobustNode's {objective} epoch against plain TorchSharp autograd (reference)", $"{Markdown.Ratio(ours.WallSeconds / plain.WallSeconds)} wall", "—"]);
        }
        md.AppendLine("## Goals").AppendLine();
        md.AppendLine(Markdown.Table(["goal", "measured", "verdict"], goals));
        md.AppendLine("One epoch per implementation is one sample: on a shared machine, rerun and compare ratios, not seconds. " +
                      "With two intra-op threads and OpenMP's default wait policy libtorch stalls when another process competes for the cores, by far more than these ratios (image-profile.md; OMP_WAIT_POLICY=PASSIVE avoids it); " +
                      "the figures that matter come from a quiet machine.");
        return md.ToString();
    }
}

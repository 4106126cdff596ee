using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using RobustNode.Benchmarks.Engines;
using static LanguageExt.Prelude;

namespace RobustNode.Benchmarks.Images;

/// <summary>
/// The options of <c>train-epoch</c>: the MNIST experiment's network and data (8000 training digits, batch 64, Adam at
/// 0.005, width 64, N = 6, float32, 2 threads), which objectives to time, and how many warm-up batches each
/// implementation runs on a copy of the model first. <c>--batches K</c> trains on the first K batches only (a smoke
/// test, not a measurement).
/// </summary>
internal sealed record TrainEpochSettings(int Train, int Batches, int BatchSize, int Layers, int Width, int Threads, int WarmupBatches,
    double LearningRate, double Epsilon, ulong Seed, string[] Objectives, IReadOnlyList<BenchmarkEngine> Engines, bool PyTorch, string? Json, string? Output)
{
    public const string Options =
        "--train 8000 --batches K --batch 64 --layers 6 --width 64 --threads 2 --warmup 3 --lr 0.005 --epsilon 0.1 --seed 1 --objectives standard,augmented --engine torch --json FILE --out PAGE.md --no-pytorch";

    /// <summary>Training samples of the timed epoch.</summary>
    public int Samples => Batches > 0 ? Math.Min(Train, Batches * BatchSize) : Train;

    public static Fin<TrainEpochSettings> Parse(string[] args)
    {
        var errors = new List<string>();
        var s = new TrainEpochSettings(8000, 0, 64, 6, 64, 2, 3, 0.005, 0.1, 1, ["standard", "augmented"], [EngineCatalog.Default], true, null, null);
        for (int i = 0; i < args.Length; i++)
        {
            string option = args[i];
            string? value = null;
            bool TakeValue()
            {
                if (i + 1 < args.Length) { value = args[++i]; return true; }
                errors.Add($"{option}: expected a value");
                return false;
            }
            int Count(int minimum)
            {
                if (!TakeValue()) return 0;
                if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= minimum) return n;
                errors.Add($"{option}: expected an integer ≥ {minimum}, got '{value}'");
                return minimum;
            }
            double Positive()
            {
                if (!TakeValue()) return 1;
                if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x > 0 && double.IsFinite(x)) return x;
                errors.Add($"{option}: expected a positive number, got '{value}'");
                return 1;
            }
            switch (option)
            {
                case "--train": s = s with { Train = Count(1) }; break;
                case "--batches": s = s with { Batches = Count(0) }; break;
                case "--batch": s = s with { BatchSize = Count(1) }; break;
                case "--layers": s = s with { Layers = Count(1) }; break;
                case "--width": s = s with { Width = Count(4) }; break;
                case "--threads": s = s with { Threads = Count(1) }; break;
                case "--warmup": s = s with { WarmupBatches = Count(0) }; break;
                case "--lr": s = s with { LearningRate = Positive() }; break;
                case "--epsilon": s = s with { Epsilon = Positive() }; break;
                case "--seed": s = s with { Seed = (ulong)Count(0) }; break;
                case "--objectives":
                    if (!TakeValue()) break;
                    var names = value!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var bad = names.Where(n => n is not ("standard" or "augmented")).ToArray();
                    if (names.Length == 0 || bad.Length > 0) errors.Add($"--objectives: expected standard, augmented or both, got '{value}'");
                    else s = s with { Objectives = names.Distinct().ToArray() };
                    break;
                case "--engine":
                    if (TakeValue()) EngineCatalog.Parse(value!).Match(e => s = s with { Engines = e }, e => errors.Add(e.Message));
                    break;
                case "--json": if (TakeValue()) s = s with { Json = value }; break;
                case "--out": if (TakeValue()) s = s with { Output = value }; break;
                case "--no-pytorch": s = s with { PyTorch = false }; break;
                default: errors.Add($"unknown option '{option}'; options: {Options}"); break;
            }
        }
        EngineCatalog.Convolutional(s.Engines, TrainEpochBenchmark.Name).IfFail(e => errors.Add(e.Message));
        return errors.Count > 0 ? FinFail<TrainEpochSettings>(Error.New(string.Join(Environment.NewLine, errors))) : FinSucc(s);
    }
}

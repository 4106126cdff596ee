using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RobustNode.Host.IO;
using RobustNode.Host.Reports;
using RobustNode.Host.Runs;
using RobustNode.Host.Schemas;
using RobustNode.Solvers.Integration;
using RobustNode.Training.Evaluation;
using RobustNode.Training.Trainers;
using RobustNode.Tests.Host;
using Xunit;

namespace RobustNode.Tests.Schemas;

/// <summary>
/// Every JSON file kind read back into its schema record and written again gives the same bytes, keeps the keys the
/// README and the other tests rely on, and writes non-finite numbers as null instead of failing.
/// </summary>
public class JsonFileRoundTrips
{
    private static void AssertRoundTrip<T>(byte[] written, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        var again = JsonFiles.Write(JsonFiles.Parse(written, type), type);
        Assert.Equal(Encoding.UTF8.GetString(written), Encoding.UTF8.GetString(again));
    }

    private static EpochMetrics Epoch(int k, double seconds) => new(k, 0.5 / (k + 1), 0.6 / (k + 1), 0.8 + 0.01 * k, 0.02, 3, 80, TimeSpan.FromSeconds(seconds));

    private static RunReport Report()
    {
        var fgsm = new AttackCurve("fgsm-inf", [new RobustnessPoint(0, 0.9), new RobustnessPoint(0.1, 0.7)]);
        var pgd = new AttackCurve("pgd20-inf", [new RobustnessPoint(0, 0.9), new RobustnessPoint(0.1, 0.6)], SubsetSize: 10);
        var worst = new AttackCurve("worst-case-inf", [new RobustnessPoint(0, 0.9), new RobustnessPoint(0.1, 0.55)]);
        return new RunReport("moons", "moons", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), "moons(…)", 56, "moons(…) test", 24, 2,
            "point-cloud-node(…)", "torch", 52, "inf", [0, 0.1],
            [
                new TrainerReport("standard", "J", 2, 0, [Epoch(0, 0.125), Epoch(1, 0.1)], new ModelScores(0.9, [fgsm, pgd]), "models/standard.ckpt"),
                new TrainerReport("augmented", "J + ε‖∇ℓ‖₁", 2, 1, [Epoch(1, 0.3)], new ModelScores(0.95, [fgsm, pgd, worst], Sanity()), "models/augmented.ckpt"),
                // Resumed without a history: its times are undefined (NaN) and must be written as null.
                new TrainerReport("pgd", "PGD", 2, 2, [], new ModelScores(0.85, [fgsm]), "models/pgd.ckpt"),
            ],
            [new("model", "point-cloud-node(…)"), new("model.seed", "3")],
            [new("Data:Size", "80"), new("Training:Epochs", "2")],
            ["data.png", "flow.gif"],
            [new AttackDescription("fgsm-inf", "one step to the boundary of the ball", 0), new AttackDescription("pgd20-inf", "steps=20", 10)],
            4.5);
    }

    private static SanityReport Sanity() => new(10,
        new CoveringOutcome(4.5, 10, 0.5, 0, [("fgsm-inf", 0.1), ("pgd20-inf", 0)]), "the test data's bounding box",
        [
            new SanityFinding(SanityCheck.Monotone, true, "Accuracy falls."),
            new SanityFinding(SanityCheck.CoveringRadius, true, "At ε = 4.5 the worst case leaves 0 %.", Epsilon: 4.5),
            new SanityFinding(SanityCheck.GradientFreeGap, false, "Square wins.", "square-inf", 0.1),
        ]);

    [Fact]
    public void Report_json_round_trips_and_keeps_every_key()
    {
        var bytes = ReportJson.Write(Report());
        AssertRoundTrip(bytes, JsonFiles.Default.ReportFile);

        var json = JsonNode.Parse(bytes)!;
        Assert.Equal(["run", "experiment", "finished", "data", "model", "evaluation", "trainers", "timing", "settings", "configuration", "plots"],
            json.AsObject().Select(p => p.Key));
        Assert.Equal(["train", "trainCount", "test", "testCount", "classes"], json["data"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["description", "engine", "parameters"], json["model"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["norm", "epsilons", "attacks", "worstCase", "coveringRadius"], json["evaluation"]!.AsObject().Select(p => p.Key));
        Assert.Equal("worst-case-inf", (string?)json["evaluation"]!["worstCase"]);
        Assert.Equal(["name", "settings"], json["evaluation"]!["attacks"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal(10, (int)json["evaluation"]!["attacks"]![1]!["testSamples"]!);
        var sanity = json["trainers"]![1]!["sanity"]!;
        Assert.Equal(["worstCaseSamples", "coveringRadius", "coveringSamples", "chance", "worstCaseAtCoveringRadius", "atCoveringRadius", "checks"],
            sanity.AsObject().Select(p => p.Key));
        Assert.Equal(["monotone", "covering-radius", "gradient-free-gap"], sanity["checks"]!.AsArray().Select(c => (string?)c!["check"]));
        Assert.Equal(["check", "passed", "message", "attack", "epsilon"], sanity["checks"]![2]!.AsObject().Select(p => p.Key));
        Assert.Equal(0.0, (double)sanity["atCoveringRadius"]!["pgd20-inf"]!);
        var standard = json["trainers"]![0]!;
        Assert.Equal(["name", "objective", "epochs", "resumedFrom", "secondsPerEpoch", "totalSeconds", "cleanAccuracy", "robustness", "model", "history"],
            standard.AsObject().Select(p => p.Key));
        Assert.Equal(0.1125, (double)standard["secondsPerEpoch"]!["median"]!);
        Assert.Equal(["attack", "testSamples", "points"], standard["robustness"]![1]!.AsObject().Select(p => p.Key));
        Assert.Equal(["attack", "points"], standard["robustness"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal(["epsilon", "accuracy"], standard["robustness"]![0]!["points"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal(["epoch", "loss", "objective", "trainAccuracy", "learningRate", "batches", "samples", "seconds"],
            standard["history"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal(1, (int)standard["history"]![0]!["epoch"]!);
        Assert.Equal("worst-case-inf", (string?)json["trainers"]![1]!["robustness"]![2]!["attack"]);
        Assert.Equal(["medianSecondsPerEpoch", "augmentedOverStandard", "overStandard"], json["timing"]!.AsObject().Select(p => p.Key));
        Assert.Equal(2.6667, (double)json["timing"]!["augmentedOverStandard"]!);
        // Every trainer against standard; the PGD trainer's time is undefined here, so neither it nor a ratio to it is written.
        Assert.Equal(["augmented"], json["timing"]!["overStandard"]!.AsObject().Select(p => p.Key));
        Assert.Equal("3", (string?)json["settings"]!["model.seed"]);
        Assert.Equal("80", (string?)json["configuration"]!["Data:Size"]);

        // Undefined times are null, in the trainer and in the timing table.
        var pgd = json["trainers"]![2]!;
        Assert.Null(pgd["secondsPerEpoch"]!["median"]);
        Assert.Null(pgd["secondsPerEpoch"]!["mean"]);
        Assert.True(json["timing"]!["medianSecondsPerEpoch"]!.AsObject().ContainsKey("pgd"));
        Assert.Null(json["timing"]!["medianSecondsPerEpoch"]!["pgd"]);
        var read = JsonFiles.Parse(bytes, JsonFiles.Default.ReportFile);
        Assert.True(double.IsNaN(read.Trainers[2].SecondsPerEpoch.Median));
    }

    [Fact]
    public void Training_history_round_trips_through_its_file()
    {
        using var folder = new TempFolder();
        var path = folder.File("standard.history.json");
        EpochMetrics[] epochs = [Epoch(0, 0.25), Epoch(1, 0.125)];
        EpochHistory.Write(path, epochs);

        var read = EpochHistory.Read(path);

        Assert.True(read.IsSuccess);
        Assert.Equal(epochs, read.SuccessToSeq().Head);
        AssertRoundTrip(File.ReadAllBytes(path), JsonFiles.Default.IReadOnlyListEpochJson);
    }

    [Fact]
    public void Processor_time_per_epoch_is_kept_in_the_history_and_compared_in_the_timing_table()
    {
        static EpochMetrics Timed(int k, double wall, double cpu) => Epoch(k, wall) with { CpuTime = TimeSpan.FromSeconds(cpu) };
        using var folder = new TempFolder();
        var path = folder.File("pgd.history.json");
        EpochMetrics[] epochs = [Timed(0, 0.5, 0.25), Timed(1, 0.75, 0.5)];
        EpochHistory.Write(path, epochs);
        Assert.Equal(epochs, EpochHistory.Read(path).SuccessToSeq().Head);

        var report = Report() with
        {
            Trainers =
            [
                new TrainerReport("standard", "J", 2, 0, [Timed(0, 0.2, 0.1), Timed(1, 0.2, 0.1)], new ModelScores(0.9, []), "models/standard.ckpt"),
                new TrainerReport("pgd", "PGD", 2, 0, [Timed(0, 0.2, 0.4), Timed(1, 0.2, 0.4)], new ModelScores(0.9, []), "models/pgd.ckpt"),
            ],
        };
        var json = JsonNode.Parse(ReportJson.Write(report))!;
        // Equal wall times, CPU 4× apart: the two ratios are reported side by side.
        Assert.Equal(1.0, (double)json["timing"]!["overStandard"]!["pgd"]!);
        Assert.Equal(4.0, (double)json["timing"]!["cpuOverStandard"]!["pgd"]!);
        Assert.Equal(0.25, (double)json["timing"]!["cpuOverPgd"]!["standard"]!);
        Assert.Equal(0.4, (double)json["trainers"]![1]!["secondsPerEpoch"]!["cpuMedian"]!);
        Assert.Equal(0.4, (double)json["trainers"]![1]!["history"]![0]!["cpuSeconds"]!);
        Assert.Contains("| CPU / pgd |", Encoding.UTF8.GetString(ReportMarkdown.Write(report)));
    }

    [Fact]
    public void A_history_without_a_required_key_is_an_error_naming_the_file()
    {
        using var folder = new TempFolder();
        var path = folder.Write("h.json", """[{ "epoch": 1, "loss": 0.5 }]""");

        var read = EpochHistory.Read(path);

        Assert.True(read.IsFail);
        var message = read.FailToSeq().Head.Message;
        Assert.StartsWith($"{path}: cannot read the training history:", message);
        Assert.Contains("objective", message);
    }

    [Fact]
    public void Solve_result_round_trips()
    {
        var result = new SolveResult(new double[,] { { 1.5, -2 }, { 0.1, 3e-300 } }, new SolveStatistics(32, 8, 1), 96.8774, "torch");
        var bytes = result.ToJson();
        AssertRoundTrip(bytes, JsonFiles.Default.SolveFile);

        var json = JsonNode.Parse(bytes)!;
        Assert.Equal(["engine", "xT", "stats"], json.AsObject().Select(p => p.Key));
        Assert.Equal(3e-300, (double)json["xT"]![1]![1]!);
        Assert.Equal(["functionEvaluations", "acceptedSteps", "rejectedSteps", "wallTimeMs"], json["stats"]!.AsObject().Select(p => p.Key));
        Assert.Equal(96.877, (double)json["stats"]!["wallTimeMs"]!);
        var read = JsonFiles.Parse(bytes, JsonFiles.Default.SolveFile);
        Assert.Equal(new long[] { 2, 2 }, read.XT.Shape);
        Assert.Equal([1.5, -2, 0.1, 3e-300], read.XT.Values);
    }

    [Fact]
    public void Sensitivity_result_round_trips_with_the_keys_of_its_controls()
    {
        var file = new SensitivityFile("torch", "discrete", 0.25, 0.5, Matrix(2, 3), Matrix(2, 3), new SolveStatsJson(40, 10, 0, 1.5, 1 << 20))
            .WithControl("weights", new TensorValues([2, 3, 3], Enumerable.Range(0, 18).Select(i => i / 7.0).ToArray()), new TensorValues([2, 3, 3], new double[18]))
            .WithControl("biases", Matrix(2, 3), Matrix(2, 3));
        var bytes = JsonFiles.Write(file, JsonFiles.Default.SensitivityFile);
        AssertRoundTrip(bytes, JsonFiles.Default.SensitivityFile);

        var json = JsonNode.Parse(bytes)!;
        Assert.Equal(["engine", "mode", "loss", "augmentedLoss", "gradX0", "inputSensitivity", "gradWeights", "gradBiases", "augmentedGradWeights", "augmentedGradBiases", "stats"],
            json.AsObject().Select(p => p.Key));
        Assert.Equal(3, json["gradWeights"]![1]![2]!.AsArray().Count);
        Assert.Equal(1 << 20, (long)json["stats"]!["peakMemoryBytes"]!);

        var linear = new SensitivityFile("managed", "discrete", 1, 2, Matrix(1, 2), Matrix(1, 2), new SolveStatsJson(1, 1, 0, 0, 0)).WithControl("A", Matrix(2, 2), Matrix(2, 2));
        Assert.Equal(["engine", "mode", "loss", "augmentedLoss", "gradX0", "inputSensitivity", "gradA", "augmentedGradA", "stats"],
            JsonNode.Parse(JsonFiles.Write(linear, JsonFiles.Default.SensitivityFile))!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Evaluation_result_round_trips()
    {
        var report = Report();
        var file = new EvaluationFile("runs/moons/models/augmented.ckpt", "moons", "torch", "moons test", 24, "inf", [0, 0.1], 0.95,
            ReportJson.Curves(report.Trainers[1].Scores.Curves));
        var bytes = JsonFiles.Write(file, JsonFiles.Default.EvaluationFile);
        AssertRoundTrip(bytes, JsonFiles.Default.EvaluationFile);
        Assert.Equal(["model", "experiment", "engine", "test", "testCount", "norm", "epsilons", "cleanAccuracy", "robustness"],
            JsonNode.Parse(bytes)!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Sweep_report_round_trips_with_undefined_statistics_as_null()
    {
        var one = new StatisticJson(0.8, double.NaN, double.NaN, double.NaN, [0.8]);
        var two = new StatisticJson(0.8, 0.1, 0.5, 1.1, [0.7, 0.9]);
        var curve = new CurveJson("apgd-ce-inf", [new CurvePointJson(0.1, 0.8, 0.8, 0.1, 0.5, 1.1)]);
        var trainer = new SweepTrainerJson("augmented", "J + …", 2, 3, two, two, [curve],
            new RobustAccuracyJson("apgd-ce-inf", [new RobustPointJson(0.1, "apgd-ce-inf", 0.8, 0.8, 0.1, 0.5, 1.1)]));
        var file = new SweepReportFile("moons-sweep", "moons", DateTimeOffset.UnixEpoch, [1, 2], ["Model:Seed"],
            [new GridAxisJson("Training:Augmented:Weight", ["0.05", "0.1"])], "inf", [0, 0.1], "95 % Student t",
            [new SweepPointJson("Training:Augmented:Weight=0.05", new Dictionary<string, string> { ["Training:Augmented:Weight"] = "0.05" },
                [new SweepRunJson(1, "seed-1")], [trainer])],
            new ParetoJson(0.1, [new ParetoPointJson("", "augmented", "apgd-ce-inf", one, two)]),
            new Dictionary<string, string> { ["Training:Epochs"] = "3" }, ["pareto.png"]);
        var bytes = JsonFiles.Write(file, JsonFiles.Default.SweepReportFile);
        AssertRoundTrip(bytes, JsonFiles.Default.SweepReportFile);

        var json = JsonNode.Parse(bytes)!;
        Assert.Null(json["pareto"]!["points"]![0]!["secondsPerEpoch"]!["std"]);
        Assert.Equal(["epsilon", "accuracy", "mean", "std", "ci95Low", "ci95High"],
            json["points"]![0]!["trainers"]![0]!["robustness"]![0]!["points"]![0]!.AsObject().Select(p => p.Key));
        Assert.True(double.IsNaN(JsonFiles.Parse(bytes, JsonFiles.Default.SweepReportFile).Pareto.Points[0].SecondsPerEpoch.Std));
    }

    [Fact]
    public void Non_finite_numbers_are_written_as_null_and_read_as_NaN()
    {
        var result = new SolveResult(new double[,] { { double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1 } }, new SolveStatistics(1, 1, 0), double.NaN, "torch");
        var bytes = result.ToJson();
        var json = JsonNode.Parse(bytes)!;
        Assert.Equal([null, null, null, 1.0], json["xT"]![0]!.AsArray().Select(v => (double?)v));
        Assert.Null(json["stats"]!["wallTimeMs"]);
        var read = JsonFiles.Parse(bytes, JsonFiles.Default.SolveFile);
        Assert.True(double.IsNaN(read.XT.Values[0]) && double.IsNaN(read.XT.Values[2]));
    }

    [Theory]
    [InlineData("[[1, 2], [3]]")]
    [InlineData("[[1, 2], 3]")]
    [InlineData("[1, [2]]")]
    [InlineData("[\"a\"]")]
    public void A_ragged_or_non_numeric_tensor_is_refused(string xT)
    {
        var text = $$"""{ "engine": "torch", "xT": {{xT}}, "stats": { "functionEvaluations": 1, "acceptedSteps": 1, "rejectedSteps": 0, "wallTimeMs": 1 } }""";
        Assert.ThrowsAny<JsonException>(() => JsonFiles.Parse(Encoding.UTF8.GetBytes(text), JsonFiles.Default.SolveFile));
    }

    [Fact]
    public void Tensors_of_rank_zero_to_three_round_trip()
    {
        foreach (var t in new[] { new TensorValues([], [2.5]), new TensorValues([3], [1, 2, 3]), new TensorValues([2, 0], []), new TensorValues([2, 2, 1], [1, 2, 3, 4]) })
        {
            var file = new SolveFile("torch", t, new SolveStatsJson(0, 0, 0, 0));
            var read = JsonFiles.Parse(JsonFiles.Write(file, JsonFiles.Default.SolveFile), JsonFiles.Default.SolveFile);
            Assert.Equal(t, read.XT);
        }
    }

    private static TensorValues Matrix(int rows, int columns) =>
        new([rows, columns], Enumerable.Range(0, rows * columns).Select(i => 0.5 * i - 1).ToArray());
}

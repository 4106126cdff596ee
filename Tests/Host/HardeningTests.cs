using System.Diagnostics;
using System.Text.Json.Nodes;
using RobustNode.Core.Errors;
using RobustNode.Host.Composition;
using RobustNode.Host.IO;
using RobustNode.Host.Runs;
using RobustNode.Training;
using Xunit;
using static RobustNode.Tests.Host.TrainingJobs;

namespace RobustNode.Tests.Host;

/// <summary>A tiny trained moons model (standard trainer, one epoch), shared by the tests of the verbs that read models.</summary>
public sealed class TinyModel : IDisposable
{
    public TempFolder Folder { get; } = new();
    public string Settings { get; }
    public string Model { get; }

    public TinyModel()
    {
        Settings = TinyMoons(Folder, ("Experiments:moons:Training:Epochs", 1), ("Experiments:moons:Training:Pgd:Enabled", false),
            ("Experiments:moons:Training:Augmented:Enabled", false));
        var run = Robustnode.Run(Folder, [], Settings);
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Model = Path.Combine(Run(Folder, "moons"), "models", "standard.ckpt");
    }

    public void Dispose() => Folder.Dispose();
}

/// <summary>
/// Hostile but fair input to every verb: each defect of the hardening list, reproduced, now refused with exit code 2
/// (input) or 3 (computation), a message naming the key, path or file, no stack trace, and nothing overwritten.
/// </summary>
[Collection(nameof(Collections.LibtorchThreadCount))]
public sealed class HardeningTests(TinyModel trained) : IClassFixture<TinyModel>
{
    private static string Problem(TempFolder folder, JsonObject problem, string name = "p.json") => folder.Write(name, problem.ToJsonString());

    private static void NoStackTrace(HostRun run)
    {
        Assert.DoesNotContain("   at ", run.Error);
        Assert.DoesNotContain("internal error", run.Error);
        Assert.DoesNotContain("Exception", run.Error);
    }

    // 1. --out to a device or a symbolic link

    [Fact]
    public void Out_to_a_symbolic_link_replaces_the_file_it_points_to_and_keeps_the_link()
    {
        using var folder = new TempFolder();
        var target = folder.Write("target.json", "old");
        var link = folder.File("link.json");
        File.CreateSymbolicLink(link, target);

        var run = Robustnode.Run(folder, ["solve", "--problem", Problem(folder, ProblemSamples.NodeTanh()), "--out", link]);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Contains("\"xT\"", File.ReadAllText(target));
    }

    [Fact]
    public void Out_to_a_device_is_written_through_and_the_device_stays()
    {
        using var folder = new TempFolder();
        Assert.Equal(FileKind.Special, FileKinds.Of("/dev/null"));
        var problem = Problem(folder, ProblemSamples.NodeTanh());
        problem = Problem(folder, new JsonObject(JsonNode.Parse(File.ReadAllText(problem))!.AsObject().Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())))
        {
            ["loss"] = "cross-entropy",
            ["labels"] = new JsonArray(0, 1),
        }, "s.json");
        foreach (var verb in new[] { "solve", "sensitivity" })
        {
            var run = Robustnode.Run(folder, [verb, "--problem", problem, "--out", "/dev/null"]);
            Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
            Assert.Equal(FileKind.Special, FileKinds.Of("/dev/null"));
        }
        Assert.Empty(Directory.GetFiles("/dev", ".null.*.tmp"));
    }

    [Fact]
    public void Evaluate_and_attack_write_through_links_and_refuse_a_folder()
    {
        var folder = trained.Folder;
        var target = folder.Write($"eval-{Guid.NewGuid():N}.json", "old");
        var link = folder.File($"eval-link-{Guid.NewGuid():N}.json");
        File.CreateSymbolicLink(link, target);
        var evaluate = Robustnode.Run(folder, ["evaluate", "--model", trained.Model, "--attack", "fgsm", "--out", link], trained.Settings);
        Assert.True(evaluate.ExitCode == ExitCodes.Success, evaluate.Error);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Contains("cleanAccuracy", File.ReadAllText(target));

        var dir = Directory.CreateDirectory(folder.File($"a-folder-{Guid.NewGuid():N}.png")).FullName;
        var attack = Robustnode.Run(folder, ["attack", "--model", trained.Model, "--count", "4", "--out", dir], trained.Settings);
        Assert.Equal(ExitCodes.InvalidInput, attack.ExitCode);
        Assert.Contains("is a folder, not a file", attack.Error);
        Assert.True(Directory.Exists(dir));
        NoStackTrace(attack);
    }

    // 2. non-finite losses and gradients in sensitivity

    [Fact]
    public void A_loss_that_overflows_is_a_computation_failure_naming_its_code()
    {
        using var folder = new TempFolder();
        var problem = new JsonObject
        {
            ["field"] = "linear", ["dim"] = 2, ["steps"] = 1, ["T"] = 2.0, ["solver"] = "rk4", ["stepsPerLayer"] = 50,
            ["A"] = JsonNode.Parse("[[300, 0], [0, 300]]"), ["x0"] = JsonNode.Parse("[[1, 1]]"),
            ["loss"] = "square", ["targets"] = JsonNode.Parse("[[0, 0]]"),
        };
        var outPath = folder.File("out.json");
        var run = Robustnode.Run(folder, ["sensitivity", "--problem", Problem(folder, problem), "--out", outPath]);

        Assert.Equal(ExitCodes.ComputationFailed, run.ExitCode);
        Assert.Contains($"(error {ErrorCodes.NonFiniteResult})", run.Error);
        Assert.Contains("is not finite", run.Error);
        Assert.False(File.Exists(outPath));
        NoStackTrace(run);
    }

    // 3. lone surrogates

    [Fact]
    public void A_lone_surrogate_in_a_problem_file_or_the_settings_is_reported_with_its_path()
    {
        using var folder = new TempFolder();
        var text = ProblemSamples.NodeTanh().ToJsonString().Replace("\"solver\":\"rk4\"", "\"solver\":\"rk4\\ud800\"");
        if (!text.Contains("ud800")) text = text[..^1] + ",\"solver\":\"rk4\\ud800\"}";
        var run = Robustnode.Run(folder, ["solve", "--problem", folder.Write("p.json", text)]);
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("$.solver: the string is not valid Unicode", run.Error);
        NoStackTrace(run);

        var settings = Robustnode.DefaultSettings.TrimEnd()[..^1] + ",\"Output\": {\"Folder\": \"runs\\udc00\"}}";
        var refused = Robustnode.Run(folder, ["solve", "--problem", Problem(folder, ProblemSamples.NodeTanh())], settings.Replace("\"Output\": {\n    \"Folder\": \"runs\"\n  },", ""));
        Assert.Equal(ExitCodes.InvalidInput, refused.ExitCode);
        Assert.Contains("not valid Unicode", refused.Error);
        NoStackTrace(refused);
    }

    // 4. user tableaux claiming high orders

    [Fact]
    public void A_user_tableau_claiming_order_40_is_refused_at_once()
    {
        using var folder = new TempFolder();
        var clock = Stopwatch.StartNew();
        var run = Robustnode.Run(folder, ["solve", "--problem", Problem(folder, ProblemSamples.NodeTanh()), "--Tableaux:ralston-copy:order=40"]);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("Tableaux:ralston-copy:order: must be at most 12, got 40", run.Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    // 5. every setting has a range

    [Fact]
    public void Out_of_range_settings_are_refused_at_start_up_naming_their_keys()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["train",
            "--Experiments:moons:Evaluation:Grid:Resolution=100000",
            "--Torch:Threads=100000",
            "--Experiments:moons:Model:Layers=2000000000",
            "--Experiments:moons:Training:Epochs=2000000000",
            "--Experiments:moons:Evaluation:Pgd:Restarts=1000000",
            "--Solver:AbsoluteTolerance=1e300"], TinyMoons(folder));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("Experiments:moons:Evaluation:Grid:Resolution: must be at most 1000, got 100000", run.Error);
        Assert.Contains("Torch:Threads: must be at most 256, got 100000", run.Error);
        Assert.Contains("Experiments:moons:Model:Layers: must be at most", run.Error);
        Assert.Contains("Experiments:moons:Training:Epochs: must be at most", run.Error);
        Assert.Contains("Experiments:moons:Evaluation:Pgd:Restarts: must be at most 1000", run.Error);
        Assert.Contains("Solver:AbsoluteTolerance: must be", run.Error);
        Assert.False(Directory.Exists(Run(folder, "moons")));
    }

    // 6. all-or-nothing publication

    [Fact]
    public void A_publication_that_fails_midway_leaves_the_previous_results_together()
    {
        using var folder = new TempFolder();
        var run = new RunFolder(folder.File("run"));
        Directory.CreateDirectory(run.Models);
        Directory.CreateDirectory(run.Checkpoints);
        File.WriteAllText(run.ReportJson, "old report");
        File.WriteAllText(run.Model("standard"), "old model");
        File.WriteAllText(run.File("accuracy.png"), "old plot");
        File.WriteAllText(run.Checkpoint("standard"), "checkpoint");
        var before = TrainVerbTests.Snapshot(run.Path);

        // The new model is written, then the disk "fills up" before the report.
        var failure = Assert.Throws<IOException>(() => RunPublication.Publish(run, staged =>
        {
            File.WriteAllText(staged.Model("standard"), "new model");
            throw new IOException("No space left on device");
        }));

        Assert.Contains("No space left", failure.Message);
        Assert.Equal(before, TrainVerbTests.Snapshot(run.Path));
        Assert.Single(Directory.GetFileSystemEntries(folder.Path));

        RunPublication.Publish(run, staged =>
        {
            File.WriteAllText(staged.Model("standard"), "new model");
            File.WriteAllText(staged.ReportJson, "new report");
        });
        Assert.Equal("new model", File.ReadAllText(run.Model("standard")));
        Assert.Equal("new report", File.ReadAllText(run.ReportJson));
        Assert.False(File.Exists(run.File("accuracy.png")));
        Assert.Equal("checkpoint", File.ReadAllText(run.Checkpoint("standard")));
        Assert.Single(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void A_run_folder_that_is_a_symbolic_link_is_published_through_the_link()
    {
        using var folder = new TempFolder();
        var real = Directory.CreateDirectory(folder.File("elsewhere")).FullName;
        Directory.CreateDirectory(folder.File("runs"));
        var link = folder.File("runs/moons");
        Directory.CreateSymbolicLink(link, real);

        var run = Robustnode.Run(folder, [], TinyMoons(folder, ("Experiments:moons:Training:Epochs", 1), ("Experiments:moons:Training:Pgd:Enabled", false),
            ("Experiments:moons:Training:Augmented:Enabled", false)));

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.NotNull(new DirectoryInfo(link).LinkTarget);
        Assert.True(File.Exists(Path.Combine(real, "report.json")));
        Assert.True(File.Exists(Path.Combine(real, "models", "standard.ckpt")));
    }

    // 7. empty --out, huge steps, devices as input

    [Fact]
    public void An_empty_out_is_refused_by_every_writing_verb()
    {
        using var folder = new TempFolder();
        var problem = Problem(folder, ProblemSamples.NodeTanh());
        foreach (var args in new[]
                 {
                     new[] { "solve", "--problem", problem, "--out=" },
                     ["sensitivity", "--problem", problem, "--out="],
                     ["evaluate", "--model", trained.Model, "--out="],
                     ["attack", "--model", trained.Model, "--out="],
                 })
        {
            var run = Robustnode.Run(folder, args, trained.Settings);
            Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
            Assert.Contains("--out: needs a value", run.Error);
            NoStackTrace(run);
        }
    }

    [Fact]
    public void Steps_beyond_the_step_limit_are_refused_before_anything_is_computed()
    {
        using var folder = new TempFolder();
        var huge = ProblemSamples.LinearConstantSteps("rk4", 2, 2, 1);
        huge["steps"] = int.MaxValue;
        var run = Robustnode.Run(folder, ["solve", "--problem", Problem(folder, huge)]);
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("$.steps: must be at most", run.Error);
        NoStackTrace(run);

        var perLayer = ProblemSamples.LinearConstantSteps("rk4", 2, 2, 1);
        perLayer["stepsPerLayer"] = int.MaxValue;
        var clock = Stopwatch.StartNew();
        run = Robustnode.Run(folder, ["solve", "--problem", Problem(folder, perLayer, "q.json")]);
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("$.stepsPerLayer: must be at most", run.Error);
        perLayer["stepsPerLayer"] = 60_000;
        run = Robustnode.Run(folder, ["solve", "--problem", Problem(folder, perLayer, "r.json")]);
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("$.stepsPerLayer: 2 layers × 60000 steps per layer = 120000 steps, more than Solver:MaxSteps = 100000", run.Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");

        run = Robustnode.Run(folder, ["train", "--Experiments:moons:Model:StepsPerLayer=40000"], TinyMoons(folder));
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("Experiments:moons:Model:StepsPerLayer: 3 layers × 40000 steps per layer = 120000 steps per solve, more than MaxSteps = 100000", run.Error);
    }

    [Fact]
    public void Devices_and_folders_as_input_are_refused_after_a_bounded_read()
    {
        using var folder = new TempFolder();
        var clock = Stopwatch.StartNew();
        var problem = Robustnode.Run(folder, ["solve", "--problem", "/dev/zero"]);
        Assert.Equal(ExitCodes.InvalidInput, problem.ExitCode);
        Assert.Contains("/dev/zero: cannot read: binary data", problem.Error);

        var model = Robustnode.Run(folder, ["evaluate", "--model", "/dev/zero"]);
        Assert.Equal(ExitCodes.InvalidInput, model.ExitCode);
        Assert.Contains("/dev/zero: not a RobustNode checkpoint", model.Error);

        var dir = Robustnode.Run(folder, ["solve", "--problem", folder.Path]);
        Assert.Equal(ExitCodes.InvalidInput, dir.ExitCode);
        Assert.Contains("it is a folder, not a file", dir.Error);
        Assert.DoesNotContain("permission denied", dir.Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        foreach (var run in new[] { problem, model, dir }) NoStackTrace(run);
    }

    // 8. wrong-typed settings, misspelt sections, broken settings files, --config

    [Fact]
    public void Wrong_typed_settings_are_refused_naming_the_key()
    {
        using var folder = new TempFolder();
        var objectWhereANumberBelongs = Robustnode.Run(folder, ["train"], TinyMoons(folder, ("Experiments:moons:Training:BatchSize", JsonNode.Parse("{\"a\": 1}"))));
        Assert.Equal(ExitCodes.InvalidInput, objectWhereANumberBelongs.ExitCode);
        Assert.Contains("Experiments:moons:Training:BatchSize: expected a single value", objectWhereANumberBelongs.Error);

        var arrayWhereANumberBelongs = Robustnode.Run(folder, ["train"], TinyMoons(folder, ("Experiments:moons:Training:Epochs", JsonNode.Parse("[1, 2]"))));
        Assert.Equal(ExitCodes.InvalidInput, arrayWhereANumberBelongs.ExitCode);
        Assert.Contains("Experiments:moons:Training:Epochs: expected a single value", arrayWhereANumberBelongs.Error);

        var subKey = Robustnode.Run(folder, ["train", "--Experiments:moons:Training:BatchSize:a=1"], TinyMoons(folder));
        Assert.Equal(ExitCodes.InvalidInput, subKey.ExitCode);
        Assert.Contains("Experiments:moons:Training:BatchSize: holds a single value and takes no sub-keys", subKey.Error);

        var empty = Robustnode.Run(folder, ["train", "--Experiments:moons:Training:Epochs="], TinyMoons(folder));
        Assert.Equal(ExitCodes.InvalidInput, empty.ExitCode);
        Assert.Contains("Experiments:moons:Training:Epochs: is empty", empty.Error);

        var section = Robustnode.Run(folder, ["train", "--Experiments:moons:Training:Optimizer=sgd"], TinyMoons(folder));
        Assert.Equal(ExitCodes.InvalidInput, section.ExitCode);
        Assert.Contains("Experiments:moons:Training:Optimizer: is a section", section.Error);

        var misspelt = Robustnode.Run(folder, ["solve", "--problem", Problem(folder, ProblemSamples.NodeTanh()), "--Solvr:Name=rk4"]);
        Assert.Equal(ExitCodes.InvalidInput, misspelt.ExitCode);
        Assert.Contains("Solvr: unknown section; known: Torch, Engine, Solver", misspelt.Error);

        var logLevel = Robustnode.Run(folder, ["solve", "--problem", Problem(folder, ProblemSamples.NodeTanh()), "--Logging:LogLevel:Default=loud"]);
        Assert.Equal(ExitCodes.InvalidInput, logLevel.ExitCode);
        Assert.Contains("Logging:LogLevel:Default: expected Trace", logLevel.Error);
        Assert.False(Directory.Exists(Run(folder, "moons")));
    }

    [Fact]
    public void A_config_file_is_read_after_the_shipped_settings_and_a_broken_one_is_located()
    {
        using var folder = new TempFolder();
        var sample = ProblemSamples.NodeTanh();
        sample.Remove("solver");
        var problem = Problem(folder, sample);
        var mine = folder.Write("mine.json", "{\n  // my settings\n  \"Solver\": { \"Name\": \"midpoint\" },\n}");
        var run = Robustnode.Run(folder, ["solve", "--problem", problem, "--out", folder.File("o.json"), "--config", mine]);
        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Contains(run.Log, l => l.Contains("with midpoint"));

        var broken = folder.Write("broken.json", "{\n  \"Solver\": {\n    \"Name\": \"midpoint\"\n    \"StepsPerLayer\": 2\n  }\n}");
        run = Robustnode.Run(folder, ["solve", "--problem", problem, "--config", broken]);
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains($"{broken}: invalid settings file: line 4, column 5", run.Error);

        run = Robustnode.Run(folder, ["solve", "--problem", problem, "--config", folder.File("missing.json")]);
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("missing.json: cannot read: no such file", run.Error);
        NoStackTrace(run);
    }

    // 9. unbounded and unprintable input in messages

    [Fact]
    public void Messages_escape_control_and_bidi_characters_and_cut_long_input()
    {
        using var folder = new TempFolder();
        var problem = ProblemSamples.NodeTanh();
        problem["solver"] = "\u001b[31mred\u202eevil" + new string('x', 1_000_000);
        var run = Robustnode.Run(folder, ["solve", "--problem", Problem(folder, problem)]);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("\\u001b[31mred\\u202eevil", run.Error);
        Assert.DoesNotContain('\u001b', run.Error);
        Assert.DoesNotContain('\u202e', run.Error);
        Assert.Contains("more characters", run.Error);
        Assert.True(run.Error.Length < 10_000, $"{run.Error.Length} characters on stderr");

        var setting = Robustnode.Run(folder, ["solve", "--problem", Problem(folder, ProblemSamples.NodeTanh()), "--Torch:Device=\u2066gpu" + new string('y', 100_000)]);
        Assert.Equal(ExitCodes.InvalidInput, setting.ExitCode);
        Assert.DoesNotContain('\u2066', setting.Error);
        Assert.True(setting.Error.Length < 10_000, $"{setting.Error.Length} characters on stderr");
    }

    // 11. smaller defects

    [Fact]
    public void A_failed_solve_names_its_error_code()
    {
        using var folder = new TempFolder();
        var problem = new JsonObject
        {
            ["field"] = "linear", ["dim"] = 1, ["steps"] = 1, ["T"] = 1.0, ["solver"] = "euler", ["stepsPerLayer"] = 10,
            ["A"] = JsonNode.Parse("[[1e308]]"), ["x0"] = JsonNode.Parse("[[1e308]]"),
        };
        var run = Robustnode.Run(folder, ["solve", "--problem", Problem(folder, problem)]);
        Assert.Equal(ExitCodes.ComputationFailed, run.ExitCode);
        Assert.Contains($"failed (error {ErrorCodes.NonFiniteState}): the solution became NaN or infinite", run.Error);
    }

    [Fact]
    public void A_label_file_problem_is_reported_under_the_labels_key()
    {
        using var folder = new TempFolder();
        static byte[] Idx(int[] dims, byte[] data)
        {
            var bytes = new byte[4 + 4 * dims.Length + data.Length];
            bytes[2] = 0x08;
            bytes[3] = (byte)dims.Length;
            for (int i = 0; i < dims.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
            data.CopyTo(bytes, 4 + 4 * dims.Length);
            return bytes;
        }
        var images = folder.File("images");
        var labels = folder.File("labels");
        File.WriteAllBytes(images, Idx([4, 2, 2], new byte[16]));
        File.WriteAllBytes(labels, Idx([3], [0, 1, 0]));
        var run = Robustnode.Run(folder, ["train", "--experiment", "tiny", "--Experiments:tiny:Data:Kind=images",
            $"--Experiments:tiny:Data:Images={images}", $"--Experiments:tiny:Data:Labels={labels}",
            "--Experiments:tiny:Data:TrainCount=2", "--Experiments:tiny:Data:TestCount=1"], Robustnode.SettingsWith(("Output:Folder", folder.File("runs"))));

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("Experiments:tiny:Data:Labels: ", run.Error);
        Assert.Contains("3 labels for 4 images", run.Error);
        Assert.DoesNotContain("Experiments:tiny:Data:Images: ", run.Error);
    }

    [Fact]
    public void Resume_removes_the_temporary_files_an_interrupted_run_left()
    {
        using var folder = new TempFolder();
        var settings = TinyMoons(folder, ("Experiments:moons:Training:Epochs", 1), ("Experiments:moons:Training:Pgd:Enabled", false), ("Experiments:moons:Training:Augmented:Enabled", false));
        Assert.Equal(ExitCodes.Success, Robustnode.Run(folder, [], settings).ExitCode);
        var dir = Run(folder, "moons");
        var leftovers = new[]
        {
            Path.Combine(dir, ".report.json.0123456789abcdef.tmp"),
            Path.Combine(dir, "checkpoints", ".standard.ckpt.0123456789abcdef.tmp"),
            Path.Combine(dir, "models", ".standard.ckpt.fedcba9876543210.tmp"),
        };
        foreach (var file in leftovers) File.WriteAllText(file, "half-written");
        var staging = Directory.CreateDirectory(Path.Combine(folder.File("runs"), ".moons.publishing-0123")).FullName;

        var run = Robustnode.Run(folder, ["train", "--resume"], settings);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.All(leftovers, f => Assert.False(File.Exists(f), f));
        Assert.False(Directory.Exists(staging));
        Assert.Contains(run.Log, l => l.Contains("Removed 4 temporary"));
    }

    [Fact]
    public void Evaluating_in_an_experiment_of_another_kind_is_refused_before_its_data_is_loaded()
    {
        var folder = trained.Folder;
        var run = Robustnode.Run(folder, ["evaluate", "--model", trained.Model, "--experiment", "fashion-mnist",
            "--Experiments:fashion-mnist:Data:TrainImages=/nonexistent/train-images"], trained.Settings);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("the model is a point-cloud-node network, the experiment's a conv-ode network", run.Error);
        Assert.DoesNotContain("cannot read", run.Error);
    }

    [Fact]
    public void Every_error_code_is_registered_once_and_documented()
    {
        var codes = ErrorCodes.All.Select(c => c.Code).ToList();
        Assert.Equal(codes.Count, codes.Distinct().Count());
        var declared = new[] { typeof(RobustNodeErrors), typeof(TrainingErrors), typeof(HostErrors) }
            .SelectMany(t => t.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
            .Where(f => f.IsLiteral && f.Name.EndsWith("Code", StringComparison.Ordinal))
            .Select(f => (f.DeclaringType!.Name + "." + f.Name, (int)f.GetRawConstantValue()!))
            .ToList();
        Assert.All(declared, d => Assert.Contains(d.Item2, codes));
        Assert.Equal(declared.Count, declared.Select(d => d.Item2).Distinct().Count());
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md"));
        Assert.All(ErrorCodes.All, c => Assert.Contains($"| {c.Code} |", readme));
    }
}

using RobustNode.Core.Norms;
using RobustNode.Sensitivity.Attacks;
using RobustNode.Training;
using RobustNode.Training.Checkpoints;
using RobustNode.Training.Data;
using RobustNode.Training.Models;
using RobustNode.Training.Optimization;
using RobustNode.Training.Trainers;
using Xunit;
using static RobustNode.Tests.Training.TrainingHarness;
using static TorchSharp.torch;

namespace RobustNode.Tests.Training;

public sealed class CheckpointTests
{
    private static readonly PointCloudModel Config = new(Dim: 3, Layers: 4);
    private const long ModelSeed = 5;
    private readonly Dataset _data = Moons(90, 4).Train;

    public CheckpointTests() => Initialise();

    private static TrainingOptions Options(string objective) => objective switch
    {
        "augmented" => new TrainingOptions(new AugmentedObjective(0.1, AttackNorm.Infinity) { WarmupEpochs = 3 }, new Adam(0.02), Epochs: 6, BatchSize: 16, Seed: 7)
            { Schedule = new CosineDecay(6, 0.1) },
        "adversarial" => new TrainingOptions(new AdversarialObjective(Pgd.Madry(0.1, AttackNorm.Two, steps: 3)), new Sgd(0.1, 0.9, Nesterov: true, WeightDecay: 1e-3), Epochs: 6, BatchSize: 16, Seed: 7)
            { Schedule = new StepDecay(2, 0.5) },
        _ => new TrainingOptions(new StandardObjective(), new Sgd(0.1, 0.5), Epochs: 6, BatchSize: 16, Seed: 7),
    };

    private ConfigurationFingerprint Fingerprint(TrainingOptions options) => ConfigurationFingerprint.For(Config, ModelSeed, _data, options);

    private (TrainingState<Tensor> State, byte[] Bytes) TrainAndSave(TrainingOptions options, int epochs)
    {
        var state = Ok(Trainer.Start(Ok(Config.Build(ModelSeed)), options));
        Ok(Trainer.Run(state, _data, options with { Epochs = epochs }));
        return (state, CheckpointSerializer.Serialize(Checkpoint.Capture(state, Fingerprint(options))));
    }

    [Theory]
    [InlineData("standard")]
    [InlineData("augmented")]
    [InlineData("adversarial")]
    public void Resuming_from_a_mid_run_checkpoint_ends_bit_identical_to_the_uninterrupted_run(string objective)
    {
        var options = Options(objective);
        var uninterrupted = Ok(Trainer.Start(Ok(Config.Build(ModelSeed)), options));
        var full = Ok(Trainer.Run(uninterrupted, _data, options));

        var (_, bytes) = TrainAndSave(options, epochs: 3);
        var template = Ok(Config.Build(seed: 999));
        var resumed = Ok(Ok(CheckpointSerializer.Deserialize(bytes)).Restore(template, options, Fingerprint(options)));
        Assert.Equal(3, resumed.Epoch);
        var rest = Ok(Trainer.Run(resumed, _data, options));

        Assert.Equal([3, 4, 5], rest.Epochs.Select(m => m.Epoch));
        Assert.Equal(full.Epochs.Skip(3).Select(m => m.Loss), rest.Epochs.Select(m => m.Loss));
        Assert.True(BitIdentical(uninterrupted.Parameters, resumed.Parameters), "parameters differ after resuming");
        Assert.Equal(uninterrupted.Optimizer.Steps, resumed.Optimizer.Steps);
        for (int k = 0; k < uninterrupted.Optimizer.Slots.Count; k++)
            Assert.True(BitIdentical(uninterrupted.Optimizer.Slots[k], resumed.Optimizer.Slots[k]), $"optimizer slot {k} differs");
    }

    [Fact]
    public void Serialization_round_trips_exactly_through_bytes_and_streams()
    {
        var options = Options("augmented");
        var (state, bytes) = TrainAndSave(options, epochs: 2);
        var checkpoint = Ok(CheckpointSerializer.Deserialize(bytes));
        Assert.Equal(bytes, CheckpointSerializer.Serialize(checkpoint));
        Assert.Equal(2, checkpoint.Epoch);
        Assert.Equal("adam", checkpoint.Optimizer.Optimizer);
        Assert.Equal(["m", "v"], checkpoint.Optimizer.SlotNames);
        Assert.Equal(Fingerprint(options), checkpoint.Fingerprint);
        using var stream = new MemoryStream();
        CheckpointSerializer.Write(checkpoint, stream);
        stream.Position = 0;
        var fromStream = Ok(CheckpointSerializer.Read(stream));
        var restored = Ok(fromStream.Restore(Ok(Config.Build(ModelSeed)), options, Fingerprint(options)));
        Assert.True(BitIdentical(state.Parameters, restored.Parameters));
    }

    [Fact]
    public void Corrupted_checkpoints_are_rejected_with_a_reason()
    {
        var (_, bytes) = TrainAndSave(Options("standard"), epochs: 1);

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x10;
        var checksum = Failure(CheckpointSerializer.Deserialize(flipped));
        Assert.Equal(TrainingErrors.CheckpointCorruptedCode, checksum.Code);
        Assert.Contains("checksum", checksum.Message);

        var truncated = Failure(CheckpointSerializer.Deserialize(bytes.AsSpan(0, bytes.Length - 40)));
        Assert.Equal(TrainingErrors.CheckpointCorruptedCode, truncated.Code);
        Assert.Contains("truncated", truncated.Message);

        var extended = Failure(CheckpointSerializer.Deserialize([.. bytes, 0]));
        Assert.Contains("unexpected bytes", extended.Message);

        var notOne = Failure(CheckpointSerializer.Deserialize("{\"weights\": []}"u8));
        Assert.Equal(TrainingErrors.CheckpointFormatCode, notOne.Code);
        Assert.Contains("magic", notOne.Message);
        Assert.Equal(TrainingErrors.CheckpointFormatCode, Failure(CheckpointSerializer.Deserialize([])).Code);

        var future = (byte[])bytes.Clone();
        future[8] = 3;
        var version = Failure(CheckpointSerializer.Deserialize(future));
        Assert.Equal(TrainingErrors.CheckpointVersionCode, version.Code);
        Assert.Contains("version 3", version.Message);
    }

    [Fact]
    public void Checkpoints_of_another_configuration_are_rejected_naming_the_difference()
    {
        var options = Options("standard");
        var (_, bytes) = TrainAndSave(options, epochs: 1);
        var checkpoint = Ok(CheckpointSerializer.Deserialize(bytes));
        var template = Ok(Config.Build(ModelSeed));

        var otherOptions = options with { BatchSize = 8, Seed = 8 };
        var mismatch = Failure(checkpoint.Restore(template, otherOptions, Fingerprint(otherOptions)));
        Assert.Equal(TrainingErrors.CheckpointMismatchCode, mismatch.Code);
        Assert.Contains("training.batchSize: '16' vs '8'", mismatch.Message);
        Assert.Contains("training.seed", mismatch.Message);

        var otherModel = Config with { Dim = 4 };
        var modelMismatch = Failure(checkpoint.Restore(Ok(otherModel.Build(ModelSeed)), options, ConfigurationFingerprint.For(otherModel, ModelSeed, _data, options)));
        Assert.Contains("model: ", modelMismatch.Message);
        Assert.Contains("dim=3", modelMismatch.Message);

        // Same fingerprint, but a template of other shapes or another optimizer: still refused, naming the parameter.
        var shapes = Failure(checkpoint.Restore(Ok(otherModel.Build(ModelSeed)), options, Fingerprint(options)));
        Assert.Contains("parameter 0", shapes.Message);
        var adam = options with { Optimizer = new Adam() };
        var optimizer = Failure(checkpoint.Restore(template, adam, checkpoint.Fingerprint));
        Assert.Contains("'sgd'", optimizer.Message);
        Assert.Contains("'adam'", optimizer.Message);
    }

    [Fact]
    public void Fingerprints_are_canonical_text_with_a_stable_hash()
    {
        var options = Options("adversarial");
        var a = Fingerprint(options);
        var b = Fingerprint(options with { Epochs = 60 });
        Assert.Equal(a, b);
        Assert.Equal(a.Hash, b.Hash);
        Assert.Equal(64, a.Hash.Length);
        Assert.Contains("training.objective=adversarial(pgd(epsilon=0.1, q=2, steps=3", a.Text);
        Assert.Contains("model=point-cloud-node(inputs=2, dim=3, layers=4, T=1, classes=2, activation=tanh, solver=euler/fixed(1 per layer), adjoint=discrete", a.Text);
        Assert.Contains("data=moons(n=90, noise=0.1, seed=4)/train(0.7, seed=4)", a.Text);
        Assert.NotEqual(a, Fingerprint(options with { Schedule = new StepDecay(3, 0.5) }));
    }
}

using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using RobustNode.Benchmarks.Images;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Data;
using static TorchSharp.torch;

namespace RobustNode.Benchmarks.PyTorch;

/// <summary>
/// The PyTorch side of <c>train-epoch</c> (oracles/image_epoch.py): the training images, labels, the epoch's batch
/// order and the network's initial weights go to a temporary folder of raw little-endian arrays, and the script trains
/// one epoch of the same network on the same batches in PyTorch 1.13.
/// </summary>
internal sealed class ImageEpochBaseline : IDisposable
{
    public const string Script = "image_epoch.py";

    private readonly string _folder;
    private readonly JsonArray _parameters = [];
    private readonly int _count;

    /// <param name="train">The training samples of the epoch.</param>
    /// <param name="order">The epoch's sample order (batches are its consecutive chunks).</param>
    /// <param name="network">The network whose initial weights PyTorch starts from.</param>
    public ImageEpochBaseline(Dataset train, long[] order, Network<Tensor> network)
    {
        _folder = Directory.CreateTempSubdirectory("robustnode-train-epoch-").FullName;
        _count = train.Count;
        using var scope = NewDisposeScope();
        Write("images.f32", train.X.to(float32).contiguous().data<float>().ToArray());
        Write("labels.i64", train.Labels.contiguous().data<long>().ToArray());
        Write("order.i64", order);
        int i = 0;
        foreach (var p in network.Parameters)
        {
            string file = $"p{i++}.f32";
            Write(file, p.detach().to(float32).contiguous().data<float>().ToArray());
            _parameters.Add(new JsonObject { ["file"] = file, ["shape"] = new JsonArray(p.shape.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()) });
        }
    }

    private void Write<T>(string name, T[] values) where T : struct =>
        File.WriteAllBytes(Path.Combine(_folder, name), MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>One epoch in PyTorch with the given objective.</summary>
    public EpochTime Epoch(TrainEpochSettings s, string objective, double finalTime)
    {
        var request = new JsonObject
        {
            ["data"] = _folder, ["count"] = _count, ["batch"] = s.BatchSize, ["layers"] = s.Layers, ["finalTime"] = finalTime,
            ["lr"] = s.LearningRate, ["epsilon"] = s.Epsilon, ["threads"] = s.Threads, ["objective"] = objective,
            ["warmupBatches"] = s.WarmupBatches, ["parameters"] = _parameters.DeepClone(),
        };
        var answer = PyTorchScript.Request(Script, request, s.Threads);
        return new EpochTime(EpochTime.PyTorch, objective, objective == "standard" ? "autograd" : "double-backprop",
            (double)answer["wallSeconds"]!, (double)answer["cpuSeconds"]!, (double)answer["loss"]!, (double)answer["accuracy"]!, (int)answer["batches"]!);
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }
}

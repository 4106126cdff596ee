using LanguageExt;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Data;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Training.Evaluation;

/// <summary>Clean predictions of a classifier (a block whose outputs are class logits), evaluated in chunks of rows.</summary>
public static class Classification
{
    /// <summary>Rows per forward pass when evaluating large inputs.</summary>
    public const int DefaultChunk = 4096;

    /// <summary>The logits [n, classes] for inputs x [n, features].</summary>
    public static Fin<Tensor> Logits(IBlock model, Tensor x, int chunk = DefaultChunk)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < x.shape[0]; start += chunk)
        {
            var output = Inference.Output(model, x.narrow(0, start, Math.Min(chunk, x.shape[0] - start)));
            if (output.IsFail) return output;
            parts.Add((Tensor)output);
        }
        if (parts.Count == 0) return model.OutputShape(x.shape).Map(shape => empty(shape, dtype: x.dtype).MoveToOuterDisposeScope());
        return FinSucc((parts.Count == 1 ? parts[0] : cat(parts, 0)).MoveToOuterDisposeScope());
    }

    /// <summary>Class probabilities softmax(logits) [n, classes].</summary>
    public static Fin<Tensor> Probabilities(IBlock model, Tensor x, int chunk = DefaultChunk) =>
        Logits(model, x, chunk).Map(logits =>
        {
            using var scope = NewDisposeScope();
            return logits.softmax(1).MoveToOuterDisposeScope();
        });

    /// <summary>Predicted classes argmax(logits) [n], int64.</summary>
    public static Fin<Tensor> Predictions(IBlock model, Tensor x, int chunk = DefaultChunk) =>
        Logits(model, x, chunk).Map(logits =>
        {
            using var scope = NewDisposeScope();
            return logits.argmax(1).MoveToOuterDisposeScope();
        });

    /// <summary>The fraction of samples whose predicted class is their label.</summary>
    public static Fin<double> Accuracy(IBlock model, Dataset data, int chunk = DefaultChunk)
    {
        using var scope = NewDisposeScope();
        return Predictions(model, data.X, chunk).Map(p => p.eq(data.Labels).sum().item<long>() / (double)data.Count);
    }
}

using LanguageExt;
using RobustNode.Sensitivity.Networks;
using RobustNode.Training.Data;
using static LanguageExt.Prelude;

namespace RobustNode.Training.Evaluation;

/// <summary>Clean predictions of a classifier (a block whose outputs are class logits), evaluated in chunks of rows on its engine.</summary>
public static class Classification
{
    /// <summary>Rows per forward pass when evaluating large inputs.</summary>
    public const int DefaultChunk = 4096;

    /// <summary>The logits [n, classes] for inputs x [n, features].</summary>
    public static Fin<T> Logits<T>(IBlock<T> model, T x, int chunk = DefaultChunk)
    {
        var engine = model.Engine;
        long n = engine.BatchSize(x);
        if (n == 0) return model.OutputShape(engine.Shape(x)).Map(shape => engine.Zeros(x, shape));
        using var scope = engine.OpenScope();
        var parts = new List<T>();
        for (long start = 0; start < n; start += chunk)
        {
            var output = Inference.Output(model, engine.Rows(x, start, Math.Min(chunk, n - start)));
            if (output.IsFail) return output;
            parts.Add((T)output);
        }
        return FinSucc(engine.Keep(engine.Concat(parts)));
    }

    /// <summary>Class probabilities softmax(logits) [n, classes].</summary>
    public static Fin<T> Probabilities<T>(IBlock<T> model, T x, int chunk = DefaultChunk) =>
        Logits(model, x, chunk).Map(logits =>
        {
            using var scope = model.Engine.OpenScope();
            return model.Engine.Keep(model.Engine.Softmax(logits));
        });

    /// <summary>Predicted classes argmax(logits) [n], as labels of the engine.</summary>
    public static Fin<T> Predictions<T>(IBlock<T> model, T x, int chunk = DefaultChunk) =>
        Logits(model, x, chunk).Map(logits =>
        {
            using var scope = model.Engine.OpenScope();
            return model.Engine.Keep(model.Engine.ArgMax(logits));
        });

    /// <summary>The fraction of samples whose predicted class is their label.</summary>
    public static Fin<double> Accuracy<T>(IBlock<T> model, Dataset data, int chunk = DefaultChunk) =>
        Accuracy(model, EngineDataset<T>.From(model.Engine, data), chunk);

    /// <summary>The fraction of samples whose predicted class is their label, for a data set in the engine's form.</summary>
    public static Fin<double> Accuracy<T>(IBlock<T> model, EngineDataset<T> data, int chunk = DefaultChunk)
    {
        var engine = model.Engine;
        using var scope = engine.OpenScope();
        return Predictions(model, data.X, chunk).Map(p => engine.CountEqual(p, data.Labels) / (double)data.Count);
    }
}

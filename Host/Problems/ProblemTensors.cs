using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using RobustNode.Core.Fields;
using RobustNode.Host.Configuration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Problems;

/// <summary>A validated problem file as values of an engine, with the runtime's dtype (and device): the field with its controls and x0 [B, d].</summary>
internal sealed record ProblemTensors<T>(IVectorField<T> Field, T X0);

/// <summary>Builds a problem file's field and x0 on an engine, and converts arrays to and from TorchSharp tensors.</summary>
internal static class ProblemTensors
{
    /// <summary>
    /// Builds the field through the core's own validating constructors. The shapes were checked by the parser,
    /// so nothing that reaches an engine here can abort the process. Call inside a scope.
    /// </summary>
    public static Validation<Error, ProblemTensors<T>> Create<T>(IEngine<T> engine, ProblemFile problem, TorchRuntime runtime)
    {
        T Value(System.Array values) => engine.FromTensor(Tensor(values, runtime));
        var x0 = Value(problem.X0);
        Validation<Error, IVectorField<T>> field = problem.Field switch
        {
            ProblemField.Linear linear =>
                LinearField.Create(engine, Value(linear.A), problem.FinalTime, problem.Steps).Map(f => (IVectorField<T>)f),
            ProblemField.NeuralOde node =>
                NeuralOdeField.Create(engine, Value(node.Weights), Value(node.Biases), problem.FinalTime, Activation.Tanh).Map(f => (IVectorField<T>)f),
            ProblemField.GradientFlow flow =>
                GradientFlowField.Create(engine, Value(flow.Weights), Value(flow.Biases), problem.FinalTime, flow.Activation, flow.Directions).Map(f => (IVectorField<T>)f),
            _ => throw new InvalidOperationException($"unhandled field {problem.Field.Name}"),
        };
        return field.Map(f => new ProblemTensors<T>(f, x0));
    }

    /// <summary>A tensor of the runtime's dtype and device from a rectangular array (row-major).</summary>
    public static Tensor Tensor(System.Array values, TorchRuntime runtime)
    {
        var shape = Enumerable.Range(0, values.Rank).Select(i => (long)values.GetLength(i)).ToArray();
        using var scope = NewDisposeScope();
        return tensor(values.Cast<double>().ToArray(), shape, ScalarType.Float64)
            .to(runtime.DType, runtime.Device)
            .MoveToOuterDisposeScope();
    }

    /// <summary>A [B, d] tensor back to a float64 array.</summary>
    public static double[,] Matrix(Tensor t)
    {
        using var scope = NewDisposeScope();
        var cpu = t.to(ScalarType.Float64, CPU).contiguous();
        int rows = (int)cpu.shape[0], cols = (int)cpu.shape[1];
        var flat = cpu.data<double>().ToArray();
        var m = new double[rows, cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) m[i, j] = flat[i * cols + j];
        return m;
    }
}

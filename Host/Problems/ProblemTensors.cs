using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Fields;
using RobustNode.Host.Configuration;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Problems;

/// <summary>A validated problem file as tensors on the runtime's device and dtype: the field with its controls and x0 [B, d].</summary>
public sealed record ProblemTensors(IVectorField<Tensor> Field, Tensor X0)
{
    /// <summary>
    /// Builds the field through the core's own validating constructors. The shapes were checked by the parser,
    /// so nothing that reaches libtorch here can abort the process. Call inside a dispose scope.
    /// </summary>
    public static Validation<Error, ProblemTensors> Create(ProblemFile problem, TorchRuntime runtime)
    {
        var x0 = Tensor(problem.X0, runtime);
        Validation<Error, IVectorField<Tensor>> field = problem.Field switch
        {
            ProblemField.Linear linear =>
                LinearField.Create(Tensor(linear.A, runtime), problem.FinalTime, problem.Steps).Map(f => (IVectorField<Tensor>)f),
            ProblemField.NeuralOde node =>
                NeuralOdeField.Create(Tensor(node.Weights, runtime), Tensor(node.Biases, runtime), problem.FinalTime, Activation.Tanh).Map(f => (IVectorField<Tensor>)f),
            _ => throw new InvalidOperationException($"unhandled field {problem.Field.Name}"),
        };
        return field.Map(f => new ProblemTensors(f, x0));
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

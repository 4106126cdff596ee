using RobustNode.Core.Engines.Managed;
using RobustNode.Core.Fields;
using RobustNode.Core.Losses;
using RobustNode.Core.Tableaux;
using RobustNode.Sensitivity.Problems;
using RobustNode.Solvers;

namespace RobustNode.Tests.Engines;

/// <summary>
/// A float64 nODE problem on the managed engine with uniform(−1, 1) weights, biases and inputs from a seed:
/// x' = W_k tanh(x) + b_k, N layers on [0, 1], RK4 with one step per layer, cross-entropy against labels i mod d.
/// </summary>
internal static class RandomNodeProblem
{
    public static SensitivityProblem<ManagedTensor<double>> Create(ManagedEngine<double> e, int layers, int dim, int batch, int seed)
    {
        var random = new Random(seed);
        double[] Uniform(int n) => Enumerable.Range(0, n).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var field = NeuralOdeField.Create(e, e.FromValues(Uniform(layers * dim * dim), default, layers, dim, dim),
            e.FromValues(Uniform(layers * dim), default, layers, dim), 1.0).Match(f => f, errors => throw new InvalidOperationException(errors.Head.Message));
        var labels = e.FromValues(Enumerable.Range(0, batch).Select(i => (double)(i % dim)).ToArray(), default, batch);
        return SensitivityProblem.Create(field, e.FromValues(Uniform(batch * dim), default, batch, dim), new CrossEntropyLoss<ManagedTensor<double>>(e, labels),
            SolverCatalog.Fixed(Tableaux.Rk4));
    }
}

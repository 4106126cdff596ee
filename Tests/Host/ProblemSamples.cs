using System.Text.Json.Nodes;

namespace RobustNode.Tests.Host;

/// <summary>Small valid problem files (DESIGN §4), as mutable JSON so a test can break one thing at a time.</summary>
public static class ProblemSamples
{
    /// <summary>A seeded node-tanh problem: d = 3, N = 4 layers, B = 2, rk4.</summary>
    public static JsonObject NodeTanh(int dim = 3, int steps = 4, int batch = 2, int seed = 1)
    {
        var random = new Random(seed);
        double Next(double scale) => Math.Round((random.NextDouble() * 2 - 1) * scale, 6);
        JsonArray Vector(int n, double scale) => new(Enumerable.Range(0, n).Select(_ => (JsonNode?)JsonValue.Create(Next(scale))).ToArray());
        JsonArray Matrix(int rows, int cols, double scale) => new(Enumerable.Range(0, rows).Select(_ => (JsonNode?)Vector(cols, scale)).ToArray());
        return new JsonObject
        {
            ["field"] = "node-tanh",
            ["dim"] = dim,
            ["steps"] = steps,
            ["T"] = 1.0,
            ["solver"] = "rk4",
            ["weights"] = new JsonArray(Enumerable.Range(0, steps).Select(_ => (JsonNode?)Matrix(dim, dim, 1.0)).ToArray()),
            ["biases"] = Matrix(steps, dim, 0.3),
            ["x0"] = Matrix(batch, dim, 1.0),
        };
    }

    /// <summary>x' = A x with a seeded A [d, d] and x0 [B, d].</summary>
    public static JsonObject Linear(int dim = 3, int steps = 2, int batch = 4, int seed = 2)
    {
        var node = NodeTanh(dim, steps, batch, seed);
        var random = new Random(seed + 100);
        var a = new JsonArray(Enumerable.Range(0, dim).Select(_ => (JsonNode?)new JsonArray(
            Enumerable.Range(0, dim).Select(_ => (JsonNode?)JsonValue.Create(Math.Round(random.NextDouble() * 2 - 1, 6))).ToArray())).ToArray());
        return new JsonObject
        {
            ["field"] = "linear",
            ["dim"] = dim,
            ["steps"] = steps,
            ["T"] = 1.0,
            ["solver"] = "dopri5",
            ["rtol"] = 1e-10,
            ["atol"] = 1e-12,
            ["A"] = a,
            ["x0"] = node["x0"]!.DeepClone(),
        };
    }

    /// <summary>The linear problem stepped with constant steps of a tableau instead of adaptive dopri5.</summary>
    public static JsonObject LinearConstantSteps(string solver, int dim, int steps, int batch)
    {
        var problem = Linear(dim, steps, batch);
        problem.Remove("rtol");
        problem.Remove("atol");
        problem["solver"] = solver;
        return problem;
    }

    /// <summary>The matrix of a JSON array of arrays.</summary>
    public static double[,] Matrix(JsonNode node)
    {
        var rows = node.AsArray();
        int cols = rows[0]!.AsArray().Count;
        var m = new double[rows.Count, cols];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < cols; j++) m[i, j] = rows[i]![j]!.GetValue<double>();
        return m;
    }
}

using RobustNode.Core.Tableaux;
using RobustNode.Solvers.Control;

namespace RobustNode.Solvers;

/// <summary>Named schemes and the usual ways of stepping them.</summary>
public static class SolverCatalog
{
    /// <summary>The built-in tableaux by name (euler, midpoint, heun, ralston, kutta3, ssprk3, rk4, rk38, bosh3, dopri5, tsit5).</summary>
    public static IReadOnlyDictionary<string, ButcherTableau> BuiltIn { get; } =
        Tableaux.All.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>m equal steps per layer (m = 1: one step per layer, the ResNet view), at most <paramref name="maxSteps"/> steps per solve.</summary>
    public static OdeSolver Fixed(ButcherTableau tableau, int stepsPerLayer = 1, int maxSteps = ConstantSteps.DefaultMaxSteps) =>
        new(tableau, ConstantSteps.PerLayer(stepsPerLayer) with { MaxSteps = maxSteps });

    /// <summary>Adaptive steps with the PI controller.</summary>
    public static OdeSolver Adaptive(ButcherTableau tableau, double rtol = 1e-6, double atol = 1e-8) =>
        new(tableau, new PIController(rtol, atol));
}

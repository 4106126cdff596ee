using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Tableaux;
using RobustNode.Solvers;
using RobustNode.Solvers.Control;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Configuration;

/// <summary>How a named tableau is stepped: m constant steps per layer, or adaptive steps with tolerances.</summary>
/// <param name="Name">Tableau name, as known to the <see cref="SolverRegistry"/>.</param>
/// <param name="StepsPerLayer">Equal steps on each layer (constant steps only).</param>
/// <param name="Adaptive">Adaptive steps with the PI controller (needs an embedded tableau).</param>
/// <param name="RelativeTolerance">rtol of the adaptive controller.</param>
/// <param name="AbsoluteTolerance">atol of the adaptive controller.</param>
internal sealed record SolverChoice(string Name, int StepsPerLayer, bool Adaptive, double RelativeTolerance, double AbsoluteTolerance);

/// <summary>
/// The one place where the host maps solver names to schemes: the built-in tableaux of
/// <see cref="SolverCatalog.BuiltIn"/> plus the validated user tableaux of the <c>Tableaux</c> section.
/// Names are case-insensitive. A DI singleton.
/// </summary>
internal sealed class SolverRegistry
{
    private readonly Dictionary<string, ButcherTableau> _tableaux;

    /// <summary>A registry of the built-ins and the given (already validated) user tableaux.</summary>
    public SolverRegistry(IEnumerable<ButcherTableau> userTableaux)
    {
        _tableaux = new Dictionary<string, ButcherTableau>(SolverCatalog.BuiltIn, StringComparer.OrdinalIgnoreCase);
        foreach (var t in userTableaux) _tableaux.Add(t.Name, t);
        Names = _tableaux.Keys.ToArray();
    }

    /// <summary>Every known name: the built-ins first, then the user tableaux in file order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The tableau of that name, if known.</summary>
    public Option<ButcherTableau> Find(string name) => _tableaux.TryGetValue(name, out var t) ? Some(t) : None;

    /// <summary>The tableau of that name, or an error made by <paramref name="at"/> from "unknown solver 'x'; known: …".</summary>
    public Validation<Error, ButcherTableau> Resolve(string name, Func<string, Error> at) =>
        Find(name).Match(
            Some: Success<Error, ButcherTableau>,
            None: () => Fail<Error, ButcherTableau>(at($"unknown solver '{name}'; known: {string.Join(", ", Names)}")));

    /// <summary>The names of the tableaux that carry an error estimate and can take adaptive steps.</summary>
    public IEnumerable<string> AdaptiveNames => _tableaux.Values.Where(t => t.IsAdaptive).Select(t => t.Name);

    /// <summary>The solver for a choice: constant steps per layer, or the PI controller with the choice's tolerances.</summary>
    public Validation<Error, OdeSolver> Create(SolverChoice choice, int maxSteps, Func<string, Error> at) =>
        Resolve(choice.Name, at).Bind(tableau => (choice.Adaptive
                ? new OdeSolver(tableau, new PIController(choice.RelativeTolerance, choice.AbsoluteTolerance, MaxSteps: maxSteps))
                : SolverCatalog.Fixed(tableau, choice.StepsPerLayer, maxSteps))
            .Validate());
}

using Xunit;

namespace RobustNode.Tests.Solvers;

/// <summary>
/// A fact that needs the SciPy oracle: reported as skipped, with the reason, where Debian's
/// /usr/bin/python3 or its SciPy is missing (xunit 2 decides skips when it discovers tests).
/// </summary>
public sealed class OracleFactAttribute : FactAttribute
{
    public OracleFactAttribute()
    {
        if (!SciPyOracle.Available) Skip = "SciPy oracle unavailable: " + SciPyOracle.WhyUnavailable;
    }
}

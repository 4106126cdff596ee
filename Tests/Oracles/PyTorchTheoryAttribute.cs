using Xunit;

namespace RobustNode.Tests.Oracles;

/// <summary>
/// A theory that needs the PyTorch oracle (<see cref="PyTorchFactAttribute.Python"/> with <c>torch</c>); skipped with the
/// same message as <see cref="PyTorchFactAttribute"/> where it is missing.
/// </summary>
public sealed class PyTorchTheoryAttribute : TheoryAttribute
{
    public PyTorchTheoryAttribute()
    {
        if (PyTorchFactAttribute.Missing.Value is { } reason) Skip = reason;
    }
}

using LanguageExt.Common;

namespace RobustNode.Benchmarks;

/// <summary>How a benchmark verb reports invalid options: every problem on stderr under the verb's name, exit code 2, nothing measured.</summary>
internal static class Usage
{
    public const int InvalidInput = 2;

    public static Func<Error, int> Invalid(string verb) => error =>
    {
        Console.Error.WriteLine($"robustnode-benchmarks {verb}: {error.Message}");
        return InvalidInput;
    };
}

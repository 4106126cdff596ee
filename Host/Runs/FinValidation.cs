using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace RobustNode.Host.Runs;

/// <summary>The library's <see cref="Fin{A}"/> results as the shell's applicative <see cref="Validation{FAIL, SUCCESS}"/>.</summary>
internal static class FinValidation
{
    /// <summary>The same outcome as a validation (one error on failure).</summary>
    public static Validation<Error, T> ToValidation<T>(this Fin<T> fin) =>
        fin.Match(Succ: Success<Error, T>, Fail: e => Fail<Error, T>(e));
}

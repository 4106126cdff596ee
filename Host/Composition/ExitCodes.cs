namespace RobustNode.Host.Composition;

/// <summary>The process exit codes of <c>robustnode</c>.</summary>
internal static class ExitCodes
{
    /// <summary>The verb did its work.</summary>
    public const int Success = 0;
    /// <summary>An unexpected failure (a bug): the message and stack trace are on stderr.</summary>
    public const int InternalError = 1;
    /// <summary>Invalid command line, configuration or input file; nothing was written.</summary>
    public const int InvalidInput = 2;
    /// <summary>The computation failed (non-finite state, step-size underflow, too many steps); nothing was written.</summary>
    public const int ComputationFailed = 3;
}

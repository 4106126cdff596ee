using RobustNode.Host.Composition;

namespace RobustNode.Host.Sweeps;

/// <summary>
/// Ties a process's life to its standard input: when the input reaches its end — the pipe of the <c>sweep</c> that
/// started this run closed because the sweep stopped, even by <c>kill -9</c> — the process stops, as a killed run
/// would, and leaves its checkpoints for <c>--resume</c>. Without it an orphaned run would go on beside the run that a
/// resumed sweep starts in the same folder.
/// </summary>
internal static class StandardInputLifeline
{
    /// <summary>Watches standard input on a background thread and ends the process when it closes.</summary>
    public static void Start(HostConsole console, string verb)
    {
        var thread = new Thread(() =>
        {
            try
            {
                using var input = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (input.Read(buffer, 0, buffer.Length) > 0) { }
            }
            catch (IOException) { }
            try
            {
                console.Error.WriteLine($"robustnode {verb}: standard input closed (the sweep that started this run stopped); stopping");
            }
            catch (IOException)
            {
                // The sweep held the other end of standard error too.
            }
            Environment.Exit(ExitCodes.ComputationFailed);
        })
        { IsBackground = true, Name = "standard input lifeline" };
        thread.Start();
    }
}

using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using RobustNode.Host.Composition;

namespace RobustNode.Host.Sweeps;

/// <summary>How a child run ended.</summary>
/// <param name="Run">The run.</param>
/// <param name="ExitCode">The child's exit code (128 + n when a signal n ended it).</param>
/// <param name="Log">The file holding the child's standard output and error.</param>
/// <param name="Tail">The child's last lines, for the message of a failure.</param>
internal sealed record ChildOutcome(SweepRun Run, int ExitCode, string Log, IReadOnlyList<string> Tail)
{
    /// <summary>The exit code in words.</summary>
    public string Describe() => ExitCode > 128
        ? string.Create(CultureInfo.InvariantCulture, $"stopped by signal {ExitCode - 128}")
        : string.Create(CultureInfo.InvariantCulture, $"exit code {ExitCode}");
}

/// <summary>
/// Runs a sweep's runs as child processes of <c>robustnode train</c>, at most <c>jobs</c> at once, each child's output
/// appended to <c>train.log</c> in its run folder. A child's standard input is a pipe that only this process holds:
/// when this process ends, however it ends, the pipe closes and the children stop (<c>--exit-on-eof</c>).
/// </summary>
internal sealed class ChildRuns(ProgramInvocation invocation, ILogger log)
{
    /// <summary>Lines of a child's output kept for its failure message.</summary>
    private const int TailLines = 12;

    /// <summary>Runs every child and returns how each ended, in the order given.</summary>
    public IReadOnlyList<ChildOutcome> Run(IReadOnlyList<(SweepRun Run, IReadOnlyList<string> Arguments)> children, int jobs)
    {
        var outcomes = new ChildOutcome?[children.Count];
        var running = new List<(int Index, Task<ChildOutcome> Task)>();
        int next = 0, done = 0;
        while (done < children.Count)
        {
            while (running.Count < jobs && next < children.Count)
            {
                int index = next++;
                running.Add((index, Start(children[index].Run, children[index].Arguments)));
            }
            int finished = Task.WaitAny(running.Select(r => (Task)r.Task).ToArray());
            var (i, task) = running[finished];
            running.RemoveAt(finished);
            outcomes[i] = task.Result;
            done++;
            var o = outcomes[i]!;
            if (o.ExitCode == 0)
                log.LogInformation("{Run}: finished ({Done} of {Count} runs done)", o.Run.Label, done, children.Count);
            else
                log.LogWarning("{Run}: failed, {Exit}; its output is in {Log}", o.Run.Label, o.Describe(), o.Log);
        }
        return outcomes.Select(o => o!).ToArray();
    }

    private Task<ChildOutcome> Start(SweepRun run, IReadOnlyList<string> arguments)
    {
        var logPath = Path.Combine(run.Folder, "train.log");
        try
        {
            return Started(run, arguments, logPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            // The run could not start (its folder cannot be written, the program cannot be executed): a failed run.
            return Task.FromResult(new ChildOutcome(run, ExitCodes.InvalidInput, logPath, [$"cannot start the run: {ex.Message}"]));
        }
    }

    private Task<ChildOutcome> Started(SweepRun run, IReadOnlyList<string> arguments, string logPath)
    {
        Directory.CreateDirectory(run.Folder);
        // Appended by path, line by line: the child replaces its run folder when it publishes its results
        // (RunPublication), so a handle kept open across that would write into the replaced folder.
        var writer = new PathAppender(logPath);
        var tail = new Queue<string>();
        var gate = new object();
        void Line(string? line)
        {
            if (line is null) return;
            lock (gate)
            {
                writer.WriteLine(line);
                tail.Enqueue(line);
                if (tail.Count > TailLines) tail.Dequeue();
            }
        }
        var start = invocation.StartInfo(arguments);
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"== {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} UTC: robustnode {string.Join(' ', arguments)}"));
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        var clock = Stopwatch.StartNew();
        try
        {
            process.Start();
        }
        catch
        {
            writer.Dispose();
            process.Dispose();
            throw;
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        log.LogInformation("{Run}: started process {Pid} in {Folder}", run.Label, process.Id, run.Folder);
        return process.WaitForExitAsync().ContinueWith(_ =>
        {
            process.WaitForExit();   // drains the asynchronous output
            int code = process.ExitCode;
            string[] lines;
            lock (gate)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== exit code {code} after {clock.Elapsed.TotalSeconds:F1} s"));
                writer.Dispose();
                lines = tail.ToArray();
            }
            process.StandardInput.Dispose();
            process.Dispose();
            return new ChildOutcome(run, code, logPath, lines);
        }, TaskScheduler.Default);
    }
}

/// <summary>A text log appended by path, one line at a time, so that it follows its folder when the folder is replaced.</summary>
internal sealed class PathAppender(string path) : IDisposable
{
    public void WriteLine(string line) => File.AppendAllText(path, line + Environment.NewLine);

    public void Dispose() { }
}

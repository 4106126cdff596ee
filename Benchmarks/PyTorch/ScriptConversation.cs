using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RobustNode.Benchmarks.PyTorch;

/// <summary>
/// A script of Benchmarks/oracles/ kept running for a conversation of JSON lines: the request is the first line, each
/// later line a command, each answer one line (the scripts' <c>--rounds</c> mode). It lets the .NET side and the PyTorch
/// side take turns at timing, so that both meet the machine's load of the same moments.
/// </summary>
internal sealed class ScriptConversation : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _error;
    private readonly string _path;
    private readonly TimeSpan _timeout;

    private ScriptConversation(Process process, string path, TimeSpan timeout)
    {
        (_process, _path, _timeout) = (process, path, timeout);
        _error = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts the script with <c>--rounds</c> and sends the request; <see cref="Answer"/> reads the first answer.</summary>
    public static ScriptConversation Start(string script, JsonObject request, int threads, TimeSpan? timeout = null)
    {
        var path = PyTorchScript.Path(script);
        var process = Process.Start(PyTorchScript.StartInfo([path, "--rounds"], threads))!;
        var conversation = new ScriptConversation(process, path, timeout ?? TimeSpan.FromHours(2));
        conversation.Send(request.ToJsonString());
        return conversation;
    }

    /// <summary>Sends one line.</summary>
    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Reads the next answer; a script that ends or stops answering is an error naming it and its last words.</summary>
    public JsonNode Answer()
    {
        var line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(_timeout)) throw new TimeoutException($"{PyTorchScript.Python} {_path} did not answer within {_timeout}");
        if (line.Result is not { } text)
        {
            _process.WaitForExit(10_000);
            throw new InvalidOperationException($"{PyTorchScript.Python} {_path} ended without answering: {(_error.IsCompleted ? _error.Result.Trim() : "")}");
        }
        try
        {
            return JsonNode.Parse(text) ?? throw new JsonException("empty answer");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{PyTorchScript.Python} {_path} answered no JSON ({e.Message}): {text[..Math.Min(text.Length, 500)]}");
        }
    }

    /// <summary>Sends <paramref name="line"/>, reads the last answer and waits for the script to end.</summary>
    public JsonNode Close(string line)
    {
        Send(line);
        var answer = Answer();
        _process.StandardInput.Close();
        if (!_process.WaitForExit(_timeout)) throw new TimeoutException($"{PyTorchScript.Python} {_path} did not end within {_timeout}");
        if (_process.ExitCode != 0) throw new InvalidOperationException($"{PyTorchScript.Python} {_path} failed (exit {_process.ExitCode}): {_error.Result.Trim()}");
        return answer;
    }

    /// <summary>Ends the script if it still runs (a conversation broken off by an error).</summary>
    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}

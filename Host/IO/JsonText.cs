using System.Text.Json;

namespace RobustNode.Host.IO;

/// <summary>
/// JSON text as the program reads it (comments and trailing commas allowed), with the two failures System.Text.Json
/// leaves to its caller made into messages: a syntax error with its line and column, and a string that is not valid
/// Unicode (a lone UTF-16 surrogate escape such as <c>"\ud800"</c>, which <see cref="JsonElement.GetString"/> refuses
/// with an exception) with its JSON path.
/// </summary>
internal static class JsonText
{
    /// <summary>The options of every JSON input: comments skipped, trailing commas allowed.</summary>
    public static JsonDocumentOptions Options { get; } = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>"line L, column C: reason" for a syntax error (1-based, column in bytes of the line).</summary>
    public static string Where(JsonException ex)
    {
        var message = ex.Message;
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        return ex.LineNumber is { } line
            ? $"line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}: {message.TrimEnd('.', ' ')}"
            : message;
    }

    /// <summary>The JSON paths of the strings (values or property names) that are not valid Unicode, at most <paramref name="max"/>.</summary>
    public static IReadOnlyList<string> InvalidStrings(JsonElement root, int max = 20)
    {
        var found = new List<string>();
        void Visit(JsonElement e, string path)
        {
            if (found.Count >= max) return;
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    if (!Decodes(e)) found.Add(path);
                    break;
                case JsonValueKind.Array:
                    int i = 0;
                    foreach (var item in e.EnumerateArray()) Visit(item, $"{path}[{i++}]");
                    break;
                case JsonValueKind.Object:
                    int k = 0;
                    foreach (var property in e.EnumerateObject())
                    {
                        string name;
                        try { name = property.Name; }
                        catch (InvalidOperationException) { found.Add($"{path} (the name of property {k})"); k++; continue; }
                        Visit(property.Value, $"{path}.{Escaped(name)}");
                        k++;
                    }
                    break;
            }
        }
        Visit(root, "$");
        return found;
    }

    private static bool Decodes(JsonElement e)
    {
        try
        {
            _ = e.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string Escaped(string name) => name.Length > 60 ? name[..60] + "…" : name;

    /// <summary>The message for a string that is not valid Unicode.</summary>
    public const string InvalidStringReason = "the string is not valid Unicode (a lone UTF-16 surrogate escape such as \\ud800)";
}

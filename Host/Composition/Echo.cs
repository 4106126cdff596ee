using System.Globalization;
using System.Text;

namespace RobustNode.Host.Composition;

/// <summary>
/// User input as it may appear in a message: control characters, bidirectional overrides, line separators and lone
/// surrogates escaped as <c>\uXXXX</c> (a message cannot rewrite the terminal or reorder its own text), and long
/// text cut with the number of characters left out (a 50 MB solver name does not put 50 MB on stderr).
/// </summary>
internal static class Echo
{
    /// <summary>Longest quoted value in a message.</summary>
    public const int ValueLength = 80;

    /// <summary>Longest message line.</summary>
    public const int LineLength = 2000;

    /// <summary>The text in single quotes, escaped and cut to <paramref name="max"/> characters.</summary>
    public static string Quote(string? text, int max = ValueLength) => $"'{Clip(text ?? "", max)}'";

    /// <summary>The text escaped and cut to <paramref name="max"/> characters.</summary>
    public static string Clip(string text, int max = ValueLength * 3)
    {
        var builder = new StringBuilder(Math.Min(text.Length, max) + 16);
        int i = 0;
        for (; i < text.Length && builder.Length < max; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
                continue;
            }
            if (NeedsEscape(c)) builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else builder.Append(c);
        }
        if (i < text.Length) builder.Append($"… ({(text.Length - i).ToString(CultureInfo.InvariantCulture)} more characters)");
        return builder.ToString();
    }

    /// <summary>A whole message line made safe for a terminal: escaped, cut to <see cref="LineLength"/>.</summary>
    public static string Line(string text) => Clip(text, LineLength);

    /// <summary>True for characters a message must not print raw.</summary>
    public static bool NeedsEscape(char c) =>
        c < 0x20 || (c >= 0x7f && c <= 0x9f) || char.IsSurrogate(c)
        || c is '\u061c' or '\u200e' or '\u200f' or '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');
}

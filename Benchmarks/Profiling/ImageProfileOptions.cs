using System.Globalization;
using LanguageExt;
using LanguageExt.Common;
using static LanguageExt.Prelude;

namespace RobustNode.Benchmarks.Profiling;

/// <summary>
/// The options of <c>image-profile</c>: the network (N ODE layers, batch, width), the thread counts compared, whether to
/// run the PyTorch side, and <c>--quick</c> (a smoke test: minimal timing, numbers without meaning).
/// </summary>
internal sealed record ImageProfileOptions(int Layers, int Batch, int Width, int[] Threads, bool Quick, bool PyTorch, string? Output)
{
    public const string Usage = "--layers 6 --batch 64 --width 64 --threads 1,2 --quick --no-pytorch --out PAGE.md";

    public static Fin<ImageProfileOptions> Parse(string[] args)
    {
        var errors = new List<string>();
        var o = new ImageProfileOptions(6, 64, 64, [1, 2], false, true, null);
        for (int i = 0; i < args.Length; i++)
        {
            string option = args[i];
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            int[] Counts(int minimum)
            {
                i++;
                var parsed = (value ?? "").Split(',', StringSplitOptions.TrimEntries)
                    .Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= minimum ? n : -1).ToArray();
                if (value is null || parsed.Contains(-1))
                {
                    errors.Add($"{option}: expected {(option == "--threads" ? "a comma-separated list of integers" : "an integer")} ≥ {minimum}, got '{value ?? "nothing"}'");
                    return [minimum];
                }
                return parsed.Distinct().ToArray();
            }
            switch (option)
            {
                case "--layers": o = o with { Layers = Counts(1)[0] }; break;
                case "--batch": o = o with { Batch = Counts(1)[0] }; break;
                case "--width": o = o with { Width = Counts(4)[0] }; break;
                case "--threads": o = o with { Threads = Counts(1) }; break;
                case "--quick": o = o with { Quick = true }; break;
                case "--no-pytorch": o = o with { PyTorch = false }; break;
                case "--out":
                    i++;
                    if (value is null) errors.Add("--out: expected a markdown file name");
                    else o = o with { Output = value };
                    break;
                default: errors.Add($"unknown option '{option}'; options: {Usage}"); break;
            }
        }
        if (o.Width % 4 != 0) errors.Add($"--width: must be a multiple of 4 (the stem has width/4 and width/2 channels), got {o.Width}");
        return errors.Count > 0 ? FinFail<ImageProfileOptions>(Error.New(string.Join(Environment.NewLine, errors))) : FinSucc(o);
    }
}

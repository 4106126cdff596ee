using System.Security.Cryptography;
using System.Text;
using RobustNode.Training.Data;
using RobustNode.Training.Models;
using RobustNode.Training.Trainers;

namespace RobustNode.Training.Checkpoints;

/// <summary>
/// The configuration a checkpoint belongs to, as ordered key–value pairs in canonical text (invariant culture,
/// round-trip numbers): model, data, objective, optimizer, schedule, batch size, seeds. A checkpoint restores only
/// into a run with an equal fingerprint, and a mismatch names every differing key.
/// </summary>
public sealed class ConfigurationFingerprint : IEquatable<ConfigurationFingerprint>
{
    /// <summary>The entries in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Entries { get; }

    /// <summary>The canonical text: one "key=value" line per entry.</summary>
    public string Text { get; }

    /// <summary>SHA-256 of the canonical text, lower-case hex (a short identity for file names and logs).</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Text)));

    /// <summary>The fingerprint of the given entries, in the given order.</summary>
    /// <param name="entries">Keys and canonical values, in canonical order.</param>
    public ConfigurationFingerprint(IEnumerable<KeyValuePair<string, string>> entries)
    {
        Entries = entries.ToArray();
        Text = string.Concat(Entries.Select(e => $"{e.Key}={e.Value}\n"));
    }

    /// <summary>The fingerprint of a point-cloud run: model configuration and initialisation seed, data set, training options.</summary>
    public static ConfigurationFingerprint For(PointCloudModel model, long modelSeed, Dataset data, TrainingOptions options) =>
        new([
            new("model", model.Describe()),
            new("model.seed", modelSeed.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("data", data.Name),
            .. options.Describe(),
        ]);

    /// <summary>The differing entries, as "key: 'this' vs 'other'" (keys present in only one side included).</summary>
    public IReadOnlyList<string> Differences(ConfigurationFingerprint other)
    {
        var mine = Entries.ToDictionary(e => e.Key, e => e.Value);
        var theirs = other.Entries.ToDictionary(e => e.Key, e => e.Value);
        return mine.Keys.Union(theirs.Keys)
            .Where(k => !mine.TryGetValue(k, out var a) || !theirs.TryGetValue(k, out var b) || a != b)
            .Select(k => $"{k}: '{(mine.TryGetValue(k, out var a) ? a : "(absent)")}' vs '{(theirs.TryGetValue(k, out var b) ? b : "(absent)")}'")
            .ToArray();
    }

    /// <inheritdoc/>
    public bool Equals(ConfigurationFingerprint? other) => other is not null && Text == other.Text;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ConfigurationFingerprint);
    /// <inheritdoc/>
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);
    /// <inheritdoc/>
    public override string ToString() => Text;
}

using System.Text.Json;
using RobustNode.Host.Runs;

namespace RobustNode.Host.Reports;

/// <summary>
/// <c>report.json</c>: <c>run</c>, <c>experiment</c>, <c>finished</c>, <c>data</c>, <c>model</c> (description, engine, parameters), <c>evaluation</c>
/// (norm, epsilons), <c>trainers</c> (name, objective, epochs, resumedFrom, secondsPerEpoch {median, mean}, totalSeconds,
/// cleanAccuracy, robustness [{attack, points [{epsilon, accuracy}]}], model, history), <c>timing</c>
/// (medianSecondsPerEpoch per trainer, <c>augmentedOverStandard</c>, <c>pgdOverStandard</c>), <c>settings</c>,
/// <c>configuration</c> and <c>plots</c>.
/// </summary>
public static class ReportJson
{
    /// <summary>The report as indented UTF-8 JSON.</summary>
    public static byte[] Write(RunReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("run", report.Run);
            json.WriteString("experiment", report.Experiment);
            json.WriteString("finished", report.Finished.ToString("O"));
            json.WriteStartObject("data");
            json.WriteString("train", report.TrainData);
            json.WriteNumber("trainCount", report.TrainCount);
            json.WriteString("test", report.TestData);
            json.WriteNumber("testCount", report.TestCount);
            json.WriteNumber("classes", report.Classes);
            json.WriteEndObject();
            json.WriteStartObject("model");
            json.WriteString("description", report.Model);
            json.WriteString("engine", report.Engine);
            json.WriteNumber("parameters", report.Parameters);
            json.WriteEndObject();
            json.WriteStartObject("evaluation");
            json.WriteString("norm", report.Norm);
            json.WriteStartArray("epsilons");
            foreach (var e in report.Epsilons) json.WriteNumberValue(e);
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartArray("trainers");
            foreach (var t in report.Trainers) WriteTrainer(json, t);
            json.WriteEndArray();
            json.WriteStartObject("timing");
            json.WriteStartObject("medianSecondsPerEpoch");
            foreach (var t in report.Trainers) Number(json, t.Name, t.MedianEpochSeconds);
            json.WriteEndObject();
            foreach (var name in new[] { "augmented", "pgd" })
                if (report.TimeRatio(name) is { } ratio) json.WriteNumber($"{name}OverStandard", Math.Round(ratio, 4));
            json.WriteEndObject();
            Pairs(json, "settings", report.Settings);
            Pairs(json, "configuration", report.Configuration);
            json.WriteStartArray("plots");
            foreach (var p in report.Plots) json.WriteStringValue(p);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteTrainer(Utf8JsonWriter json, TrainerReport t)
    {
        json.WriteStartObject();
        json.WriteString("name", t.Name);
        json.WriteString("objective", t.Objective);
        json.WriteNumber("epochs", t.Epochs);
        json.WriteNumber("resumedFrom", t.ResumedFrom);
        json.WriteStartObject("secondsPerEpoch");
        Number(json, "median", t.MedianEpochSeconds);
        Number(json, "mean", t.MeanEpochSeconds);
        json.WriteEndObject();
        json.WriteNumber("totalSeconds", Math.Round(t.TotalSeconds, 3));
        json.WriteNumber("cleanAccuracy", t.Scores.CleanAccuracy);
        WriteCurves(json, "robustness", t.Scores.Curves);
        json.WriteString("model", t.ModelFile);
        json.WriteStartArray("history");
        foreach (var m in t.History) EpochHistory.WriteEpoch(json, m);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Writes accuracy-versus-ε curves: [{ "attack", "points": [{ "epsilon", "accuracy" }] }].</summary>
    public static void WriteCurves(Utf8JsonWriter json, string name, IReadOnlyList<AttackCurve> curves)
    {
        json.WriteStartArray(name);
        foreach (var c in curves)
        {
            json.WriteStartObject();
            json.WriteString("attack", c.Attack);
            if (c.SubsetSize is { } n) json.WriteNumber("testSamples", n);
            json.WriteStartArray("points");
            foreach (var p in c.Points)
            {
                json.WriteStartObject();
                json.WriteNumber("epsilon", p.Epsilon);
                json.WriteNumber("accuracy", p.Accuracy);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, Math.Round(value, 5));
        else json.WriteNull(name);
    }

    private static void Pairs(Utf8JsonWriter json, string name, IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        json.WriteStartObject(name);
        foreach (var (k, v) in pairs) json.WriteString(k, v);
        json.WriteEndObject();
    }
}

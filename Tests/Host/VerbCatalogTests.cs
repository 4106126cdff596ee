using Microsoft.Extensions.DependencyInjection;
using RobustNode.Host.Composition;
using RobustNode.Host.Verbs;
using Xunit;

namespace RobustNode.Tests.Host;

[Collection(nameof(Collections.LibtorchThreadCount))]
public class VerbCatalogTests
{
    /// <summary>A verb as a later one would be written: a descriptor and a Run, dependencies by constructor.</summary>
    private sealed class EchoVerb(HostConsole console) : IVerb
    {
        public static VerbDescriptor Descriptor { get; } = new("echo", "prints its option", [new VerbOption("text", "TEXT", "what to print", Required: true)]);

        public int Run(VerbArguments arguments)
        {
            console.Out.Write(arguments["text"]);
            return ExitCodes.Success;
        }
    }

    [Fact]
    public void A_verb_plugs_in_as_one_class_resolved_by_name()
    {
        var catalog = new VerbCatalog().Add<EchoVerb>();
        var output = new StringWriter();
        var services = catalog.Register(new ServiceCollection().AddSingleton(new HostConsole(output, TextWriter.Null))).BuildServiceProvider();

        var line = CommandLine.Parse(["echo", "--text", "hello"]).Match(c => c, e => throw new Xunit.Sdk.XunitException(e.Head.Message));
        var descriptor = catalog.Find(line.Verb!).Match(d => d, () => throw new Xunit.Sdk.XunitException("not found"));
        var arguments = line.ArgumentsFor(descriptor).Match(a => a, e => throw new Xunit.Sdk.XunitException(e.Head.Message));

        Assert.Equal(ExitCodes.Success, VerbCatalog.Resolve(services, "echo").Run(arguments));
        Assert.Equal("hello", output.ToString());
        Assert.Contains("echo", catalog.Usage());
        Assert.Contains("--text TEXT", catalog.Usage());
    }

    [Fact]
    public void Two_verbs_cannot_share_a_name() =>
        Assert.Throws<InvalidOperationException>(() => new VerbCatalog().Add<EchoVerb>().Add<EchoVerb>());

    [Fact]
    public void Every_registered_verb_can_be_constructed()
    {
        using var folder = new TempFolder();
        // ValidateOnBuild in the composition root fails the start-up when a verb's dependency is missing;
        // --help runs without it, so solve (which builds the container) is the check.
        var run = Robustnode.Run(folder, ["solve", "--problem", folder.Write("p.json", ProblemSamples.NodeTanh().ToJsonString()), "--out", folder.File("o.json")]);
        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("solve", CompositionRoot.Verbs.Descriptors.Select(d => d.Name));
    }

    [Fact]
    public void The_usage_names_train_as_the_default_verb()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["--help"]);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.StartsWith("robustnode — ", run.Out);
        Assert.Contains("usage: robustnode <verb>", run.Out);
        Assert.Contains("Without a verb, robustnode runs 'train'.", run.Out);
        foreach (var verb in new[] { "train", "evaluate", "attack", "solve", "sensitivity" })
            Assert.Contains(verb, CompositionRoot.Verbs.Descriptors.Select(d => d.Name));
    }

    [Fact]
    public void Help_prints_the_usage()
    {
        using var folder = new TempFolder();
        foreach (var args in new[] { new[] { "--help" }, ["help"], ["solve", "-h"] })
        {
            var run = Robustnode.Run(folder, args);
            Assert.Equal(ExitCodes.Success, run.ExitCode);
            Assert.Contains("--problem FILE.json", run.Out);
        }
    }

    [Fact]
    public void An_unknown_verb_exits_with_2()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["slove"]);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("robustnode: unknown verb 'slove'; known: train, sweep, evaluate, attack, certify, solve, sensitivity", run.Error);
    }

    [Fact]
    public void Options_are_checked_against_the_verb()
    {
        using var folder = new TempFolder();
        var run = Robustnode.Run(folder, ["solve", "--problme", "x.json", "--out"]);

        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("--problme: unknown option of 'solve'; known: --problem, --out", run.Error);
        Assert.Contains("--out: needs a value: --out RESULT.json", run.Error);
        Assert.Contains("--problem: required by 'solve': --problem FILE.json", run.Error);
    }

    [Fact]
    public void The_command_line_separates_verb_options_and_overrides()
    {
        var line = CommandLine.Parse(["solve", "--problem", "p.json", "--Solver:Name", "dopri5", "--Torch:Threads=1", "--out=o.json"])
            .Match(c => c, e => throw new Xunit.Sdk.XunitException(e.Head.Message));

        Assert.Equal("solve", line.Verb);
        Assert.Equal(["--Solver:Name=dopri5", "--Torch:Threads=1"], line.Overrides);
        Assert.Equal([("problem", (string?)"p.json"), ("out", "o.json")], line.Options);
    }

    [Fact]
    public void Stray_words_are_refused()
    {
        var errors = CommandLine.Parse(["solve", "p.json", "-x", "--Solver:Name"]).Match(_ => [], e => e.Map(x => x.Message).ToArray());
        Assert.Equal(
        [
            "p.json: unexpected argument; options are written --name value",
            "-x: unexpected argument; options are written --name value",
            "--Solver:Name: a configuration override needs a value: --Section:Key=value",
        ], errors);
    }
}

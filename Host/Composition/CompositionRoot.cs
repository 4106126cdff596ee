using LanguageExt;
using LanguageExt.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RobustNode.Core.Engines.Managed;
using RobustNode.Host.Configuration;
using RobustNode.Host.Problems;
using RobustNode.Host.Sweeps;
using RobustNode.Host.Verbs;

namespace RobustNode.Host.Composition;

/// <summary>
/// The composition root: command line → configuration → validated settings → DI container → verb.
/// Everything that can be wrong with the input is reported before any computation starts.
/// </summary>
internal static class CompositionRoot
{
    /// <summary>Every verb of <c>robustnode</c>. A new verb is one class and one line here.</summary>
    public static VerbCatalog Verbs { get; } = new VerbCatalog()
        .Add<TrainVerb>()
        .Add<SweepVerb>()
        .Add<EvaluateVerb>()
        .Add<AttackVerb>()
        .Add<CertifyVerb>()
        .Add<SolveVerb>()
        .Add<SensitivityVerb>()
        .Add<TrainDenoiserVerb>()
        .Add<PnpVerb>();

    /// <summary>Every engine of <c>robustnode</c>, by name (<c>Engine:Name</c>, <c>Model:Engine</c>, <c>"engine"</c> of problem files). A new engine is one line here.</summary>
    public static EngineCatalog Engines { get; } = new EngineCatalog()
        .AddTorch()
        .Add(EngineCatalog.Managed, convolutions: false, r => r.DType == TorchSharp.torch.ScalarType.Float32 ? EngineChoice.Of(new ManagedEngine<float>(r.Threads)) : EngineChoice.Of(new ManagedEngine<double>(r.Threads)));

    /// <summary>Runs <c>robustnode</c> with the given arguments and returns its exit code.</summary>
    public static int Run(IReadOnlyList<string> args, HostContext context)
    {
        try
        {
            return CommandLine.Parse(Verbs, args).Match(
                Right: commandLine => Run(commandLine, context),
                Left: refusal => Refused(refusal, context));
        }
        catch (Exception ex)
        {
            context.Console.Error.WriteLine($"robustnode: internal error: {Echo.Clip(ex.ToString(), 20_000)}");
            return ExitCodes.InternalError;
        }
    }

    private static int Run(CommandLine commandLine, HostContext context)
    {
        if (commandLine.Help is { } help)
        {
            help(context.Console.Out);
            return ExitCodes.Success;
        }
        return Run(commandLine.Verb!, commandLine.Arguments, commandLine.ConfigFile, commandLine.Overrides, context);
    }

    private static int Refused(CommandLine.Refusal refusal, HostContext context)
    {
        if (refusal.UnknownVerb)
        {
            foreach (var problem in refusal.Problems) context.Console.Problem(problem.Message);
            context.Console.Error.Write(Verbs.Usage());
            return ExitCodes.InvalidInput;
        }
        var headline = refusal.Verb is { } verb ? $"robustnode {verb.Name}: invalid command line" : "robustnode: invalid command line";
        return Invalid(context, headline, refusal.Problems, "run 'robustnode --help' for usage");
    }

    private static int Run(VerbDescriptor verb, VerbArguments arguments, string? configFile, IReadOnlyList<string> overrides, HostContext context)
    {
        var built = ConfigurationSources.Build(context.ContentRoot, configFile, overrides);
        if (built.IsFail) return Invalid(context, "robustnode: invalid settings", built.FailToSeq(), null);
        var configuration = built.SuccessToSeq().Head;
        return HostSettingsValidation.Validate(configuration, context.CudaAvailable, context.Engines ?? Engines).Match(
            Fail: problems => Invalid(context, "robustnode: invalid configuration", problems, null),
            Succ: settings =>
            {
                using var services = BuildServices(configuration, settings, context, overrides, configFile);
                if (settings.Device.FellBackToCpu)
                    services.GetRequiredService<ILoggerFactory>().CreateLogger("RobustNode").LogInformation(DeviceSelection.FallbackMessage);
                settings.Torch.Apply();
                return VerbCatalog.Resolve(services, verb.Name).Run(arguments);
            });
    }

    /// <summary>
    /// The DI container: settings, the solver registry and the engine catalog as singletons, how the program was
    /// invoked, logging, the problem-file parser and the verbs.
    /// </summary>
    public static ServiceProvider BuildServices(IConfiguration configuration, HostSettings settings, HostContext context, IReadOnlyList<string>? overrides = null,
        string? configFile = null)
    {
        var services = new ServiceCollection()
            .AddSingleton(configuration)
            .AddSingleton(new ProgramInvocation(context.ContentRoot, overrides ?? [], configFile))
            .AddSingleton(context.Console)
            .AddSingleton(settings)
            .AddSingleton(settings.Torch)
            .AddSingleton(settings.Solver)
            .AddSingleton(settings.Output)
            .AddSingleton(settings.Solvers)
            .AddSingleton(settings.Experiments)
            .AddSingleton(settings.Engine)
            .AddSingleton(context.Engines ?? Engines)
            .AddSingleton<ProblemFileParser>()
            .AddLogging(logging =>
            {
                logging.AddConfiguration(configuration.GetSection("Logging"));
                if (context.ConfigureLogging is { } configure) configure(logging);
                else logging.AddSimpleConsole(o => o.SingleLine = true)
                    .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            });
        Verbs.Register(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static int Invalid(HostContext context, string headline, Seq<Error> problems, string? hint)
    {
        context.Console.Report(headline, problems);
        if (hint is not null) context.Console.Problem(hint);
        return ExitCodes.InvalidInput;
    }
}

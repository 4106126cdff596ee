using LanguageExt;
using LanguageExt.Common;
using RobustNode.Core.Engines;
using TorchSharp;
using static LanguageExt.Prelude;
using static TorchSharp.torch;

namespace RobustNode.Host.Configuration;

/// <summary>What an engine is made for: the element type of the values it will hold, the TorchSharp device (for the TorchSharp engine) and the threads a run may use.</summary>
/// <param name="DType">Float32 or Float64.</param>
/// <param name="Device">The configured device (<c>Torch:Device</c>).</param>
/// <param name="Threads">Threads the computation may use (<c>Torch:Threads</c> or the experiment's <c>Threads</c>).</param>
internal sealed record EngineRequest(ScalarType DType, Device Device, int Threads);

/// <summary>Code that runs on any engine: the host hands it the engine a configuration chose, with its tensor type.</summary>
/// <typeparam name="TResult">What the code returns.</typeparam>
internal interface IEngineUser<out TResult>
{
    /// <summary>Runs on the given engine.</summary>
    TResult Use<T>(IEngine<T> engine);
}

/// <summary>An engine made for a run, behind its tensor type: its name and a way to run generic code on it.</summary>
internal abstract class EngineChoice
{
    /// <summary>The engine's name ("torch", "managed").</summary>
    public abstract string Name { get; }

    /// <summary>Runs <paramref name="user"/> on the engine.</summary>
    public abstract TResult Run<TResult>(IEngineUser<TResult> user);

    /// <summary>An engine as a choice.</summary>
    public static EngineChoice Of<T>(IEngine<T> engine) => new Typed<T>(engine);

    private sealed class Typed<T>(IEngine<T> engine) : EngineChoice
    {
        public override string Name => engine.Name;
        public override TResult Run<TResult>(IEngineUser<TResult> user) => user.Use(engine);
    }
}

/// <summary>
/// The engines the host knows, by name: each with whether it has convolutions (image networks need them) and a factory
/// that makes it for a request. <c>auto</c> chooses for a network: the managed engine for dense fields when it is
/// registered, otherwise — and for convolutional networks always — the first engine with convolutions (torch).
/// A DI singleton; a new engine is one <see cref="Add"/> line in <see cref="Composition.CompositionRoot.Engines"/>.
/// </summary>
internal sealed class EngineCatalog
{
    /// <summary>The name that lets the host choose.</summary>
    public const string Auto = "auto";

    /// <summary>The engine <c>auto</c> prefers for dense fields, when registered.</summary>
    public const string Managed = "managed";

    private readonly List<(string Name, bool Convolutions, Func<EngineRequest, EngineChoice> Create)> _engines = [];

    /// <summary>Registers an engine (names are case-insensitive and unique).</summary>
    public EngineCatalog Add(string name, bool convolutions, Func<EngineRequest, EngineChoice> create)
    {
        if (name.Equals(Auto, StringComparison.OrdinalIgnoreCase) || Find(name) >= 0)
            throw new ArgumentException($"the engine name '{name}' is taken", nameof(name));
        _engines.Add((name, convolutions, create));
        return this;
    }

    /// <summary>The TorchSharp engine: every network, any device.</summary>
    public EngineCatalog AddTorch() => Add(TorchEngine.Instance.Name, convolutions: true, _ => EngineChoice.Of(TorchEngine.Instance));

    /// <summary>The registered engine names, in registration order.</summary>
    public IReadOnlyList<string> Names => _engines.Select(e => e.Name).ToArray();

    /// <summary>What a configuration may name: <c>auto</c> and every registered engine.</summary>
    public string Choices => string.Join(" | ", new[] { Auto }.Concat(Names));

    private int Find(string name) => _engines.FindIndex(e => e.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Checks that a name is <c>auto</c> or a registered engine, naming the key otherwise.</summary>
    public Validation<Error, string> Known(string name, Func<string, Error> at)
    {
        var trimmed = name.Trim();
        if (trimmed.Equals(Auto, StringComparison.OrdinalIgnoreCase)) return Success<Error, string>(Auto);
        int i = Find(trimmed);
        return i >= 0
            ? Success<Error, string>(_engines[i].Name)
            : Fail<Error, string>(at($"unknown engine '{name}'; known: {Choices}"));
    }

    /// <summary>
    /// The engine that runs a network: the named one (which must have convolutions when the network does), or for
    /// <c>auto</c> the managed engine for dense networks when registered, else the first engine with convolutions.
    /// </summary>
    /// <param name="name">auto or an engine name (checked with <see cref="Known"/>).</param>
    /// <param name="convolutional">Whether the network has convolutions.</param>
    /// <param name="at">Makes the error naming the setting.</param>
    public Validation<Error, string> Resolve(string name, bool convolutional, Func<string, Error> at) =>
        Known(name, at).Bind(known =>
        {
            if (known == Auto)
            {
                int managed = Find(Managed);
                if (!convolutional && managed >= 0) return Success<Error, string>(_engines[managed].Name);
                var first = _engines.FindIndex(e => e.Convolutions);
                return first >= 0 ? Success<Error, string>(_engines[first].Name) : Fail<Error, string>(at("no registered engine has convolutions"));
            }
            var engine = _engines[Find(known)];
            return convolutional && !engine.Convolutions
                ? Fail<Error, string>(at($"the engine '{engine.Name}' has no convolutions, which this network needs; use {string.Join(" or ", _engines.Where(e => e.Convolutions).Select(e => e.Name).Append(Auto))}"))
                : Success<Error, string>(engine.Name);
        });

    /// <summary>Makes a registered engine for a request (the name was resolved before); the engine must carry the name it is registered under.</summary>
    public EngineChoice Create(string name, EngineRequest request)
    {
        int i = Find(name);
        if (i < 0) throw new InvalidOperationException($"engine '{name}' was not resolved against the catalog");
        var engine = _engines[i].Create(request);
        if (!engine.Name.Equals(_engines[i].Name, StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"the factory of engine '{_engines[i].Name}' made an engine named '{engine.Name}'");
        return engine;
    }
}

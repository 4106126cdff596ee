using System.Diagnostics;
using System.Text;
using RobustNode.Tests.Host;
using Xunit;
using Xunit.Abstractions;

namespace RobustNode.Tests.Platform;

/// <summary>
/// The libraries as an embedder gets them: Core, Solvers and Sensitivity are packed, a fresh project outside the
/// repository references RobustNode.Sensitivity and TorchSharp-cpu as packages, and it builds and computes a gradient
/// of the loss of a neural ODE. On Debian 12 this works only because the TorchSharp load fix ships in the packages
/// (<c>buildTransitive/RobustNode.Core.targets</c>). No network is used: the restore reads the packed folder and,
/// as a read-only fallback, the machine's NuGet package folder, where the build of this repository put TorchSharp;
/// the test's own packages are extracted into a temporary folder, never into the shared cache. About a minute.
/// </summary>
public sealed class PackagedLibraries(ITestOutputHelper output)
{
    private const string Program = """
        using RobustNode.Core.Fields;
        using RobustNode.Core.Losses;
        using RobustNode.Core.Tableaux;
        using RobustNode.Sensitivity;
        using RobustNode.Sensitivity.Problems;
        using RobustNode.Solvers;
        using static TorchSharp.torch;

        // x' = A x on one layer of [0, 1], square loss against 0: J = mean ½‖x(1)‖², ∇_A J by the discrete adjoint.
        var a = tensor(new[] { -0.5, 0.2, 0.1, -0.3 }, [2, 2], ScalarType.Float64);
        var field = LinearField.Create(a, 1.0, 1).Match(f => f, e => throw new InvalidOperationException(e.Head.Message));
        var x0 = tensor(new[] { 1.0, 2.0 }, [1, 2], ScalarType.Float64);
        var problem = SensitivityProblem.Create(field, x0, SquaredErrorLoss.Create(zeros(1, 2, ScalarType.Float64)), SolverCatalog.Fixed(Tableaux.Rk4, 8));
        var gradient = Sensitivities.Gradient(problem).Match(g => g, e => throw new InvalidOperationException(e.Message));
        Console.WriteLine(FormattableString.Invariant($"loss {gradient.Loss:R}"));
        Console.WriteLine(FormattableString.Invariant($"gradient {string.Join(" ", gradient.ControlGradients[0].data<double>().ToArray().Select(v => v.ToString("R")))}"));
        """;

    private static (int Code, string Output) Dotnet(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(600_000)) { process.Kill(entireProcessTree: true); return (-1, "timed out"); }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void A_fresh_project_referencing_the_packages_computes_a_gradient()
    {
        var root = RepositoryRoot.Path;
        var work = Directory.CreateTempSubdirectory("robustnode-consumer-").FullName;
        try
        {
            var feed = Directory.CreateDirectory(Path.Combine(work, "feed")).FullName;
            var packages = Directory.CreateDirectory(Path.Combine(work, "packages")).FullName;
            var version = $"0.1.0-test{DateTime.UtcNow:yyyyMMddHHmmss}";
            var clock = Stopwatch.StartNew();
            foreach (var project in new[] { "Core/RobustNode.Core.csproj", "Solvers/RobustNode.Solvers.csproj", "Sensitivity/RobustNode.Sensitivity.csproj" })
            {
                var (code, log) = Dotnet(root, "pack", project, "-c", "Release", "--no-build", "-o", feed, $"-p:Version={version}");
                Assert.True(code == 0, $"dotnet pack {project} failed:\n{log}");
            }
            var core = Path.Combine(feed, $"RobustNode.Core.{version}.nupkg");
            using (var zip = System.IO.Compression.ZipFile.OpenRead(core))
                Assert.Contains(zip.Entries, e => e.FullName == "buildTransitive/RobustNode.Core.targets");

            var consumer = Directory.CreateDirectory(Path.Combine(work, "consumer")).FullName;
            File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <NoWarn>$(NoWarn);NU1603</NoWarn>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="RobustNode.Sensitivity" Version="{version}" />
                    <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(consumer, "Program.cs"), Program);
            var shared = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var (restored, restoreLog) = Dotnet(consumer, "restore", $"-p:RestoreSources={feed}", $"-p:RestorePackagesPath={packages}",
                $"-p:RestoreFallbackFolders={shared}", "-p:RestoreNoHttpCache=true");
            Assert.True(restored == 0, $"restore failed:\n{restoreLog}");
            var (built, buildLog) = Dotnet(consumer, "build", "-c", "Release", "--no-restore");
            Assert.True(built == 0, $"build failed:\n{buildLog}");
            // The fix of the package ran on the consumer's copies of libLibTorchSharp.so.
            if (OperatingSystem.IsLinux()) Assert.Contains("Marked GLIBCXX_3.4.32 requirement weak", buildLog);
            var (ran, runLog) = Dotnet(consumer, "run", "-c", "Release", "--no-build");
            output.WriteLine($"pack, restore, build and run in {clock.Elapsed.TotalSeconds:F0} s:\n{runLog}");
            Assert.True(ran == 0, $"the consumer failed:\n{runLog}");
            Assert.Contains("loss ", runLog);
            var gradient = runLog.Split('\n').Single(l => l.StartsWith("gradient ")).Split(' ')[1..].Select(double.Parse).ToArray();
            Assert.Equal(4, gradient.Length);
            Assert.All(gradient, g => Assert.True(double.IsFinite(g) && g != 0));
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }
}

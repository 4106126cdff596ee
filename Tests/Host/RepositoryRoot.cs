namespace RobustNode.Tests.Host;

/// <summary>The repository root, found upwards from the test binaries by RobustNode.sln.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "RobustNode.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("RobustNode.sln not found above " + AppContext.BaseDirectory);
    }
}

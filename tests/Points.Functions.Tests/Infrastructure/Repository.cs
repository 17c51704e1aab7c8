namespace Points.Functions.Tests.Infrastructure;

public static class Repository
{
    /// <summary>The folder holding PointsFunctions.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PointsFunctions.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No PointsFunctions.sln above {AppContext.BaseDirectory}.");
    }
}

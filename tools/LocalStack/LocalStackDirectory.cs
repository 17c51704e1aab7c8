namespace Points.Tools.LocalStack;

/// <summary>
/// The folder tools/local-stack: package.json and package-lock.json that pin the emulators, the
/// watchdog and Cosmos server start scripts, and (once installed) node_modules.
/// </summary>
internal sealed class LocalStackDirectory
{
    /// <summary>Environment variable that names the tools/local-stack folder directly.</summary>
    public const string OverrideVariable = "POINTS_LOCAL_STACK_DIR";

    private const string LockFileName = "package-lock.json";

    private LocalStackDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>Full path of tools/local-stack.</summary>
    public string Path { get; }

    /// <summary>The repository root: relative data directories are taken from here.</summary>
    public string RepositoryRoot => System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, "..", ".."));

    public string PackageLockFile => Combine(LockFileName);

    public string AzuriteEntryPoint => Combine("node_modules", "azurite", "dist", "src", "azurite.js");

    public string CosmosServerCli => Combine("node_modules", "@vercel", "cosmosdb-server", "lib", "cli.js");

    /// <summary>Our start script for the Cosmos server: its CLI plus a compatibility fix (see the script).</summary>
    public string CosmosServerScript => Combine("cosmos-server.js");

    public string WatchdogScript => Combine("watchdog.js");

    /// <summary>Preloaded into each emulator (node --require): it exits when the watchdog above it is gone.</summary>
    public string ExitWithParentScript => Combine("exit-with-parent.js");

    /// <summary>The emulators as an npm project, installed by <see cref="NpmInstallation"/>.</summary>
    public NpmProject Emulators => new(this, Path, "the local emulators", [AzuriteEntryPoint, CosmosServerCli]);

    /// <summary>
    /// Finds tools/local-stack: the <see cref="OverrideVariable"/> if set, otherwise the first folder,
    /// walking up from the application's base directory and then from the current directory, that holds
    /// tools/local-stack/package-lock.json. Test assemblies run from bin/…, the run command from anywhere
    /// in the repository: both find it.
    /// </summary>
    public static LocalStackDirectory Locate()
    {
        var fromVariable = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrWhiteSpace(fromVariable))
        {
            if (!File.Exists(System.IO.Path.Combine(fromVariable, LockFileName)))
            {
                throw new LocalStackException(
                    $"{OverrideVariable} is set to '{fromVariable}', which holds no {LockFileName}.");
            }

            return new LocalStackDirectory(fromVariable);
        }

        string[] startingPoints = [AppContext.BaseDirectory, Environment.CurrentDirectory];
        foreach (var start in startingPoints)
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = System.IO.Path.Combine(folder.FullName, "tools", "local-stack");
                if (File.Exists(System.IO.Path.Combine(candidate, LockFileName)))
                {
                    return new LocalStackDirectory(candidate);
                }
            }
        }

        throw new LocalStackException(
            $"Cannot find tools/local-stack/{LockFileName} above '{AppContext.BaseDirectory}' or " +
            $"'{Environment.CurrentDirectory}'. Run from inside the repository or set {OverrideVariable}.");
    }

    private string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}

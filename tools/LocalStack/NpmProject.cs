namespace Points.Tools.LocalStack;

/// <summary>
/// A folder of the repository whose package.json and package-lock.json pin Node tools, and which
/// <see cref="NpmInstallation"/> installs (npm ci) on first use: the emulators (tools/local-stack) or the partner
/// contract tools (tools/contract).
/// </summary>
public sealed class NpmProject
{
    private const string LockFileName = "package-lock.json";

    private readonly LocalStackDirectory _tools;

    internal NpmProject(LocalStackDirectory tools, string path, string description, IReadOnlyList<string> requiredFiles)
    {
        _tools = tools;
        Path = System.IO.Path.GetFullPath(path);
        Description = description;
        RequiredFiles = [.. requiredFiles.Select(f => System.IO.Path.Combine(Path, f))];
    }

    /// <summary>
    /// The project at <paramref name="relativePath"/> (from the repository root, found like tools/local-stack).
    /// </summary>
    /// <param name="description">What it holds, for the one line printed while installing ("the contract tools").</param>
    /// <param name="requiredFiles">Files (relative to the project) that a complete install has: the entry points used.</param>
    public static NpmProject InRepository(string relativePath, string description, params string[] requiredFiles)
    {
        var tools = LocalStackDirectory.Locate();
        var path = System.IO.Path.Combine(tools.RepositoryRoot, relativePath);
        if (!File.Exists(System.IO.Path.Combine(path, LockFileName)))
        {
            throw new LocalStackException($"'{path}' holds no {LockFileName}.");
        }

        return new NpmProject(tools, path, description, requiredFiles);
    }

    /// <summary>Full path of the folder.</summary>
    public string Path { get; }

    public string Description { get; }

    /// <summary>Full paths of the files a complete install has.</summary>
    public IReadOnlyList<string> RequiredFiles { get; }

    public string PackageLockFile => Combine(LockFileName);

    /// <summary>Held open with FileShare.None while one process checks or runs npm ci.</summary>
    public string InstallLockFile => Combine(".npm-ci.lock");

    public string InstallLogFile => Combine("npm-ci.log");

    /// <summary>Written after a successful npm ci; holds the hash of the package-lock.json it installed.</summary>
    public string InstalledMarkerFile => Combine("node_modules", ".points-installed");

    /// <summary>tools/local-stack, whose watchdog runs npm (so npm stops when the process that started it dies).</summary>
    internal LocalStackDirectory Tools => _tools;

    private string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}

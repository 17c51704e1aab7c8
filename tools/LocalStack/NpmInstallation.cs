using System.Security.Cryptography;
using System.Text;

namespace Points.Tools.LocalStack;

/// <summary>
/// Makes sure an <see cref="NpmProject"/>'s node_modules (tools/local-stack's, tools/contract's) holds what its
/// package-lock.json pins, running <c>npm ci</c> when it does not. A clean clone (CI, a newcomer) has no
/// node_modules; several test processes may start at the same moment, so the check and the install happen under
/// a cross-process file lock.
/// </summary>
public static class NpmInstallation
{
    /// <summary>npm ci of azurite takes about a minute here; this leaves room for a slow registry.</summary>
    public const int NpmCiTimeoutMinutes = 10;

    /// <summary>Another process may be running npm ci: wait at most that long, plus a margin, for its lock.</summary>
    public const int LockWaitTimeoutMinutes = NpmCiTimeoutMinutes + 2;

    /// <summary>Lines of npm's log quoted in the exception when npm ci fails.</summary>
    public const int FailureLogTailLines = 40;

    private static readonly TimeSpan LockRetryInterval = TimeSpan.FromMilliseconds(250);

    public static async Task EnsureInstalledAsync(NpmProject project, bool showOutput, CancellationToken cancellationToken)
    {
        // Quick path without the lock when everything is in place. Checking the marker (written last,
        // after npm ci succeeded) rather than single files means a half-finished install by another
        // process is never mistaken for a complete one.
        if (IsInstalled(project))
        {
            return;
        }

        await using var installLock = await AcquireLockAsync(project, cancellationToken).ConfigureAwait(false);

        // Another process may have installed while we waited for the lock.
        if (IsInstalled(project))
        {
            return;
        }

        await RunNpmCiAsync(project, showOutput, cancellationToken).ConfigureAwait(false);

        if (project.RequiredFiles.FirstOrDefault(file => !File.Exists(file)) is { } missing)
        {
            throw new LocalStackException(
                $"npm ci succeeded but '{missing}' is missing. Does package-lock.json still pin the package that ships it? Log: {project.InstallLogFile}");
        }

        await File.WriteAllTextAsync(project.InstalledMarkerFile, PackageLockHash(project), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The required files exist, and node_modules was installed by us from the current package-lock.json
    /// (so a bumped lock file reinstalls, instead of running stale tools).
    /// </summary>
    private static bool IsInstalled(NpmProject project)
    {
        try
        {
            return project.RequiredFiles.All(File.Exists)
                && string.Equals(File.ReadAllText(project.InstalledMarkerFile).Trim(), PackageLockHash(project), StringComparison.Ordinal);
        }
        catch (IOException)
        {
            // No marker yet, or another process's npm ci is deleting node_modules right now.
            return false;
        }
    }

    private static string PackageLockHash(NpmProject project) =>
        Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(project.PackageLockFile)));

    /// <summary>
    /// Opens the lock file with FileShare.None, retrying while another process holds it. The operating
    /// system releases the lock when the holder exits, even when it crashes, so a stale lock cannot block.
    /// </summary>
    private static async Task<FileStream> AcquireLockAsync(NpmProject project, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddMinutes(LockWaitTimeoutMinutes);
        while (true)
        {
            try
            {
                return new FileStream(project.InstallLockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(LockRetryInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException exception)
            {
                throw new LocalStackException(
                    $"Waited {LockWaitTimeoutMinutes} minutes for '{project.InstallLockFile}', held by another process installing {project.Description}.",
                    exception);
            }
        }
    }

    private static async Task RunNpmCiAsync(NpmProject project, bool showOutput, CancellationToken cancellationToken)
    {
        var log = new StreamWriter(project.InstallLogFile, append: false, Encoding.UTF8) { AutoFlush = true };
        await using (log.ConfigureAwait(false))
        {
            var logLock = new Lock();
            void Record(string line)
            {
                lock (logLock)
                {
                    log.WriteLine(line);
                }

                if (showOutput)
                {
                    Console.WriteLine($"[npm ci] {line}");
                }
            }

            Record($"# {DateTime.UtcNow:O} npm ci in {project.Path} (node_modules missing, incomplete or from another package-lock.json)");
            Console.Error.WriteLine($"Installing {project.Description} (npm ci in {project.Path}, once)…");

            // npm is a script (npm.cmd on Windows), which only a shell can start there.
            var (command, prefix) = OperatingSystem.IsWindows() ? ("cmd.exe", new[] { "/d", "/c", "npm" }) : ("npm", []);
            string[] arguments = [.. prefix, "ci", "--no-audit", "--no-fund", "--no-progress"];
            var environment = new Dictionary<string, string> { ["npm_config_update_notifier"] = "false" };

            using var npm = WatchedProcess.Start("npm ci", project.Tools, project.Path, command, arguments, Record, environment: environment);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(NpmCiTimeoutMinutes));
            try
            {
                await npm.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await npm.StopAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                throw new LocalStackException(
                    $"npm ci did not finish within {NpmCiTimeoutMinutes} minutes. Last lines of {project.InstallLogFile}:{Environment.NewLine}{LogTail(project, logLock)}");
            }

            if (npm.ExitCode != 0)
            {
                throw new LocalStackException(
                    $"npm ci failed with exit code {npm.ExitCode}. Last lines of {project.InstallLogFile}:{Environment.NewLine}{LogTail(project, logLock)}");
            }

            Record($"# {DateTime.UtcNow:O} npm ci finished");
        }
    }

    private static string LogTail(NpmProject project, Lock logLock)
    {
        lock (logLock)
        {
            using var reader = new StreamReader(new FileStream(project.InstallLogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            var lines = reader.ReadToEnd().Split('\n');
            return string.Join('\n', lines.TakeLast(FailureLogTailLines));
        }
    }
}

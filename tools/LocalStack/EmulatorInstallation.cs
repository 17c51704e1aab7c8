using System.Security.Cryptography;
using System.Text;

namespace Points.Tools.LocalStack;

/// <summary>
/// Makes sure tools/local-stack/node_modules holds what package-lock.json pins, running <c>npm ci</c> when
/// it does not. A clean clone (CI, a newcomer) has no node_modules; several test processes may start at
/// the same moment, so the check and the install happen under a cross-process file lock.
/// </summary>
internal static class EmulatorInstallation
{
    /// <summary>npm ci of azurite takes about a minute here; this leaves room for a slow registry.</summary>
    public const int NpmCiTimeoutMinutes = 10;

    /// <summary>Another process may be running npm ci: wait at most that long, plus a margin, for its lock.</summary>
    public const int LockWaitTimeoutMinutes = NpmCiTimeoutMinutes + 2;

    /// <summary>Lines of npm's log quoted in the exception when npm ci fails.</summary>
    public const int FailureLogTailLines = 40;

    private static readonly TimeSpan LockRetryInterval = TimeSpan.FromMilliseconds(250);

    public static async Task EnsureInstalledAsync(LocalStackDirectory directory, bool showOutput, CancellationToken cancellationToken)
    {
        // Quick path without the lock when everything is in place. Checking the marker (written last,
        // after npm ci succeeded) rather than single files means a half-finished install by another
        // process is never mistaken for a complete one.
        if (IsInstalled(directory))
        {
            return;
        }

        await using var installLock = await AcquireLockAsync(directory, cancellationToken).ConfigureAwait(false);

        // Another process may have installed while we waited for the lock.
        if (IsInstalled(directory))
        {
            return;
        }

        await RunNpmCiAsync(directory, showOutput, cancellationToken).ConfigureAwait(false);

        if (!File.Exists(directory.AzuriteEntryPoint) || !File.Exists(directory.CosmosServerCli))
        {
            throw new LocalStackException(
                $"npm ci succeeded but '{directory.AzuriteEntryPoint}' or '{directory.CosmosServerCli}' is missing. " +
                $"Does package-lock.json still pin azurite and @vercel/cosmosdb-server? Log: {directory.InstallLogFile}");
        }

        await File.WriteAllTextAsync(directory.InstalledMarkerFile, PackageLockHash(directory), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Both entry points exist, and node_modules was installed by us from the current package-lock.json
    /// (so a bumped lock file reinstalls, instead of running stale emulators).
    /// </summary>
    private static bool IsInstalled(LocalStackDirectory directory)
    {
        try
        {
            return File.Exists(directory.AzuriteEntryPoint)
                && File.Exists(directory.CosmosServerCli)
                && string.Equals(File.ReadAllText(directory.InstalledMarkerFile).Trim(), PackageLockHash(directory), StringComparison.Ordinal);
        }
        catch (IOException)
        {
            // No marker yet, or another process's npm ci is deleting node_modules right now.
            return false;
        }
    }

    private static string PackageLockHash(LocalStackDirectory directory) =>
        Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(directory.PackageLockFile)));

    /// <summary>
    /// Opens the lock file with FileShare.None, retrying while another process holds it. The operating
    /// system releases the lock when the holder exits, even when it crashes, so a stale lock cannot block.
    /// </summary>
    private static async Task<FileStream> AcquireLockAsync(LocalStackDirectory directory, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddMinutes(LockWaitTimeoutMinutes);
        while (true)
        {
            try
            {
                return new FileStream(directory.InstallLockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(LockRetryInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException exception)
            {
                throw new LocalStackException(
                    $"Waited {LockWaitTimeoutMinutes} minutes for '{directory.InstallLockFile}', held by another process installing the emulators.",
                    exception);
            }
        }
    }

    private static async Task RunNpmCiAsync(LocalStackDirectory directory, bool showOutput, CancellationToken cancellationToken)
    {
        var log = new StreamWriter(directory.InstallLogFile, append: false, Encoding.UTF8) { AutoFlush = true };
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

            Record($"# {DateTime.UtcNow:O} npm ci in {directory.Path} (node_modules missing, incomplete or from another package-lock.json)");
            Console.Error.WriteLine($"Installing the local emulators (npm ci in {directory.Path}, about a minute, once)…");

            // npm is a script (npm.cmd on Windows), which only a shell can start there.
            var (command, prefix) = OperatingSystem.IsWindows() ? ("cmd.exe", new[] { "/d", "/c", "npm" }) : ("npm", []);
            string[] arguments = [.. prefix, "ci", "--no-audit", "--no-fund", "--no-progress"];
            var environment = new Dictionary<string, string> { ["npm_config_update_notifier"] = "false" };

            using var npm = WatchedProcess.Start("npm ci", directory, directory.Path, command, arguments, Record, environment: environment);
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
                    $"npm ci did not finish within {NpmCiTimeoutMinutes} minutes. Last lines of {directory.InstallLogFile}:{Environment.NewLine}{LogTail(directory, logLock)}");
            }

            if (npm.ExitCode != 0)
            {
                throw new LocalStackException(
                    $"npm ci failed with exit code {npm.ExitCode}. Last lines of {directory.InstallLogFile}:{Environment.NewLine}{LogTail(directory, logLock)}");
            }

            Record($"# {DateTime.UtcNow:O} npm ci finished");
        }
    }

    private static string LogTail(LocalStackDirectory directory, Lock logLock)
    {
        lock (logLock)
        {
            using var reader = new StreamReader(new FileStream(directory.InstallLogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            var lines = reader.ReadToEnd().Split('\n');
            return string.Join('\n', lines.TakeLast(FailureLogTailLines));
        }
    }
}

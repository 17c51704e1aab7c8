using System.Globalization;
using System.Runtime.ExceptionServices;

namespace Points.Tools.LocalStack;

/// <summary>
/// The local emulators, running: Azurite (Blob, Queue, Table) and @vercel/cosmosdb-server (Cosmos DB
/// SQL API, in memory, plain HTTP), both pinned in tools/local-stack and run with Node.js.
/// Start with <see cref="StartAsync"/>, stop with <see cref="DisposeAsync"/>.
/// </summary>
/// <remarks>
/// Cosmos DB clients must use <c>ConnectionMode.Gateway</c> and <c>LimitToEndpoint = true</c> against
/// this server: it advertises https:// regional endpoints in its account document while serving plain
/// HTTP, and it does not serve Direct mode's address resolution. See tools/local-stack/README.md.
/// </remarks>
public sealed class LocalStack : IAsyncDisposable
{
    /// <summary>How long, by default, both emulators get to answer after they were started.</summary>
    public const int StartTimeoutSeconds = 60;

    /// <summary>Attempts with new free ports when an emulator loses a port race with another process.</summary>
    public const int MaxPortAttempts = 3;

    /// <summary>Azurite's well-known development account (public, the same on every machine).</summary>
    public const string StorageAccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development account key (public, the same on every machine).</summary>
    public const string StorageAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>The most <see cref="LocalStackOptions.CosmosLatency"/> the server takes (cosmos-server.js checks it too).</summary>
    public static readonly TimeSpan CosmosLatencyMax = TimeSpan.FromSeconds(10);

    /// <summary>The Cosmos DB emulator's well-known key (public). The local server accepts any key.</summary>
    public const string WellKnownCosmosKey =
        "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

    private const string Loopback = "127.0.0.1";
    private const string PortInUseMarker = "EADDRINUSE";

    /// <summary>Throwaway working folders of in-memory Azurite: azurite-{owner pid}-{guid} under the temp folder.</summary>
    private const string TemporaryPrefix = "azurite-";

    /// <summary>
    /// Stacks not disposed: their throwaway folders are deleted when the process exits normally.
    /// Their emulators are killed by <see cref="WatchedProcess"/>'s own exit handler.
    /// </summary>
    private static readonly ExitRegistry<LocalStack> ExitCleanup = new(stack => DeleteQuietly(stack._temporaryDirectory));

    private readonly WatchedProcess _azurite;
    private readonly WatchedProcess _cosmos;
    private readonly string? _temporaryDirectory;
    private int _disposed;

    private LocalStack(
        LocalStackDirectory directory,
        RunningEmulator azurite,
        RunningEmulator cosmos,
        string? temporaryDirectory,
        string? dataDirectory,
        TimeSpan cosmosLatency)
    {
        _azurite = azurite.Process;
        CosmosLatency = cosmosLatency;
        _cosmos = cosmos.Process;
        _temporaryDirectory = temporaryDirectory;
        LocalStackDirectoryPath = directory.Path;
        DataDirectory = dataDirectory;

        BlobServiceUri = StorageServiceUri(azurite.Ports[0]);
        QueueServiceUri = StorageServiceUri(azurite.Ports[1]);
        TableServiceUri = StorageServiceUri(azurite.Ports[2]);
        CosmosEndpoint = new Uri($"http://{Loopback}:{cosmos.Ports[0].ToString(CultureInfo.InvariantCulture)}/");
    }

    /// <summary>Azurite blob service for the dev account, e.g. http://127.0.0.1:10000/devstoreaccount1.</summary>
    public Uri BlobServiceUri { get; }

    /// <summary>Azurite queue service for the dev account, e.g. http://127.0.0.1:10001/devstoreaccount1.</summary>
    public Uri QueueServiceUri { get; }

    /// <summary>Azurite table service for the dev account, e.g. http://127.0.0.1:10002/devstoreaccount1.</summary>
    public Uri TableServiceUri { get; }

    /// <summary>
    /// A storage connection string with explicit endpoints (not <c>UseDevelopmentStorage=true</c>, which
    /// means the fixed ports 10000-10002): works with BlobServiceClient, QueueServiceClient, TableServiceClient.
    /// </summary>
    public string StorageConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={StorageAccountName};AccountKey={StorageAccountKey};" +
        $"BlobEndpoint={BlobServiceUri};QueueEndpoint={QueueServiceUri};TableEndpoint={TableServiceUri};";

    /// <summary>The Cosmos DB endpoint, plain HTTP, e.g. http://127.0.0.1:8081/.</summary>
    public Uri CosmosEndpoint { get; }

    /// <summary>How long the Cosmos DB server holds each request (<see cref="LocalStackOptions.CosmosLatency"/>).</summary>
    public TimeSpan CosmosLatency { get; }

    /// <summary>The key to present to the Cosmos DB server (<see cref="WellKnownCosmosKey"/>).</summary>
    public string CosmosKey => WellKnownCosmosKey;

    /// <summary>AccountEndpoint=…;AccountKey=…; — still needs Gateway mode and LimitToEndpoint (see the class remarks).</summary>
    public string CosmosConnectionString => $"AccountEndpoint={CosmosEndpoint};AccountKey={CosmosKey};";

    /// <summary>Full path of tools/local-stack that the emulators were run from.</summary>
    public string LocalStackDirectoryPath { get; }

    /// <summary>Where Azurite keeps its data on disk, or null when it keeps it in memory.</summary>
    public string? DataDirectory { get; }

    /// <summary>
    /// Finds tools/local-stack, installs the pinned emulators with npm ci if needed (once, across
    /// processes), starts Azurite and the Cosmos DB server in parallel and returns once both answer HTTP.
    /// </summary>
    /// <exception cref="LocalStackException">Installation failed, or an emulator exited or did not answer in time; the message quotes its output.</exception>
    public static async Task<LocalStack> StartAsync(LocalStackOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CosmosLatency, TimeSpan.Zero, nameof(options.CosmosLatency));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.CosmosLatency, CosmosLatencyMax, nameof(options.CosmosLatency));

        var directory = LocalStackDirectory.Locate();
        await NpmInstallation.EnsureInstalledAsync(directory.Emulators, options.ShowOutput, cancellationToken).ConfigureAwait(false);

        string? dataDirectory = null;
        string? temporaryDirectory = null;
        string azuriteWorkingDirectory;
        List<string> persistenceArguments;
        if (options.DataDirectory is null)
        {
            // Azurite refuses --location together with --inMemoryPersistence, and its location defaults
            // to the working directory: run it in a throwaway folder so that nothing lands in the repository.
            DeleteFoldersOfDeadOwners();
            temporaryDirectory = Path.Combine(TemporaryRoot, $"{TemporaryPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(temporaryDirectory);
            azuriteWorkingDirectory = temporaryDirectory;
            persistenceArguments = ["--inMemoryPersistence"];
        }
        else
        {
            dataDirectory = Path.GetFullPath(Path.Combine(directory.RepositoryRoot, options.DataDirectory));
            Directory.CreateDirectory(dataDirectory);
            azuriteWorkingDirectory = dataDirectory;
            persistenceArguments = ["--location", dataDirectory];
        }

        var azurite = new EmulatorSpec(
            Name: "azurite",
            RequestedPorts: [options.BlobPort, options.QueuePort, options.TablePort],
            WorkingDirectory: azuriteWorkingDirectory,
            Arguments: ports =>
            [
                "--require", directory.ExitWithParentScript,
                directory.AzuriteEntryPoint,
                "--silent",
                // Azure.Storage.Blobs 12.30 sends a newer API version than Azurite 3.37 knows.
                "--skipApiVersionCheck",
                "--loose",
                // Telemetry would send data to the internet; this machine and CI have no route there.
                "--disableTelemetry",
                .. persistenceArguments,
                "--blobHost", Loopback, "--blobPort", Text(ports[0]),
                "--queueHost", Loopback, "--queuePort", Text(ports[1]),
                "--tableHost", Loopback, "--tablePort", Text(ports[2]),
            ],
            ReadyPhrases: ports =>
            [
                $"Blob service is successfully listening at http://{Loopback}:{Text(ports[0])}",
                $"Queue service is successfully listening at http://{Loopback}:{Text(ports[1])}",
                $"Table service is successfully listening at http://{Loopback}:{Text(ports[2])}",
            ],
            Probes: ports =>
            [
                new Uri($"http://{Loopback}:{Text(ports[0])}/{StorageAccountName}?comp=list"),
                new Uri($"http://{Loopback}:{Text(ports[1])}/{StorageAccountName}?comp=list"),
                new Uri($"http://{Loopback}:{Text(ports[2])}/{StorageAccountName}/Tables"),
            ]);

        var cosmos = new EmulatorSpec(
            Name: "cosmos",
            RequestedPorts: [options.CosmosPort],
            WorkingDirectory: directory.Path,
            // Plain HTTP (--no-ssl): the .NET SDK works with it in Gateway mode, so no certificate has to be trusted.
            Arguments: ports => ["--require", directory.ExitWithParentScript, directory.CosmosServerScript, "--no-ssl", "--host", Loopback, "--port", Text(ports[0]),
                .. options.CosmosLatency > TimeSpan.Zero ? ["--latency-ms", Text((int)options.CosmosLatency.TotalMilliseconds)] : Array.Empty<string>()],
            ReadyPhrases: ports => [$"Ready to accept HTTP connections at {Loopback}:{Text(ports[0])}"],
            Probes: ports => [new Uri($"http://{Loopback}:{Text(ports[0])}/")]);

        // When one emulator fails, the other stops waiting too (it might wait for its whole timeout).
        using var startFailed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        async Task<RunningEmulator> StartOrSignalFailure(EmulatorSpec spec)
        {
            try
            {
                return await StartEmulatorAsync(directory, spec, options, startFailed.Token).ConfigureAwait(false);
            }
            catch
            {
                await startFailed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        var starts = new[] { StartOrSignalFailure(azurite), StartOrSignalFailure(cosmos) };
        try
        {
            await Task.WhenAll(starts).ConfigureAwait(false);
        }
        catch
        {
            foreach (var start in starts.Where(start => start.IsCompletedSuccessfully))
            {
                await start.Result.Process.DisposeAsync().ConfigureAwait(false);
            }

            DeleteQuietly(temporaryDirectory);
            cancellationToken.ThrowIfCancellationRequested();

            // Report the real failures, not the cancellation they caused in the other start.
            var failures = starts
                .Where(start => start.IsFaulted)
                .SelectMany(start => start.Exception!.InnerExceptions)
                .ToList();
            if (failures.Count == 1)
            {
                ExceptionDispatchInfo.Throw(failures[0]);
            }

            if (failures.Count > 1)
            {
                throw new LocalStackException(
                    string.Join(Environment.NewLine + Environment.NewLine, failures.Select(failure => failure.Message)),
                    new AggregateException(failures));
            }

            throw;
        }

        var stack = new LocalStack(directory, starts[0].Result, starts[1].Result, temporaryDirectory, dataDirectory, options.CosmosLatency);
        ExitCleanup.Track(stack);
        return stack;
    }

    /// <summary>Kills both emulators with their process trees and waits for them. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        ExitCleanup.Untrack(this);
        await Task.WhenAll(_azurite.DisposeAsync().AsTask(), _cosmos.DisposeAsync().AsTask()).ConfigureAwait(false);
        DeleteQuietly(_temporaryDirectory);
    }

    private static async Task<RunningEmulator> StartEmulatorAsync(
        LocalStackDirectory directory,
        EmulatorSpec spec,
        LocalStackOptions options,
        CancellationToken cancellationToken)
    {
        var anyPortPicked = spec.RequestedPorts.Contains(LocalStackOptions.AnyFreePort);
        for (var attempt = 1; ; attempt++)
        {
            var ports = spec.RequestedPorts.Select(LoopbackPorts.Resolve).ToArray();
            Action<string>? forward = options.ShowOutput ? line => Console.WriteLine($"[{spec.Name}] {line}") : null;
            var process = WatchedProcess.Start(
                spec.Name, directory, spec.WorkingDirectory, NodeRuntime.Executable, spec.Arguments(ports), forward, spec.ReadyPhrases(ports));

            ReadinessProbe.Outcome outcome;
            try
            {
                outcome = await ReadinessProbe.WaitUntilReadyAsync(process, spec.Probes(ports), options.StartTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await process.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            if (outcome == ReadinessProbe.Outcome.Ready)
            {
                return new RunningEmulator(process, ports);
            }

            process.DrainOutputAfterExit();
            var exited = process.HasExited;
            var exitCode = exited ? process.ExitCode : 0;
            var portInUse = process.OutputContains(PortInUseMarker);
            var output = process.OutputTail();
            await process.DisposeAsync().ConfigureAwait(false);

            // A free port picked by us can be taken by another process before the emulator binds it.
            if (exited && portInUse && anyPortPicked && attempt < MaxPortAttempts)
            {
                continue;
            }

            var portList = string.Join(", ", ports);
            var problem = exited
                ? $"{spec.Name} exited with code {exitCode} before it was ready on {Loopback} ports {portList}."
                : $"{spec.Name} did not become ready on {Loopback} ports {portList} within {options.StartTimeout.TotalSeconds:0} s.";
            var hint = portInUse
                ? $" A port is in use (by another running emulator?): stop it, choose other ports, or use {nameof(LocalStackOptions.AnyFreePort)}."
                : string.Empty;
            throw new LocalStackException($"{problem}{hint} Last output:{Environment.NewLine}{output}");
        }
    }

    private static Uri StorageServiceUri(int port) =>
        new($"http://{Loopback}:{Text(port)}/{StorageAccountName}");

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string TemporaryRoot => Path.Combine(Path.GetTempPath(), "points-local-stack");

    /// <summary>
    /// A process killed by a signal leaves its throwaway folder behind (empty: Azurite writes nothing in
    /// memory mode). Folders are named after the owner's process id; remove those whose owner is gone.
    /// </summary>
    private static void DeleteFoldersOfDeadOwners()
    {
        if (!Directory.Exists(TemporaryRoot))
        {
            return;
        }

        foreach (var folder in Directory.EnumerateDirectories(TemporaryRoot, TemporaryPrefix + "*"))
        {
            var ownerText = Path.GetFileName(folder)[TemporaryPrefix.Length..].Split('-')[0];
            if (int.TryParse(ownerText, NumberStyles.None, CultureInfo.InvariantCulture, out var owner) && !ProcessExists(owner))
            {
                DeleteQuietly(folder);
            }
        }
    }

    private static bool ProcessExists(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void DeleteQuietly(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }

    /// <param name="Arguments">Arguments to <c>node</c> for the given ports.</param>
    /// <param name="ReadyPhrases">Output lines (parts) that prove the emulator bound the given ports.</param>
    /// <param name="Probes">URLs that must answer HTTP (any status) before the emulator counts as ready.</param>
    private sealed record EmulatorSpec(
        string Name,
        int[] RequestedPorts,
        string WorkingDirectory,
        Func<int[], IReadOnlyList<string>> Arguments,
        Func<int[], IReadOnlyList<string>> ReadyPhrases,
        Func<int[], IReadOnlyList<Uri>> Probes);

    private sealed record RunningEmulator(WatchedProcess Process, int[] Ports);
}

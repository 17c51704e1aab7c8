using Microsoft.Azure.Cosmos;
using Points.Functions.Storage;
using Points.Tools.LocalStack;

namespace Points.Benchmarks.Infrastructure;

/// <summary>What every scenario gets: the emulators, the run's sizes, a progress log and raw Cosmos access.</summary>
public sealed class BenchContext(LocalStack? emulators, bool quick, string repositoryRoot)
{
    /// <summary>Set by a run for the scenario processes it starts, so that their log shows the run's clock.</summary>
    public const string StartedEnvironmentVariable = "POINTS_BENCH_STARTED_MS";

    /// <summary>When the run started (the parent's start for a scenario process).</summary>
    public static DateTimeOffset Started { get; } =
        long.TryParse(Environment.GetEnvironmentVariable(StartedEnvironmentVariable), System.Globalization.CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.UtcNow;

    private readonly string _runId = DateTime.UtcNow.ToString("HHmmss", System.Globalization.CultureInfo.InvariantCulture);

    public LocalStack Emulators => emulators ?? throw new InvalidOperationException("This scenario was started without the emulators.");
    public bool Quick { get; } = quick;
    public string RepositoryRoot { get; } = repositoryRoot;

    /// <summary>Extra details per scenario (request breakdowns, raw latencies) for the JSON file.</summary>
    public Dictionary<string, object> Details { get; } = [];

    /// <summary>Progress on stderr, so that stdout holds only the report.</summary>
    public static void Log(string message) =>
        Console.Error.WriteLine($"[{DateTimeOffset.UtcNow - Started:mm\\:ss}] {message}");

    /// <summary>A database name of its own for each scenario (and each part of it).</summary>
    public string DatabaseFor(string scenario) => $"bench-{scenario}-{_runId}";

    /// <summary>
    /// A plain Cosmos client configured like the app's own in local-emulator mode (gateway, one endpoint, the app's
    /// JSON rules, no content on writes, the same HttpClient shape), for baselines, seeding and clean-up.
    /// </summary>
    public CosmosClient RawCosmosClient() => CosmosStorage.ConnectLocal(Emulators.CosmosConnectionString);

    /// <summary>Drops a scenario's database so that the in-memory Cosmos server does not carry it into the next one.</summary>
    public async Task DropDatabaseAsync(string database)
    {
        try
        {
            using var client = RawCosmosClient();
            await client.GetDatabase(database).DeleteAsync();
        }
        catch (CosmosException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
        }
        catch (Exception e)
        {
            Log($"(could not drop database {database}: {e.GetType().Name}: {e.Message})");
        }
    }
}

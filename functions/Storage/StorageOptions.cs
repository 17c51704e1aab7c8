namespace Points.Functions.Storage;

/// <summary>Where the app keeps its data. Bound from configuration sections <c>Cosmos</c> and <c>Storage</c>.</summary>
public sealed class CosmosOptions
{
    /// <summary>Key-based connection string (local emulator); in Azure use <see cref="AccountEndpoint"/> with the managed identity.</summary>
    public string? ConnectionString { get; set; }
    public string? AccountEndpoint { get; set; }
    public string Database { get; set; } = "points";
    /// <summary>Only for the local Cosmos server: gateway mode to the one endpoint given.</summary>
    public bool LocalEmulator { get; set; }
    /// <summary>Create database and containers at start (local runs and tests; in Azure the Bicep template does it).</summary>
    public bool CreateIfMissing { get; set; }
    /// <summary>Retries of a throttled (429) request inside the SDK before the app sees it; null = the SDK's default (9).</summary>
    public int? RateLimitedRetriesMax { get; set; }
    /// <summary>Longest total wait of those retries; null = the SDK's default (30 s).</summary>
    public int? RateLimitedRetryWaitMaxMilliseconds { get; set; }
}

public sealed class BlobOptions
{
    public string? ConnectionString { get; set; }
    public string? BlobServiceUri { get; set; }
    public string? QueueServiceUri { get; set; }
    public bool CreateIfMissing { get; set; }
    /// <summary>
    /// Put before every queue name a queue trigger uses (<see cref="QueueNames"/>). Empty in Azure, where the declarations
    /// name the queues; tests set one per app so apps sharing one Azurite never take each other's messages.
    /// </summary>
    public string QueuePrefix { get; set; } = "";

    public string QueueName(string declared) => QueuePrefix + declared;
}

/// <summary>
/// The containers the app uses, with their partition keys: the one list the Bicep template is checked against.
/// </summary>
public static class Containers
{
    public const string Ledger = "ledger";
    public const string Indexes = "indexes";
    public const string Config = "config";
    public const string Jobs = "jobs";
    /// <summary>Outbound webhooks: the streams of events to deliver and the delivery log (<c>functions/Webhooks</c>).</summary>
    public const string Webhooks = "webhooks";
    /// <summary>The change-feed trigger's leases (DispatchOutbox); the Functions host (or the local runner) writes them, the app never does.</summary>
    public const string Leases = "leases";

    public static readonly IReadOnlyList<(string Name, string PartitionKeyPath)> All =
    [
        (Ledger, "/memberId"),
        (Indexes, "/pk"),
        (Config, "/pk"),
        (Jobs, "/pk"),
        (Webhooks, "/pk"),
        (Leases, "/id"),
    ];
}

/// <summary>Blob containers (csv.md) and queues.</summary>
public static class BlobContainers
{
    public const string Imports = "imports";
    public const string Results = "results";
    public const string Exports = "exports";
    /// <summary>Blob receipts of the Functions host (and of the local trigger runner).</summary>
    public const string Hosts = "azure-webjobs-hosts";

    public static readonly IReadOnlyList<string> All = [Imports, Results, Exports, Hosts];

    public const string BlobPoisonQueue = "webjobs-blobtrigger-poison";
}

/// <summary>Storage queues that feed queue-triggered functions (the Bicep template provisions each with its poison queue).</summary>
public static class QueueNames
{
    /// <summary>Shards of the fan-out jobs (ranks, monthly points, anniversaries), processed by ProcessLedgerJobs.</summary>
    public const string LedgerJobs = "ledger-jobs";

    /// <summary>One message per (subscription, member) stream with events to deliver, processed by SendWebhooks.</summary>
    public const string Webhooks = "webhooks";

    /// <summary>Where the Functions host moves a message that failed <c>maxDequeueCount</c> (5) times.</summary>
    public static string PoisonOf(string queue) => queue + "-poison";

    public static readonly IReadOnlyList<string> All = [LedgerJobs, PoisonOf(LedgerJobs), Webhooks, PoisonOf(Webhooks)];
}

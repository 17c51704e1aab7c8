namespace Points.Tools.LocalStack;

/// <summary>How <see cref="LocalStack.StartAsync"/> starts the local emulators.</summary>
public sealed record LocalStackOptions
{
    /// <summary>A port value that means "pick a free loopback port".</summary>
    public const int AnyFreePort = 0;

    /// <summary>Azurite's well-known development ports and the Cosmos DB emulator's usual port.</summary>
    public const int DevelopmentBlobPort = 10000;
    public const int DevelopmentQueuePort = 10001;
    public const int DevelopmentTablePort = 10002;
    public const int DevelopmentCosmosPort = 8081;

    /// <summary>Where the developer run keeps Azurite's data, relative to the repository root (gitignored).</summary>
    public const string DevelopmentDataDirectory = ".local/azurite";

    /// <summary>Azurite blob port; <see cref="AnyFreePort"/> picks a free one.</summary>
    public int BlobPort { get; init; } = AnyFreePort;

    /// <summary>Azurite queue port; <see cref="AnyFreePort"/> picks a free one.</summary>
    public int QueuePort { get; init; } = AnyFreePort;

    /// <summary>Azurite table port; <see cref="AnyFreePort"/> picks a free one.</summary>
    public int TablePort { get; init; } = AnyFreePort;

    /// <summary>Cosmos DB server port; <see cref="AnyFreePort"/> picks a free one.</summary>
    public int CosmosPort { get; init; } = AnyFreePort;

    /// <summary>
    /// Folder where Azurite keeps blobs, queues and tables between runs. Null keeps them in memory
    /// (tests). A relative path is taken from the repository root (the folder that holds
    /// tools/local-stack). The Cosmos DB server always keeps its data in memory: it has no persistence.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>Echo the emulators' output to the console, each line prefixed with the emulator's name.</summary>
    public bool ShowOutput { get; init; }

    /// <summary>
    /// How long the Cosmos DB server holds each request before handling it (whole milliseconds; zero: not at all), as the
    /// network between an app and Cosmos DB would (a few ms within one region). For benchmarks that ask how many round
    /// trips an operation waits for rather than how much CPU it takes (<c>./points bench --cosmos-latency-ms</c>).
    /// </summary>
    public TimeSpan CosmosLatency { get; init; }

    /// <summary>How long both emulators get to answer HTTP, per attempt. Does not include <c>npm ci</c>.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(LocalStack.StartTimeoutSeconds);

    /// <summary>Free ports, data in memory, quiet: for test fixtures, several of which may run at once.</summary>
    public static LocalStackOptions ForTests() => new();

    /// <summary>
    /// Well-known ports (so Storage Explorer and the usual connection strings work), Azurite data kept on
    /// disk under <see cref="DevelopmentDataDirectory"/>, output not shown: for the developer run command.
    /// </summary>
    public static LocalStackOptions ForDevelopment() => new()
    {
        BlobPort = DevelopmentBlobPort,
        QueuePort = DevelopmentQueuePort,
        TablePort = DevelopmentTablePort,
        CosmosPort = DevelopmentCosmosPort,
        DataDirectory = DevelopmentDataDirectory,
    };
}

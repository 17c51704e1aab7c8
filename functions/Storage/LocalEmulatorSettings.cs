namespace Points.Functions.Storage;

/// <summary>
/// Configuration for running the app against the local emulators (tests, benchmarks): connection strings, the local
/// gateway mode, and creating the database and containers at start.
/// </summary>
public static class LocalEmulatorSettings
{
    public static Dictionary<string, string?> For(string cosmosConnectionString, string storageConnectionString, string database) => new()
    {
        ["Cosmos:ConnectionString"] = cosmosConnectionString,
        ["Cosmos:Database"] = database,
        ["Cosmos:LocalEmulator"] = "true",
        ["Cosmos:CreateIfMissing"] = "true",
        ["Storage:ConnectionString"] = storageConnectionString,
        ["Storage:CreateIfMissing"] = "true",
        ["Program:TimeZone"] = "Asia/Tokyo",
        ["Logging:LogLevel:Default"] = "Warning",
        // Tests and benchmarks drive thousands of requests a second through one key; the per-key limit has its own test.
        ["RateLimits:RequestsPerSecond"] = "1000000",
        ["RateLimits:Burst"] = "1000000",
    };
}

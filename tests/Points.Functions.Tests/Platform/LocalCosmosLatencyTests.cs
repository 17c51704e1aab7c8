using System.Diagnostics;
using System.Net;
using Microsoft.Azure.Cosmos;
using Points.Functions.Storage;
using Points.Tools.LocalStack;

namespace Points.Functions.Tests.Platform;

/// <summary>
/// <see cref="LocalStackOptions.CosmosLatency"/>: the local Cosmos server holds every request that long before handling
/// it (what <c>./points bench --cosmos-latency-ms</c> measures with), and refuses a latency out of range.
/// </summary>
public sealed class LocalCosmosLatencyTests
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task EveryRequest_WaitsAtLeastTheLatency()
    {
        await using var stack = await LocalStack.StartAsync(LocalStackOptions.ForTests() with { CosmosLatency = Latency });
        using var client = CosmosStorage.ConnectLocal(stack.CosmosConnectionString);
        var database = (await client.CreateDatabaseIfNotExistsAsync("latency")).Database;
        var container = (await database.CreateContainerIfNotExistsAsync("c", "/pk")).Container;

        var write = Stopwatch.StartNew();
        await container.UpsertItemAsync(new { id = "d", pk = "p" }, new PartitionKey("p"));
        write.Stop();
        var read = Stopwatch.StartNew();
        var missing = await container.ReadItemStreamAsync("absent", new PartitionKey("p"));
        read.Stop();

        Assert.Equal(Latency, stack.CosmosLatency);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.True(write.Elapsed >= Latency, $"the upsert took {write.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(read.Elapsed >= Latency, $"the read took {read.Elapsed.TotalMilliseconds:0} ms");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10_001)]
    public async Task ALatencyOutOfRange_IsRefusedBeforeAnythingStarts(int milliseconds)
    {
        var options = LocalStackOptions.ForTests() with { CosmosLatency = TimeSpan.FromMilliseconds(milliseconds) };

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => LocalStack.StartAsync(options));
    }
}

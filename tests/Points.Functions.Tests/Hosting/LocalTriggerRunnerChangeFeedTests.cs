using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;
using Points.Functions.Hosting;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Hosting;

/// <summary>
/// The app with the local trigger runner reading test declarations of two Cosmos DB trigger functions on containers of
/// the app's database: one records the documents it receives, one refuses its pages while told to.
/// </summary>
public sealed class ChangeFeedFunctionFixture : AppFixture
{
    public const string RecordingFunction = "RecordsChanges";
    public const string RefusingFunction = "RefusesWhileTold";
    public const string RecordedContainer = "feed-recorded";
    public const string RefusedContainer = "feed-refused";
    public const string LeaseContainer = "leases";

    public sealed record Item(string Id, string Pk, int Version);

    public string Declarations { get; } = Directory.CreateTempSubdirectory("points-changefeed-declarations-").FullName;
    /// <summary>Another app's database, so that this app's runner starts where that one's stopped.</summary>
    public string? SharedDatabase { get; init; }
    public ConcurrentQueue<Item> Recorded { get; } = new();
    public ConcurrentQueue<(int Status, string[] Ids)> RefusingCalls { get; } = new();
    public volatile bool Refusing;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        foreach (var (name, container) in new[] { (RecordingFunction, RecordedContainer), (RefusingFunction, RefusedContainer) })
        {
            Directory.CreateDirectory(Path.Combine(Declarations, name));
            File.WriteAllText(Path.Combine(Declarations, name, "function.json"), $$"""
                { "bindings": [ { "name": "documents", "type": "cosmosDBTrigger", "direction": "in", "connection": "Cosmos",
                  "databaseName": "%Cosmos__Database%", "containerName": "{{container}}", "leaseContainerName": "{{LeaseContainer}}" } ] }
                """);
        }
        if (SharedDatabase is not null) settings["Cosmos:Database"] = SharedDatabase;
        settings["LocalTriggers:Enabled"] = "true";
        settings["LocalTriggers:ChangeFeedPollMilliseconds"] = "100";
        settings["LocalTriggers:DeclarationsPath"] = Declarations;
    }

    /// <summary>The monitored containers exist before the runner starts, as in Azure (the trigger creates only its leases).</summary>
    protected override async Task BeforeStartAsync(WebApplication app)
    {
        var database = app.Services.GetRequiredService<CosmosStorage>().Ledger.Database;
        foreach (var container in new[] { RecordedContainer, RefusedContainer })
        {
            await database.CreateContainerIfNotExistsAsync(new ContainerProperties(container, "/pk"));
        }
    }

    protected override void ConfigureApp(WebApplication app)
    {
        app.MapPost("/" + RecordingFunction, async (HttpRequest request) =>
        {
            foreach (var item in await ReadDocumentsAsync(request)) Recorded.Enqueue(item);
            return InvocationReply.Ok("recorded");
        });
        app.MapPost("/" + RefusingFunction, async (HttpRequest request) =>
        {
            var items = await ReadDocumentsAsync(request);
            var refused = Refusing;
            RefusingCalls.Enqueue((refused ? 500 : 200, [.. items.Select(i => i.Id)]));
            return refused ? Results.StatusCode(500) : InvocationReply.Ok("accepted");
        });
    }

    /// <summary>A container of this app's database, through the app's own client.</summary>
    public Container Container(string name) => Service<CosmosStorage>().Ledger.Database.GetContainer(name);

    /// <summary>The continuation stored for <paramref name="function"/>, or null before its lease exists.</summary>
    public async Task<string?> LeaseAsync(string function)
    {
        var (lease, _) = await CosmosStorage.ReadOrNullAsync<JsonElement>(Container(LeaseContainer), function, function, CancellationToken.None);
        return lease.ValueKind == JsonValueKind.Object ? lease.GetProperty("continuation").GetString() : null;
    }

    /// <summary>Decodes the documents as a handler must: <c>Data.documents</c> is the array as JSON text, itself JSON-encoded as a string.</summary>
    private static async Task<List<Item>> ReadDocumentsAsync(HttpRequest request)
    {
        var payload = await InvocationPayload.ReadAsync(request.Body, keepData: true, request.HttpContext.RequestAborted);
        var documents = InvocationPayload.Unwrap(payload.Data.GetProperty("documents"))!;
        return JsonSerializer.Deserialize<List<Item>>(documents, JsonDefaults.Options)!;
    }
}

public sealed class LocalTriggerRunnerChangeFeedTests(ChangeFeedFunctionFixture app) : IClassFixture<ChangeFeedFunctionFixture>
{
    private static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(1); // ten polls: anything delivered twice would show

    [Fact]
    public async Task DocumentsWrittenAfterStart_ReachTheFunctionOnceEach_InWriteOrder()
    {
        var container = app.Container(ChangeFeedFunctionFixture.RecordedContainer);
        var ids = Enumerable.Range(0, 10).Select(i => $"r{i:00}-{Guid.NewGuid():N}").ToList();

        foreach (var (id, i) in ids.Select((id, i) => (id, i))) await container.UpsertItemAsync(new ChangeFeedFunctionFixture.Item(id, $"p{i % 3}", 1));

        await Eventually.WaitForAsync(() => app.Recorded.Count >= ids.Count, "the runner to deliver the ten documents");
        await Task.Delay(SettleTime);
        Assert.Equal(ids, app.Recorded.Select(i => i.Id));
    }

    [Fact]
    public async Task APageTheFunctionRefuses_IsSentAgain_WithoutTheLeaseMovingPastIt_UntilTheFunctionRecovers()
    {
        var container = app.Container(ChangeFeedFunctionFixture.RefusedContainer);
        var leaseBefore = await app.LeaseAsync(ChangeFeedFunctionFixture.RefusingFunction);
        Assert.NotNull(leaseBefore); // created from "now" when the runner started
        app.Refusing = true;
        var ids = Enumerable.Range(0, 3).Select(i => $"f{i}-{Guid.NewGuid():N}").ToList();
        foreach (var id in ids) await container.UpsertItemAsync(new ChangeFeedFunctionFixture.Item(id, "p", 1));

        await Eventually.WaitForAsync(() => app.RefusingCalls.Count >= 3, "three refused attempts");
        Assert.Equal(leaseBefore, await app.LeaseAsync(ChangeFeedFunctionFixture.RefusingFunction));
        app.Refusing = false;
        await Eventually.WaitForAsync(() => app.RefusingCalls.Any(c => c.Status == 200 && c.Ids.Contains(ids[^1])), "the recovered function to get the last document");
        await Task.Delay(SettleTime);

        var calls = app.RefusingCalls.ToList();
        var refused = calls.TakeWhile(c => c.Status == 500).ToList();
        Assert.True(refused.Count >= 3);
        Assert.All(refused, c => Assert.Equal(ids[0], c.Ids[0])); // every attempt starts at the refused page: no progress past it
        Assert.All(calls.Skip(refused.Count), c => Assert.Equal(200, c.Status));
        Assert.Equal(ids, calls.Skip(refused.Count).SelectMany(c => c.Ids)); // after recovery: each document once, in order
        Assert.NotEqual(leaseBefore, await app.LeaseAsync(ChangeFeedFunctionFixture.RefusingFunction));
    }

    [Fact]
    public async Task ASecondAppOnTheSameDatabase_ContinuesFromTheStoredContinuation_NotFromTheBeginningNorFromNow()
    {
        var first = new ChangeFeedFunctionFixture();
        await first.InitializeAsync();
        var database = first.Database;
        var before = new[] { "a1", "a2" }.Select(id => $"{id}-{Guid.NewGuid():N}").ToList();
        var whileStopped = new[] { "b1", "b2" }.Select(id => $"{id}-{Guid.NewGuid():N}").ToList();
        var afterRestart = $"c1-{Guid.NewGuid():N}";
        try
        {
            foreach (var id in before) await first.Container(ChangeFeedFunctionFixture.RecordedContainer).UpsertItemAsync(new ChangeFeedFunctionFixture.Item(id, "p", 1));
            await Eventually.WaitForAsync(() => first.Recorded.Count >= before.Count, "the first app to deliver its documents");
        }
        finally
        {
            await first.DisposeAsync();
        }
        // Written through this class's app (same Cosmos server, another database) while no runner follows the container.
        var stopped = app.Service<CosmosStorage>().Ledger.Database.Client.GetContainer(database, ChangeFeedFunctionFixture.RecordedContainer);
        foreach (var id in whileStopped) await stopped.UpsertItemAsync(new ChangeFeedFunctionFixture.Item(id, "p", 1));

        var second = new ChangeFeedFunctionFixture { SharedDatabase = database };
        await second.InitializeAsync();
        try
        {
            await second.Container(ChangeFeedFunctionFixture.RecordedContainer).UpsertItemAsync(new ChangeFeedFunctionFixture.Item(afterRestart, "p", 1));
            await Eventually.WaitForAsync(() => second.Recorded.Count >= 3, "the second app to deliver what was written since the first stopped");
            await Task.Delay(SettleTime);

            Assert.Equal(before, first.Recorded.Select(i => i.Id));
            Assert.Equal([.. whileStopped, afterRestart], second.Recorded.Select(i => i.Id));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }
}

using System.Net;
using Microsoft.Azure.Cosmos;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Platform;

/// <summary>
/// The local Cosmos server's change feed (tools/local-stack/cosmos-server.js) as the SDK's LatestVersion iterator sees
/// it: every document once from the beginning, then only what was written after a continuation, latest versions, in
/// write order, paged. Each test has its own container in the fixture's database.
/// </summary>
public sealed class LocalCosmosChangeFeedTests(LocalCosmosChangeFeedTests.Database db) : IClassFixture<LocalCosmosChangeFeedTests.Database>
{
    public sealed record Item(string Id, string Pk, int Version);

    [Fact]
    public async Task FromBeginning_SeesEveryDocumentOnce_AsItsLatestVersion()
    {
        var container = await db.NewContainerAsync();
        await UpsertAsync(container, Enumerable.Range(0, 10).Select(i => new Item($"d{i}", $"p{i % 3}", 1)));
        await container.UpsertItemAsync(new Item("d4", "p1", 2));

        var (items, _, _) = await DrainAsync(container, ChangeFeedStartFrom.Beginning());

        Assert.Equal(10, items.Count);
        Assert.Equal(items.Select(i => i.Id).Order(), Enumerable.Range(0, 10).Select(i => $"d{i}").Order());
        Assert.Equal(2, items.Single(i => i.Id == "d4").Version);
    }

    [Fact]
    public async Task FromContinuation_FiveNewUpserts_AreExactlyWhatIsSeen_ADocumentWrittenTwiceOnceAsItsSecondVersion()
    {
        var container = await db.NewContainerAsync();
        await UpsertAsync(container, Enumerable.Range(0, 10).Select(i => new Item($"old{i}", "p", 1)));
        var (_, _, continuation) = await DrainAsync(container, ChangeFeedStartFrom.Beginning());

        await UpsertAsync(container, Enumerable.Range(0, 5).Select(i => new Item($"new{i}", "p", 1)));
        await container.UpsertItemAsync(new Item("new2", "p", 2));
        var (items, _, _) = await DrainAsync(container, ChangeFeedStartFrom.ContinuationToken(continuation));

        // Ordered by the latest write: new2's second version comes after new4.
        Assert.Equal(["new0", "new1", "new3", "new4", "new2"], items.Select(i => i.Id));
        Assert.Equal(2, items[^1].Version);
    }

    [Fact]
    public async Task FromContinuation_AReplacedAndAPatchedOldDocument_ShowUp()
    {
        var container = await db.NewContainerAsync();
        await UpsertAsync(container, Enumerable.Range(0, 5).Select(i => new Item($"d{i}", "p", 1)));
        var (_, _, continuation) = await DrainAsync(container, ChangeFeedStartFrom.Beginning());

        await container.ReplaceItemAsync(new Item("d1", "p", 2), "d1", new PartitionKey("p"));
        await container.PatchItemAsync<Item>("d3", new PartitionKey("p"), [PatchOperation.Set("/version", 3)]);
        var (items, _, _) = await DrainAsync(container, ChangeFeedStartFrom.ContinuationToken(continuation));

        Assert.Equal([new Item("d1", "p", 2), new Item("d3", "p", 3)], items);
    }

    /// <summary>The read feed (no query) a scan pages through: each document once, in an order a replace during the scan keeps.</summary>
    [Fact]
    public async Task ReadFeed_PagesFromWhereTheLastStopped_AndADocumentReplacedMeanwhileIsNotReadTwice()
    {
        var container = await db.NewContainerAsync();
        await UpsertAsync(container, Enumerable.Range(0, 25).Select(i => new Item($"d{i:D2}", $"p{i % 4}", 1)));
        var seen = new List<Item>();
        string? continuation = null;
        do
        {
            using var iterator = container.GetItemQueryIterator<Item>(queryDefinition: null, continuation, new QueryRequestOptions { MaxItemCount = 10 });
            var page = await iterator.ReadNextAsync();
            seen.AddRange(page);
            continuation = page.ContinuationToken;
            // What a scan's grant does: write the members of the page it just read, and one it has not reached yet.
            foreach (var item in page) await container.ReplaceItemAsync(item with { Version = 2 }, item.Id, new PartitionKey(item.Pk));
            if (seen.Count == 10) await container.ReplaceItemAsync(new Item("d24", "p0", 3), "d24", new PartitionKey("p0"));
        }
        while (continuation is not null);

        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"d{i:D2}"), seen.Select(i => i.Id));
        Assert.Equal(3, seen.Single(i => i.Id == "d24").Version); // reached later, as it is then
    }

    [Fact]
    public async Task FromContinuation_NothingNew_IsNotModified_AndKeepsTheContinuation()
    {
        var container = await db.NewContainerAsync();
        await UpsertAsync(container, Enumerable.Range(0, 3).Select(i => new Item($"d{i}", "p", 1)));
        var (_, _, continuation) = await DrainAsync(container, ChangeFeedStartFrom.Beginning());

        using var iterator = container.GetChangeFeedIterator<Item>(ChangeFeedStartFrom.ContinuationToken(continuation), ChangeFeedMode.LatestVersion);
        var page = await iterator.ReadNextAsync();

        Assert.Equal(HttpStatusCode.NotModified, page.StatusCode);
        Assert.Equal(0, page.Count);
        Assert.Equal(continuation, page.ContinuationToken);
    }

    [Fact]
    public async Task FromNow_IgnoresOlderDocuments_AndSeesLaterOnes()
    {
        var container = await db.NewContainerAsync();
        await UpsertAsync(container, Enumerable.Range(0, 5).Select(i => new Item($"before{i}", "p", 1)));
        using var iterator = container.GetChangeFeedIterator<Item>(ChangeFeedStartFrom.Now(), ChangeFeedMode.LatestVersion);
        var first = await iterator.ReadNextAsync();
        Assert.Equal(HttpStatusCode.NotModified, first.StatusCode);

        await UpsertAsync(container, [new Item("after0", "p", 1), new Item("before3", "p", 2), new Item("after1", "q", 1)]);
        var (items, _, _) = await DrainAsync(container, ChangeFeedStartFrom.ContinuationToken(first.ContinuationToken));

        Assert.Equal(["after0", "before3", "after1"], items.Select(i => i.Id));
    }

    [Fact]
    public async Task SmallPageSize_PagesThroughEverythingInWriteOrder_WithoutLossOrDuplicates()
    {
        const int pageSize = 4;
        var container = await db.NewContainerAsync();
        var ids = Enumerable.Range(0, 23).Select(i => $"d{i:00}").ToList();
        await UpsertAsync(container, ids.Select((id, i) => new Item(id, $"p{i % 5}", 1)));

        var (items, pages, _) = await DrainAsync(container, ChangeFeedStartFrom.Beginning(), pageSize);

        Assert.Equal(ids, items.Select(i => i.Id));
        Assert.Equal([4, 4, 4, 4, 4, 3], pages);
    }

    /// <summary>
    /// Not the feed, but the same server: a write sent with <c>Prefer: return=minimal</c> (EnableContentResponseOnWrite
    /// false, the app's client default) is answered without the document but with its ETag, as Cosmos DB does; a write
    /// that asks for the document gets it.
    /// </summary>
    [Fact]
    public async Task Writes_WithoutContentResponse_AnswerTheETagOnly_AndWithIt_TheDocument()
    {
        var container = await db.NewContainerAsync();
        var key = new PartitionKey("p");

        var created = await container.CreateItemAsync(new Item("d", "p", 1), key);
        var replaced = await container.ReplaceItemAsync(new Item("d", "p", 2), "d", key, new ItemRequestOptions { IfMatchEtag = created.ETag });
        var upserted = await container.UpsertItemAsync(new Item("d", "p", 3), key, new ItemRequestOptions { EnableContentResponseOnWrite = true });
        using var stream = await container.ReplaceItemStreamAsync(new MemoryStream("""{"id":"d","pk":"p","version":4}"""u8.ToArray()), "d", key);
        var read = await container.ReadItemAsync<Item>("d", key);

        Assert.Equal((HttpStatusCode.Created, null), (created.StatusCode, created.Resource));
        Assert.Equal((HttpStatusCode.OK, null), (replaced.StatusCode, replaced.Resource));
        Assert.Equal(new Item("d", "p", 3), upserted.Resource);
        Assert.Equal((HttpStatusCode.OK, 0L), (stream.StatusCode, stream.Content?.Length ?? 0));
        Assert.Equal((stream.Headers.ETag, 4), (read.ETag, read.Resource.Version));
        Assert.All([created.ETag, replaced.ETag, upserted.ETag, stream.Headers.ETag], etag => Assert.False(string.IsNullOrEmpty(etag)));
    }

    /// <summary>Sequential writes, so that the write order is the order the feed must keep.</summary>
    private static async Task UpsertAsync(Container container, IEnumerable<Item> items)
    {
        foreach (var item in items) await container.UpsertItemAsync(item, new PartitionKey(item.Pk));
    }

    /// <summary>Reads pages until the feed says NotModified: what changed, the size of each page, and where to continue.</summary>
    private static async Task<(List<Item> Items, List<int> PageSizes, string Continuation)> DrainAsync(Container container, ChangeFeedStartFrom start,
        int? pageSize = null)
    {
        const int pagesMax = 100; // a feed that never reports NotModified is a failure, not a hang
        using var iterator = container.GetChangeFeedIterator<Item>(start, ChangeFeedMode.LatestVersion, new ChangeFeedRequestOptions { PageSizeHint = pageSize });
        var (items, pages) = (new List<Item>(), new List<int>());
        for (var read = 0; read < pagesMax; read++)
        {
            var page = await iterator.ReadNextAsync();
            if (page.StatusCode == HttpStatusCode.NotModified) return (items, pages, page.ContinuationToken);
            items.AddRange(page);
            pages.Add(page.Count);
        }
        throw new InvalidOperationException($"The change feed did not settle within {pagesMax} pages.");
    }

    /// <summary>A database of its own on the shared Cosmos server, with a client configured like the app's in local-emulator mode.</summary>
    public sealed class Database : IAsyncLifetime
    {
        private CosmosClient _client = null!;
        private Microsoft.Azure.Cosmos.Database _database = null!;

        public async Task InitializeAsync()
        {
            var emulators = await SharedEmulators.GetAsync();
            _client = CosmosStorage.ConnectLocal(emulators.CosmosConnectionString);
            _database = (await _client.CreateDatabaseIfNotExistsAsync("cf" + Guid.NewGuid().ToString("N")[..12])).Database;
        }

        public async Task<Container> NewContainerAsync() =>
            (await _database.CreateContainerAsync(new ContainerProperties("c" + Guid.NewGuid().ToString("N")[..8], "/pk"))).Container;

        public async Task DisposeAsync()
        {
            await _database.DeleteAsync();
            _client.Dispose();
        }
    }
}

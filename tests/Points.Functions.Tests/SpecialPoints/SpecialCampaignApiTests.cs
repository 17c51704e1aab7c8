using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Azure.Cosmos;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.SpecialPoints;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;
using Points.Functions.Tests.Ranks;
using Xunit.Abstractions;
using static Points.Functions.Tests.Ranks.PeriodicJobsKit;

namespace Points.Functions.Tests.SpecialPoints;

/// <summary>The seed's population of 10,000 members, written once per app (accounts and purchase pages, as the app stores them).</summary>
public sealed class PopulationFixture : RanksFixture
{
    public const int Members = 10_000;
    public const string Prefix = "pop-";
    private readonly SemaphoreSlim _seeding = new(1);
    private bool _seeded;

    public async Task EnsureSeededAsync()
    {
        await _seeding.WaitAsync();
        try
        {
            if (_seeded) return;
            var ledger = Service<CosmosStorage>().Ledger;
            var now = Clock.GetUtcNow();
            await Parallel.ForEachAsync(Enumerable.Range(0, Members), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
            {
                var member = Population.MemberOf(Prefix, i);
                await ledger.UpsertItemAsync(AccountDocument.Of(member, now), new PartitionKey(member.Id.Value), cancellationToken: ct);
                foreach (var month in Population.PurchasesOf(i).GroupBy(p => CalendarText.MonthOf(p.Day)))
                {
                    var page = new PurchasePage { Id = PurchasePage.IdOf(month.Key), MemberId = member.Id.Value, Month = month.Key, Purchases = [.. month] };
                    await ledger.UpsertItemAsync(page, new PartitionKey(member.Id.Value), cancellationToken: ct);
                }
            });
            _seeded = true;
        }
        finally
        {
            _seeding.Release();
        }
    }
}

/// <summary>
/// F26–F27 over HTTP on the generated population: every recipe counted by the synchronous preview, and a campaign
/// previewed and granted through the <c>ledger-jobs</c> queue, interrupted and resumed, granting each target once.
/// </summary>
public sealed class SpecialCampaignApiTests(PopulationFixture app, ITestOutputHelper output) : IClassFixture<PopulationFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => app.EnsureSeededAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static object Segment(string json) => JsonSerializer.Deserialize<JsonElement>(json);

    /// <summary>Three recipes over HTTP (SegmentTests checks every recipe's exact set; a scan of 10,000 members takes seconds on the local server).</summary>
    [Fact]
    public async Task Recipes_CountedByTheSynchronousPreview_MatchThePopulation()
    {
        foreach (var (name, segment, expected) in Population.Recipes.Where(r => r.Name is "never purchased" or "bought SKU-A" || r.Name.StartsWith("born", StringComparison.Ordinal)))
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var reply = await app.Client().SendAsync(HttpMethod.Post, "/api/v1/admin/special-grants/preview", new { segment = Segment(segment) });
            Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
            Assert.Equal((name, (long)Enumerable.Range(0, PopulationFixture.Members).Count(expected)), (name, reply.Long("count")));
            Assert.Equal(PopulationFixture.Members, reply.Long("membersRead"));
            Assert.All(reply.Body.GetProperty("sample").EnumerateArray(), m => Assert.True(expected(int.Parse(m.GetString()![PopulationFixture.Prefix.Length..], System.Globalization.CultureInfo.InvariantCulture))));
            output.WriteLine($"{name}: {reply.Long("count"):N0} of {PopulationFixture.Members:N0} in {watch.Elapsed.TotalSeconds:0.0} s");
        }
    }

    [Fact]
    public async Task Campaign_PreviewedAndGrantedThroughTheQueue_InterruptedAndResumed_GrantsEachTargetOnce()
    {
        var client = app.Client();
        var (_, segment, expected) = Population.Recipes.Single(r => r.Name.StartsWith("born in November", StringComparison.Ordinal));
        var targets = Enumerable.Range(0, PopulationFixture.Members).Where(expected).Select(i => $"{PopulationFixture.Prefix}{i:D5}").ToHashSet();
        var created = await client.SendAsync(HttpMethod.Post, "/api/v1/admin/special-campaigns",
            new { name = "November thanks", points = 300, expiresOn = "2026-12-31", segment = Segment(segment), notify = new { newsletterOnly = true } }, Infrastructure.Api.Unique("sc-"));
        Assert.True(created.Status == HttpStatusCode.Created, created.Text);
        var id = created.Body.GetProperty("campaignId").GetString()!;
        Assert.Equal("draft", created.Body.GetProperty("status").GetString());

        var previewing = await client.SendAsync(HttpMethod.Post, $"/api/v1/admin/special-campaigns/{id}/preview", null);
        Assert.Equal(HttpStatusCode.Accepted, previewing.Status);
        await DrainAsync();
        var previewed = await client.SendAsync(HttpMethod.Get, $"/api/v1/admin/special-campaigns/{id}");
        Assert.Equal(("previewed", (long)targets.Count), (previewed.Body.GetProperty("status").GetString(), previewed.Long("targeted")));

        // The grant: two pages, then a stop after the members of the second were granted but before its checkpoint
        // (its shard document is put back as it was), then the admin starts the grant again (a duplicate step).
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(HttpMethod.Post, $"/api/v1/admin/special-campaigns/{id}/grant", null)).Status);
        var store = app.Service<LedgerScanStore>();
        await DeliverAllAsync(app);
        var (beforeSecond, _) = await store.ReadShardAsync(id, CampaignScan.Grant, 0, CancellationToken.None);
        await DeliverAllAsync(app);
        var (_, etag) = await store.ReadShardAsync(id, CampaignScan.Grant, 0, CancellationToken.None);
        Assert.True(await store.TryWriteShardAsync(beforeSecond!, etag, CancellationToken.None));
        await TakeShardsAsync(app); // the step the lost checkpoint would have sent is lost with it
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(HttpMethod.Post, $"/api/v1/admin/special-campaigns/{id}/grant", null)).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(HttpMethod.Post, $"/api/v1/admin/special-campaigns/{id}/grant", null)).Status);
        await DrainAsync();

        var granted = await client.SendAsync(HttpMethod.Get, $"/api/v1/admin/special-campaigns/{id}");
        Assert.Equal("granted", granted.Body.GetProperty("status").GetString());
        var counts = granted.Body.GetProperty("grant");
        Assert.Equal((targets.Count, targets.Count, 0L), (counts.GetProperty("targeted").GetInt64(), counts.GetProperty("granted").GetInt64(), counts.GetProperty("skipped").GetInt64()));
        Assert.True(counts.GetProperty("grantedBefore").GetInt64() > 0, "the page done again found its members granted");
        Assert.Equal(PopulationFixture.Members, counts.GetProperty("membersRead").GetInt64());
        output.WriteLine($"grant: {counts}");

        var store2 = app.Service<LedgerStore>();
        foreach (var member in targets.Take(40))
        {
            var (account, _) = await store2.ReadAccountAsync(MemberId.Parse(member), CancellationToken.None);
            var lot = Assert.Single(account!.Ledger.Lots);
            Assert.Equal((300L, new DateOnly(2026, 12, 31), $"campaign:{id}"), (lot.Remaining.Value, lot.ExpiresOn!.Value, lot.Source));
            Assert.Equal("November thanks", Assert.Single(account.Journal).Reason);
        }
        var notify = (await new BlobServiceClient(app.Emulators.StorageConnectionString).GetBlobContainerClient("exports")
            .GetBlobClient(CampaignScan.NotifyBlobOf(id)).DownloadContentAsync()).Value.Content.ToString().TrimStart('\uFEFF');
        var listed = notify.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(targets.Where(m => int.Parse(m[PopulationFixture.Prefix.Length..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 0).Order(),
            listed.Select(l => l[0]).Order()); // newsletter subscribers only, each once
        Assert.All(listed, l => Assert.Equal(["300", "2026-12-31", "true"], l[1..]));
    }

    /// <summary>Delivers the app's ledger-jobs messages until none is left (each step sends the next).</summary>
    private async Task DrainAsync()
    {
        while ((await DeliverAllAsync(app)).Count > 0) { }
    }
}

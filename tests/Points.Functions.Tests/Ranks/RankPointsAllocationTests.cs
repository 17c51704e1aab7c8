using Xunit.Abstractions;
using Points.Functions.Ranks;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;
using static Points.Functions.Tests.Ranks.PeriodicJobsKit;

namespace Points.Functions.Tests.Ranks;

/// <summary>F19 monthly rank points: once per member and month, however often the job runs or a shard arrives.</summary>
public sealed class RankPointsAllocationTests(RanksFixture app, ITestOutputHelper output) : IClassFixture<RanksFixture>
{
    /// <summary>Bronze members present but not concerned: the job must not read or write them.</summary>
    private const int BronzeMembers = 60;
    /// <summary>The timer side: checkpoint read and write, one index query per rank with monthly points, settings.</summary>
    private const int TimerRequestsMax = 8;
    /// <summary>A member's account read and replace (the evaluation and the grant commit together).</summary>
    private const int RequestsPerRankedMemberMax = 2;
    /// <summary>Settings, rules and webhook subscriptions reads a shard may need (each cached a few seconds).</summary>
    private const int RequestsPerShardMax = 3;

    [Fact]
    public async Task MonthlyPoints_SilverGets100_GoldGets500_Once_EvenWhenTheJobRunsTwiceAndTheShardArrivesTwice_AndCostFollowsRankedMembers()
    {
        var client = app.Client();
        var silver = await ConcurrentlyAsync(2, async _ => { var m = await client.NewMemberAsync(); await PurchaseAsync(client, m, 60_000); return m; });
        var gold = await ConcurrentlyAsync(2, async _ => { var m = await client.NewMemberAsync(); await PurchaseAsync(client, m, 250_000); return m; });
        var bronze = await ConcurrentlyAsync(BronzeMembers, async i => { var m = await client.NewMemberAsync(); if (i % 2 == 0) await PurchaseAsync(client, m, 1_000); return m; });
        var bronzeETags = await ConcurrentlyAsync(bronze.Length, i => AccountETagAsync(app, bronze[i]));

        app.Time.SetUtcNow(JstAt(2026, 12, 1, 3, 30));
        var (timerRequests, shards, shardRequests) = await MeasuredRunAsync(app, AllocateRankPointsJob.FunctionName); // each shard delivered twice
        await InvokeTimerAsync(app, AllocateRankPointsJob.FunctionName); // and the job run again
        Assert.Empty(await TakeShardsAsync(app));

        foreach (var member in silver) Assert.Equal([("rank-allocation:2026-12", 100L)], await GrantsAsync(client, member, "rank-allocation:"));
        foreach (var member in gold) Assert.Equal([("rank-allocation:2026-12", 500L)], await GrantsAsync(client, member, "rank-allocation:"));
        Assert.Equal(2, shards.Count); // one list per rank with monthly points, a page each
        var ranked = silver.Length + gold.Length;
        Assert.True(timerRequests <= TimerRequestsMax, $"The timer run sent {timerRequests} Cosmos requests.");
        Assert.True(shardRequests <= RequestsPerRankedMemberMax * ranked + RequestsPerShardMax * shards.Count,
            $"Processing {ranked} ranked members sent {shardRequests} Cosmos requests.");
        Assert.Equal(bronzeETags, await ConcurrentlyAsync(bronze.Length, i => AccountETagAsync(app, bronze[i])));
        output.WriteLine($"AllocateRankPoints: timer {timerRequests} Cosmos requests; {shards.Count} shards, {shardRequests} requests for {ranked} ranked members among {BronzeMembers} bronze.");

        // The next month grants again, once.
        app.Time.SetUtcNow(JstAt(2027, 1, 1, 3, 30));
        await RunAsync(app, AllocateRankPointsJob.FunctionName, deliveries: 2);
        Assert.Equal([("rank-allocation:2026-12", 500L), ("rank-allocation:2027-01", 500L)], await GrantsAsync(client, gold[0], "rank-allocation:"));
    }

    [Fact]
    public async Task MessageThatIsNotAShard_IsRefused_AFailureTheHostRetriesThenPoisons()
    {
        await app.LedgerJobs.SendMessageAsync(Convert.ToBase64String("not a shard"u8.ToArray()));
        var (message, _) = Assert.Single(await TakeShardsAsync(app));

        var reply = await DeliverAsync(app, message, "not a shard");

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, reply.Status);
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Points.Functions.Hosting;
using Points.Functions.Ranks;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ranks.PeriodicJobsKit;

namespace Points.Functions.Tests.Ranks;

/// <summary>
/// The ranks app with the local trigger runner on, reading the shipped declarations (timer schedules moved to a moment
/// no test run meets, so only the tests' run-now requests fire them): shards go through Azurite's queue to
/// ProcessLedgerJobs exactly as the Functions host would send them.
/// </summary>
public sealed class RunnerFixture : RanksFixture
{
    /// <summary>00:00:00 UTC on the 1st of a month (monthly: the runner's wait must stay under Task.Delay's 49 days).</summary>
    private const string ScheduleNoTestMeets = "0 0 0 1 * *";

    public string Declarations { get; } = Directory.CreateTempSubdirectory("points-ranks-declarations-").FullName;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        foreach (var declaration in FunctionDeclarations.Load(FunctionDeclarations.DefaultDirectory).Where(d => !d.IsHttp && d.Trigger?.Type != "blobTrigger"))
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(FunctionDeclarations.DefaultDirectory, declaration.Name, "function.json")))!;
            foreach (var binding in json["bindings"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "timerTrigger"))
            {
                binding!["schedule"] = ScheduleNoTestMeets;
            }
            Directory.CreateDirectory(Path.Combine(Declarations, declaration.Name));
            File.WriteAllText(Path.Combine(Declarations, declaration.Name, "function.json"), json.ToJsonString());
        }
        settings["LocalTriggers:Enabled"] = "true";
        settings["LocalTriggers:QueuePollMilliseconds"] = "200";
        settings["LocalTriggers:DeclarationsPath"] = Declarations;
    }
}

public sealed class LedgerJobsThroughTheLocalTriggerRunnerTests(RunnerFixture app) : IClassFixture<RunnerFixture>
{
    [Fact]
    public async Task RunNow_SendsShardsThroughTheQueue_TheRunnerDeliversThem_AndARedeliveredShardGrantsNothingMore()
    {
        var client = app.Client();
        var gold = await client.NewMemberAsync();
        await PurchaseAsync(client, gold, 250_000);
        app.Time.SetUtcNow(JstAt(2026, 12, 1, 3, 30));

        var run = await app.Client(apiKey: null).SendAsync(HttpMethod.Post, "/admin/functions/" + AllocateRankPointsJob.FunctionName);
        Assert.True(run.Status == HttpStatusCode.OK, run.Text);
        await Eventually.WaitForAsync(async () => (await GrantsAsync(client, gold, "rank-allocation:")).Count > 0, "the runner to deliver the run's shards");

        // The same shard once more, as a queue may deliver it: processed, deleted, nothing granted.
        var shard = new LedgerJobShard(AllocateRankPointsJob.FunctionName, "2026-12", RankIndex.ListOf("gold"), [gold]);
        await app.LedgerJobs.SendMessageAsync(LedgerJobQueue.Encode(shard));
        await Eventually.WaitForAsync(async () => (await app.LedgerJobs.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the runner to take the redelivered shard off ledger-jobs");
        await Task.Delay(1000);

        Assert.Equal([("rank-allocation:2026-12", 500L)], await GrantsAsync(client, gold, "rank-allocation:"));
        Assert.False((await app.LedgerJobsPoison.PeekMessagesAsync()).Value.Any());
    }
}

using Points.Functions.Ranks;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ranks.PeriodicJobsKit;

namespace Points.Functions.Tests.Ranks;

/// <summary>
/// F18 end to end: a purchase raises the rank at once; only the monthly evaluation lowers it, on the 1st after the
/// trailing 12 months of purchases fell below the threshold. Shards are delivered by the test as the host would.
/// </summary>
public sealed class RankEvaluationTests(RanksFixture app) : IClassFixture<RanksFixture>
{
    [Fact]
    public async Task PurchaseUpgradesAtOnce_AndOnlyTheEvaluationOnTheFirst_AfterTheTrailingYearDropped_Downgrades()
    {
        var client = app.Client();
        var (once, again) = (await client.NewMemberAsync(), await client.NewMemberAsync());

        // 2026-11-23: 250,000 yen makes both gold at once, and lists them for the monthly jobs.
        await PurchaseAsync(client, once, 250_000);
        await PurchaseAsync(client, again, 250_000);
        Assert.Equal(("gold", "gold"), (await RankOfAsync(client, once), await RankOfAsync(client, again)));
        Assert.Equal(new[] { again, once }.Order(), (await ListedAsync(app, RankIndex.ListOf("gold"))).Order());

        // 2027-11-10: 60,000 yen more for one of them; a purchase never lowers a rank.
        app.Time.SetUtcNow(JstAt(2027, 11, 10, 12));
        await PurchaseAsync(client, again, 60_000);
        Assert.Equal("gold", await RankOfAsync(client, again));

        // The evaluation of November 2027 (the 12 months to October 2027 hold the 250,000) confirms both.
        app.Time.SetUtcNow(JstAt(2027, 11, 30, 23));
        await RunAsync(app, EvaluateRanksJob.FunctionName);
        Assert.Equal(("gold", "gold"), (await RankOfAsync(client, once), await RankOfAsync(client, again)));

        // December 1st, before the evaluation: the trailing year is empty for one, 60,000 for the other, yet ranks stay.
        app.Time.SetUtcNow(JstAt(2027, 12, 1, 0, 1));
        Assert.Equal(("gold", "gold"), (await RankOfAsync(client, once), await RankOfAsync(client, again)));

        app.Time.SetUtcNow(JstAt(2027, 12, 1, 3));
        var shards = await RunAsync(app, EvaluateRanksJob.FunctionName);

        Assert.Single(shards);
        Assert.Equal(("bronze", "silver"), (await RankOfAsync(client, once), await RankOfAsync(client, again)));
        Assert.Empty(await ListedAsync(app, RankIndex.ListOf("gold")));
        Assert.Equal([again], await ListedAsync(app, RankIndex.ListOf("silver")));

        // A second run the same month sends nothing; the old shard delivered again changes nothing either.
        await InvokeTimerAsync(app, EvaluateRanksJob.FunctionName, isPastDue: true);
        Assert.Empty(await TakeShardsAsync(app));
        Assert.Equal(200, (int)(await DeliverAsync(app, shards[0].Message, shards[0].Text, dequeueCount: 2)).Status);
        Assert.Equal(("bronze", "silver"), (await RankOfAsync(client, once), await RankOfAsync(client, again)));
    }

    /// <summary>The evaluation never undoes what a purchase made this month would give back at once. Own app: own clock.</summary>
    public sealed class PurchaseOnTheFirst(RanksFixture app) : IClassFixture<RanksFixture>
    {
        [Fact]
        public async Task PurchaseAt0100OnTheFirst_IsNotUndoneByTheEvaluationAt0300()
        {
            // The 12 complete months before December 2026 hold nothing, but 60,000 yen at 01:00 on December 1st made
            // the member silver; the purchase-time metric counts it, so the evaluation keeps silver.
            var client = app.Client();
            var member = await client.NewMemberAsync();
            app.Time.SetUtcNow(JstAt(2026, 12, 1, 1));
            await PurchaseAsync(client, member, 60_000);
            Assert.Equal("silver", await RankOfAsync(client, member));

            app.Time.SetUtcNow(JstAt(2026, 12, 1, 3));
            await RunAsync(app, EvaluateRanksJob.FunctionName);

            Assert.Equal("silver", await RankOfAsync(client, member));
            Assert.Equal([member], await ListedAsync(app, RankIndex.ListOf("silver")));
        }
    }
}

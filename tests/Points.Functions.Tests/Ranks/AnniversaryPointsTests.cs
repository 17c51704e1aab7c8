using Points.Functions.Ranks;
using Points.Functions.Tests.Infrastructure;
using Xunit.Abstractions;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;
using static Points.Functions.Tests.Ranks.PeriodicJobsKit;

namespace Points.Functions.Tests.Ranks;

/// <summary>
/// F19 anniversary points by the <c>anniversary</c> rules: on the join date's month and day each year after the first,
/// Feb 29 joiners on Feb 28 of common years, once a year whatever reruns. The clock starts on 2025-02-27.
/// </summary>
public sealed class AnniversaryPointsTests(EarlyClockFixture app, ITestOutputHelper output) : IClassFixture<EarlyClockFixture>
{
    /// <summary>Members who joined on other days: present, never read.</summary>
    private const int OtherMembers = 40;
    private const int TimerRequestsMax = 8;
    /// <summary>Account read and replace.</summary>
    private const int RequestsPerConcernedMemberMax = 2;
    private const int RequestsPerShardMax = 3;
    private const long AnniversaryPoints = 300;

    [Fact]
    public async Task JoinedOn20240229_Gets_On20250228_And20280229_NotOn20280228_OncePerYear_AndCostFollowsTheMembersOfTheDay()
    {
        var client = app.Client();
        var rule = await client.SendAsync(HttpMethod.Put, "/api/v1/admin/rules/anniversary", new { trigger = "anniversary", formula = new { type = "fixed", points = AnniversaryPoints } });
        Assert.True(rule.Status == System.Net.HttpStatusCode.OK, rule.Text);
        app.Time.Advance(TimeSpan.FromSeconds(6)); // past the rules cache

        var leapDay = await client.NewMemberAsync(profile: new { joinedOn = "2024-02-29" });
        var dayBefore = await client.NewMemberAsync(profile: new { joinedOn = "2024-02-28" });
        var joinedToday = await client.NewMemberAsync(profile: new { joinedOn = "2025-02-27" });
        var others = await ConcurrentlyAsync(OtherMembers, i =>
            client.NewMemberAsync(profile: new { joinedOn = new DateOnly(2023, 3, 1).AddDays(i * 7).ToString("yyyy-MM-dd") }));
        var othersETags = await ConcurrentlyAsync(others.Length, i => AccountETagAsync(app, others[i]));

        // 2025-02-27: the member who joined today gets nothing (the first anniversary is a year after joining).
        await RunAsync(app, GrantAnniversaryPointsJob.FunctionName);
        Assert.Empty(await GrantsAsync(client, joinedToday, "anniversary:"));

        // 2025-02-28, a common year: Feb 28 and Feb 29 joiners. The job runs twice and the shards arrive twice.
        app.Time.SetUtcNow(JstAt(2025, 2, 28, 0, 15));
        var (timerRequests, shards, shardRequests) = await MeasuredRunAsync(app, GrantAnniversaryPointsJob.FunctionName);
        await RunAsync(app, GrantAnniversaryPointsJob.FunctionName, deliveries: 2);

        Assert.Equal([("anniversary:2025", AnniversaryPoints)], await GrantsAsync(client, leapDay, "anniversary:"));
        Assert.Equal([("anniversary:2025", AnniversaryPoints)], await GrantsAsync(client, dayBefore, "anniversary:"));
        Assert.Equal(2, shards.Count); // anniversary|02-28 and anniversary|02-29
        Assert.True(timerRequests <= TimerRequestsMax, $"The timer run sent {timerRequests} Cosmos requests.");
        Assert.True(shardRequests <= RequestsPerConcernedMemberMax * 2 + RequestsPerShardMax * shards.Count,
            $"Processing 2 members of the day sent {shardRequests} Cosmos requests.");
        Assert.Equal(othersETags, await ConcurrentlyAsync(others.Length, i => AccountETagAsync(app, others[i])));
        output.WriteLine($"GrantAnniversaryPoints: timer {timerRequests} Cosmos requests; {shards.Count} shards, {shardRequests} requests for 2 members of the day among {OtherMembers + 1} others.");

        // 2028-02-28, a leap year: the Feb 28 joiner only; the Feb 29 joiner waits for the 29th.
        app.Time.SetUtcNow(JstAt(2028, 2, 28, 0, 15));
        await RunAsync(app, GrantAnniversaryPointsJob.FunctionName);
        Assert.Equal([("anniversary:2025", AnniversaryPoints), ("anniversary:2028", AnniversaryPoints)], await GrantsAsync(client, dayBefore, "anniversary:"));
        Assert.Equal([("anniversary:2025", AnniversaryPoints)], await GrantsAsync(client, leapDay, "anniversary:"));

        app.Time.SetUtcNow(JstAt(2028, 2, 29, 0, 15));
        await RunAsync(app, GrantAnniversaryPointsJob.FunctionName, deliveries: 2);
        Assert.Equal([("anniversary:2025", AnniversaryPoints), ("anniversary:2028", AnniversaryPoints)], await GrantsAsync(client, leapDay, "anniversary:"));
        Assert.Equal([("anniversary:2025", AnniversaryPoints), ("anniversary:2028", AnniversaryPoints)], await GrantsAsync(client, dayBefore, "anniversary:"));
    }

    [Fact]
    public void ListsDueOnFeb28_IncludeFeb29Joiners_OnlyInCommonYears()
    {
        Assert.Equal(["anniversary|02-28", "anniversary|02-29"], AnniversaryIndex.ListsDueOn(new DateOnly(2025, 2, 28)));
        Assert.Equal(["anniversary|02-28"], AnniversaryIndex.ListsDueOn(new DateOnly(2028, 2, 28)));
        Assert.Equal(["anniversary|02-29"], AnniversaryIndex.ListsDueOn(new DateOnly(2028, 2, 29)));
    }
}

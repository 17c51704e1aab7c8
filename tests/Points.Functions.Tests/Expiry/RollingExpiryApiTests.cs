using System.Net;
using System.Text.RegularExpressions;
using Points.Functions.Ledger;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;

namespace Points.Functions.Tests.Expiry;

/// <summary>rolling(12) end to end: activity moves the lots, the due index follows them, the job skips the old date unread.</summary>
public sealed partial class RollingExpiryApiTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task ASpendMovesTheLots_TheJobSkipsTheOldDateWithoutReading_AndExpiresThemOnTheNewOne()
    {
        var client = fixture.Client();
        var settings = await client.PutSettingsAsync(new
        {
            timeZone = "Asia/Tokyo", yenPerPoint = 1, regularExpiry = new { type = "rolling", months = 12, extendOn = new[] { "spend" } },
        });
        Assert.Equal(HttpStatusCode.OK, settings.Status);
        AssertInvocationReply(await InvokeExpirePointsAsync(fixture)); // the checkpoint: the runs below cover the days since
        var active = await client.NewMemberAsync(points: 100); // an adjustment, no activity: expires 2027-11-23
        var idle = await client.NewMemberAsync(points: 100);
        Assert.Equal("2027-11-23 100", Expiring(await client.GetMemberAsync(active)));

        fixture.Clock.SetUtcNow(new DateTimeOffset(2027, 1, 10, 12, 0, 0, Jst));
        Assert.Equal(HttpStatusCode.Created, (await client.RedeemAsync(active, 10)).Status);
        Assert.Equal("2028-01-10 90", Expiring(await client.GetMemberAsync(active)));
        var history = await HistoryAsync(client, active);
        Assert.Equal(("extend", 0L, 90L), (history[0].Type, history[0].Points, history[0].BalanceAfter));
        var extend = (await client.SendAsync(HttpMethod.Get, $"/api/v1/members/{active}/transactions?limit=1")).Body.GetProperty("items")[0];
        Assert.Equal(["-90 regular 2027-11-23", "90 regular 2028-01-10"], extend.GetProperty("lots").EnumerateArray()
            .Select(l => $"{l.GetProperty("points").GetInt64()} {l.GetProperty("kind").GetString()} {l.GetProperty("expiresOn").GetString()}"));
        await Eventually.WaitForAsync(async () => (await LeftAsync(new DateOnly(2027, 11, 24))).Contains(active), "the member leaving 2027-11-24");

        fixture.Clock.SetUtcNow(new DateTimeOffset(2027, 11, 24, 0, 5, 0, Jst));
        var etagBefore = await AccountETagAsync(fixture, active);
        var run = await InvokeExpirePointsAsync(fixture);

        AssertInvocationReply(run);
        Assert.Equal((1, 1), Counts(run)); // the idle member swept, the active one skipped
        Assert.Equal(("expire", -100L), ((await HistoryAsync(client, idle))[0].Type, (await HistoryAsync(client, idle))[0].Points));
        Assert.Equal(90, (await client.GetMemberAsync(active)).Long("balance"));
        Assert.Equal(etagBefore, await AccountETagAsync(fixture, active));

        fixture.Clock.SetUtcNow(new DateTimeOffset(2028, 1, 11, 0, 5, 0, Jst));
        run = await InvokeExpirePointsAsync(fixture);
        Assert.Equal((1, 0), Counts(run));
        Assert.Equal(("expire", -90L, 0L), ((await HistoryAsync(client, active))[0].Type, (await HistoryAsync(client, active))[0].Points,
            (await HistoryAsync(client, active))[0].BalanceAfter));
        Assert.Empty(await LeftAsync(new DateOnly(2027, 11, 24))); // swept dates leave nothing behind
    }

    private async Task<IReadOnlySet<string>> LeftAsync(DateOnly dueOn) =>
        (await fixture.Service<DueIndex>().ReadLeftAsync(DueIndex.Expiry, dueOn, CancellationToken.None)).Members;

    /// <summary>Members swept and members skipped, from the invocation's return value.</summary>
    private static (int Swept, int Skipped) Counts(Infrastructure.Api.Reply run)
    {
        var match = RunCounts().Match(run.Text);
        Assert.True(match.Success, run.Text);
        return (int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"for (\d+) members over \d+ due dates, (\d+) skipped")]
    private static partial Regex RunCounts();
}

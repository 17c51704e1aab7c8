using System.Net;
using Azure.Storage.Blobs;
using Points.Functions.Expiry;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;

namespace Points.Functions.Tests.Expiry;

/// <summary>F17: the daily reminder file lists each member once per expiry date and offset, through the due index.</summary>
public sealed class ExpiryReminderTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private readonly HttpClient _client = fixture.Client();

    private async Task<string> WithSpecialAsync(long points, string expiresOn, bool newsletter = false)
    {
        var member = Infrastructure.Api.NewMemberId();
        Assert.Equal(HttpStatusCode.Created, (await _client.PutMemberAsync(member, new { newsletterOptIn = newsletter })).Status);
        Assert.Equal(HttpStatusCode.Created, (await _client.AdjustAsync(member, points, "special", expiresOn)).Status);
        return member;
    }

    private async Task<List<string[]>> FileAsync(string day)
    {
        var blob = new BlobServiceClient(fixture.Emulators.StorageConnectionString).GetBlobContainerClient("exports")
            .GetBlobClient($"{ExpiryRemindersJob.Folder}{day}.csv");
        var text = (await blob.DownloadContentAsync()).Value.Content.ToString().TrimStart('\uFEFF');
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("member_id,expires_on,points,newsletter_opt_in,kind,offset_days", lines[0]);
        return [.. lines.Skip(1).Select(l => l.Split(','))];
    }

    [Fact]
    public async Task Reminders_ListEachMemberOncePerDateAndOffset_AcrossRerunsAndCatchUp_AndNotThoseWhoSpentThePoints()
    {
        await fixture.SetSettingsSectionAsync("reminders", new System.Text.Json.Nodes.JsonObject { ["offsetsDays"] = new System.Text.Json.Nodes.JsonArray(30, 7), ["minimumPoints"] = 10 });
        var monthAhead = await WithSpecialAsync(50, "2026-12-23", newsletter: true);
        var weekAhead = await WithSpecialAsync(40, "2026-11-30");
        var tooFew = await WithSpecialAsync(5, "2026-12-23");
        var spent = await WithSpecialAsync(50, "2026-12-23");
        Assert.Equal(HttpStatusCode.Created, (await _client.RedeemAsync(spent, 50)).Status);
        var caughtUp = await WithSpecialAsync(20, "2026-12-25");
        var summary = await _client.GetMemberAsync(weekAhead);
        Assert.Equal(("2026-11-30", 40L, 40L), (summary.Body.GetProperty("nextExpiry").GetProperty("date").GetString(),
            summary.Body.GetProperty("nextExpiry").GetProperty("points").GetInt64(), summary.Long("expiringWithin30Days")));
        await Eventually.WaitForAsync(async () => (await ListedAsync(new DateOnly(2026, 12, 24))).Contains(monthAhead), "the listings");

        AssertInvocationReply(await Ranks.PeriodicJobsKit.InvokeTimerAsync(fixture, ExpiryRemindersJob.FunctionName));
        var first = await FileAsync("2026-11-23");
        AssertInvocationReply(await Ranks.PeriodicJobsKit.InvokeTimerAsync(fixture, ExpiryRemindersJob.FunctionName)); // a rerun the same day
        fixture.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 0, 30, 0, Jst)); // two days missed: caught up
        AssertInvocationReply(await Ranks.PeriodicJobsKit.InvokeTimerAsync(fixture, ExpiryRemindersJob.FunctionName));

        Assert.Equal(
            [[monthAhead, "2026-12-23", "50", "true", "special", "30"], [weekAhead, "2026-11-30", "40", "false", "special", "7"]],
            first.Where(r => r[0] == monthAhead || r[0] == weekAhead || r[0] == tooFew || r[0] == spent));
        Assert.Equal(first, await FileAsync("2026-11-23"));
        var all = new List<string[]>();
        foreach (var day in new[] { "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26" }) all.AddRange(await FileAsync(day));
        var mine = all.Where(r => new[] { monthAhead, weekAhead, tooFew, spent, caughtUp }.Contains(r[0])).ToList();
        Assert.Equal(3, mine.Count);
        Assert.Equal([caughtUp, "2026-12-25", "20", "false", "special", "30"], Assert.Single(await FileAsync("2026-11-25"), r => r[0] == caughtUp));
        Assert.Equal(mine.Count, mine.Select(r => (r[0], r[1], r[5])).Distinct().Count());
    }

    private async Task<List<string>> ListedAsync(DateOnly dueOn)
    {
        var members = new List<string>();
        await foreach (var chunk in fixture.Service<Points.Functions.Ledger.DueIndex>().ReadChunksAsync("expiry", dueOn, CancellationToken.None))
        {
            members.AddRange(chunk.Members);
        }
        return members;
    }
}

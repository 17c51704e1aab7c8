using System.Net;
using Points.Functions.Expiry;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ranks.PeriodicJobsKit;

namespace Points.Functions.Tests.Earning;

/// <summary>F38 through the API: a rule grants pending points; they show, cannot be spent, activate by the timer, and a reversal cancels them.</summary>
public sealed class PendingPointsApiTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task PendingPurchasePoints_ShowButCannotBeSpent_ActivateAfterSevenDays_AndAReversalCancelsThem()
    {
        var client = app.Client();
        var tag = "pend" + Guid.NewGuid().ToString("N")[..6];
        var rule = await client.SendAsync(HttpMethod.Put, $"/api/v1/admin/rules/{tag}", new
        {
            trigger = "purchase", formula = new { type = "rate", unitYen = 100, pointsPerUnit = 1 }, grant = new { kind = "regular", pendingDays = 7 },
            eligibility = new { tags = new[] { tag } },
        });
        Assert.True(rule.Status == HttpStatusCode.OK, rule.Text);
        app.Clock.Advance(TimeSpan.FromSeconds(6));
        var member = await client.NewMemberAsync(profile: new { tags = new[] { tag } });

        var kept = await client.SendAsync(HttpMethod.Post, "/api/v1/events", new { eventId = $"{member}-buy-1", memberId = member, type = "purchase", amount = 10_000 });
        var returned = await client.SendAsync(HttpMethod.Post, "/api/v1/events", new { eventId = $"{member}-buy-2", memberId = member, type = "purchase", amount = 5_000 });
        Assert.Equal("2026-11-30", kept.Body.GetProperty("awarded")[0].GetProperty("pendingUntil").GetString());
        var summary = await client.GetMemberAsync(member);
        Assert.Equal((0L, 150L), (summary.Long("balance"), summary.Long("pending")));
        Assert.Equal("insufficient_points", (await client.RedeemAsync(member, 1)).Code);
        var history = await client.TransactionsAsync(member, limit: 1);
        Assert.True(history.Body.GetProperty("items")[0].GetProperty("pending").GetBoolean());

        // The goods of the second purchase came back within the window: its pending points are cancelled.
        var reversal = await client.SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/reversals", new { reference = $"{member}-buy-2" }, $"{member}-rev");
        Assert.Equal((HttpStatusCode.Created, -50L, 0L), (reversal.Status, reversal.Long("points"), reversal.Long("balance")));

        app.Clock.Advance(TimeSpan.FromDays(7));
        var run = await InvokeTimerAsync(app, ActivatePendingPointsJob.FunctionName);
        Assert.Equal(HttpStatusCode.OK, run.Status);

        summary = await client.GetMemberAsync(member);
        Assert.Equal((100L, 0L), (summary.Long("balance"), summary.Long("pending")));
        var activation = (await client.TransactionsAsync(member, limit: 1)).Body.GetProperty("items")[0];
        Assert.Equal(("activate", 100L, 100L), (activation.GetProperty("type").GetString(), activation.GetProperty("points").GetInt64(), activation.GetProperty("balanceAfter").GetInt64()));
        Assert.Equal(HttpStatusCode.Created, (await client.RedeemAsync(member, 100)).Status);
    }
}

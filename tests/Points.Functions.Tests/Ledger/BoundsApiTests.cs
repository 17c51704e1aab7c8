using System.Net;
using Points.Domain.Primitives;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Infrastructure.Api;

namespace Points.Functions.Tests.Ledger;

/// <summary>
/// Regression (found by a hostile client): one request whose award overflowed failed the 30 valid requests queued with
/// it for the same member (500 for the whole batch). Bounds are business refusals now, and a request fails alone.
/// </summary>
public sealed class BoundsApiTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task PoisonedBatch_TheValidRedemptionsAllSucceed_TheOverflowingEventIs422()
    {
        var tag = Unique("huge");
        var rule = await app.Client().SendAsync(HttpMethod.Put, $"/api/v1/admin/rules/{tag}", new
        {
            trigger = "purchase", formula = new { type = "rate", unitYen = 1, pointsPerUnit = 1_000_000 }, eligibility = new { tags = new[] { tag } },
        });
        Assert.Equal(HttpStatusCode.OK, rule.Status);
        app.Clock.Advance(TimeSpan.FromSeconds(6)); // past the rules cache
        var member = await app.Client().NewMemberAsync(points: 30, profile: new { tags = new[] { tag } });

        var redemptions = Enumerable.Range(0, 30).Select(_ => app.Client().RedeemAsync(member, 1)).ToList();
        var overflowing = app.Client().SendAsync(HttpMethod.Post, "/api/v1/events",
            new { eventId = Unique("e-"), memberId = member, type = "purchase", amount = 100_000_000 }); // 10^14 points
        var replies = await Task.WhenAll(redemptions);
        var bad = await overflowing;

        Assert.All(replies, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "amount_too_large"), (bad.Status, bad.Code));
        Assert.Equal(0, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task BalanceAtTheBound_RefusesTheCreditThatWouldPassIt_AndTakesOneThatFits()
    {
        var member = await app.Client().NewMemberAsync();
        var fills = await Task.WhenAll(Enumerable.Range(0, (int)(PointAmount.MaxMagnitude / PointAmount.PerRequestMax))
            .Select(_ => app.Client().AdjustAsync(member, PointAmount.PerRequestMax)));
        Assert.All(fills, r => Assert.Equal(HttpStatusCode.Created, r.Status));

        var past = await app.Client().AdjustAsync(member, 1);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "balance_limit_exceeded"), (past.Status, past.Code));
        Assert.Equal(HttpStatusCode.Created, (await app.Client().RedeemAsync(member, 5)).Status);
        Assert.Equal(HttpStatusCode.Created, (await app.Client().AdjustAsync(member, 5)).Status);
        Assert.Equal(PointAmount.MaxMagnitude, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }
}

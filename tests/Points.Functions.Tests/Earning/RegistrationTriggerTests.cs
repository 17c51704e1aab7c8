using System.Net;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Earning;

/// <summary>
/// Regression (found in review): registration and referral triggers fired again on a PUT made after the 7-day
/// idempotency window. They are now recorded on the member's account in the commit that grants them.
/// </summary>
public sealed class RegistrationTriggerTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task ProfileUpdateMonthsLater_FiresNoRegistrationOrReferralPointsAgain()
    {
        var client = app.Client();
        var tag = "reg" + Guid.NewGuid().ToString("N")[..6];
        foreach (var (id, trigger, points) in new[] { ("r", "registration", 50), ("f", "referral", 300), ("w", "referral_welcome", 100) })
        {
            var rule = await client.SendAsync(HttpMethod.Put, $"/api/v1/admin/rules/{tag}-{id}",
                new { trigger, formula = new { type = "fixed", points }, eligibility = new { tags = new[] { tag } } });
            Assert.True(rule.Status == HttpStatusCode.OK, rule.Text);
        }
        app.Clock.Advance(TimeSpan.FromSeconds(6));
        var referrer = "m-" + Guid.NewGuid().ToString("N")[..10];
        var code = (await client.PutMemberAsync(referrer, new { tags = new[] { tag } })).Body.GetProperty("referralCode").GetString();
        var newcomer = "m-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(150, (await client.PutMemberAsync(newcomer, new { tags = new[] { tag }, referredByCode = code })).Long("balance"));

        app.Clock.Advance(TimeSpan.FromDays(60));
        // A commit after the window drops the old idempotency records from both accounts.
        await client.AdjustAsync(newcomer, 1);
        await client.AdjustAsync(referrer, 1);
        var update = await client.PutMemberAsync(newcomer, new { tags = new[] { tag, "vip" }, referredByCode = code });
        await client.PutMemberAsync(referrer, new { tags = new[] { tag, "vip" } });

        Assert.Equal((HttpStatusCode.OK, 151L), (update.Status, update.Long("balance")));
        Assert.Equal(351, (await client.GetMemberAsync(referrer)).Long("balance"));
    }
}

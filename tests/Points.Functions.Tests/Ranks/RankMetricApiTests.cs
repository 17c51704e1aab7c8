using System.Net;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ranks.PeriodicJobsKit;

namespace Points.Functions.Tests.Ranks;

/// <summary>Seed 002's rank metrics over HTTP: ranks by the number of purchases, thresholds in that unit.</summary>
public sealed class RankMetricApiTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task RanksByPurchaseCount_UpgradeOnTheThirdPurchase_AndSettingsWithoutThresholdsAreRefused()
    {
        var client = app.Client();
        var refused = await client.PutSettingsAsync(new
        {
            rankMetric = new { kind = "purchaseCount", months = 6 },
            ranks = new object[] { new { name = "regular", thresholdYen = 0, multiplierPermille = 1000, monthlyPoints = 0 }, new { name = "vip", thresholdYen = 50_000, multiplierPermille = 1500, monthlyPoints = 0 } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("ranks", refused.Body.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        var badKind = await client.PutSettingsAsync(new { rankMetric = new { kind = "visits", months = 13 } });
        Assert.Equal(["rankMetric.kind", "rankMetric.months"], badKind.Body.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());

        var saved = await client.PutSettingsAsync(new
        {
            rankMetric = new { kind = "purchaseCount", months = 6 },
            ranks = new object[]
            {
                new { name = "regular", threshold = 0, multiplierPermille = 1000, monthlyPoints = 0 },
                new { name = "vip", threshold = 3, multiplierPermille = 1500, monthlyPoints = 0 },
            },
        });
        Assert.True(saved.Status == HttpStatusCode.OK, saved.Text);
        app.Clock.Advance(TimeSpan.FromSeconds(6)); // past the settings cache
        var member = await client.NewMemberAsync();

        await PurchaseAsync(client, member, 100);
        await PurchaseAsync(client, member, 100);
        Assert.Equal("regular", await RankOfAsync(client, member));
        await PurchaseAsync(client, member, 100);
        Assert.Equal("vip", await RankOfAsync(client, member));
    }
}

using System.Net;
using Points.Functions.Tests.Infrastructure;
using Points.Tools.Demo;

namespace Points.Functions.Tests.Onboarding;

/// <summary>The demo program a fresh <c>./points run</c> seeds (issue 17), through the API, on an empty database only.</summary>
public sealed class DemoProgramTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task AnEmptyDatabase_GetsTheDemoProgram_Once_AndTheReadmesFirstCurlWorksOnIt()
    {
        Assert.True(await DemoProgram.SeedIfEmptyAsync(app.Client(), app.Clock.GetUtcNow(), CancellationToken.None));
        Assert.False(await DemoProgram.SeedIfEmptyAsync(app.Client(), app.Clock.GetUtcNow(), CancellationToken.None));

        // The README's first curl: the first demo member, who registered (100), bought for ¥1,000 (10), logged in (5) and spent 50.
        var first = await app.Client().GetMemberAsync(DemoProgram.Members[0]);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(65, first.Long("balance"));
        Assert.Equal("shibuya", first.Body.GetProperty("storeId").GetString());
        foreach (var member in DemoProgram.Members)
        {
            var history = await app.Client().TransactionsAsync(member);
            Assert.True(history.Body.GetProperty("items").GetArrayLength() >= 3, $"{member}: {history.Text}");
        }
        var vip = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/members?tag=vip&limit=200");
        Assert.Equal(["demo-01", "demo-04", "demo-07", "demo-10"], vip.Body.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("memberId").GetString()).Order());
        var rules = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/rules");
        Assert.All(DemoProgram.Rules, rule => Assert.Contains(rule, rules.Text, StringComparison.Ordinal));
        var catalog = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/catalog");
        Assert.All(DemoProgram.CatalogItems, item => Assert.Contains(item, catalog.Text, StringComparison.Ordinal));
        var settings = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/settings");
        Assert.Equal(6, settings.Body.GetProperty("stores").GetArrayLength());
    }
}

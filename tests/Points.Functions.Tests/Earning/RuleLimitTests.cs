using System.Net;
using Points.Functions.Earning;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Earning;

/// <summary>Regression (found in review): a 201st rule threw and answered 500; the catalog answers its own limit with 400.</summary>
public sealed class RuleLimitTests(AppFixture app) : IClassFixture<AppFixture>
{
    private Task<Infrastructure.Api.Reply> PutRuleAsync(string ruleId) =>
        app.Client().SendAsync(HttpMethod.Put, $"/api/v1/admin/rules/{ruleId}", new { trigger = "login", formula = new { type = "fixed", points = 1 } });

    [Fact]
    public async Task The201stRule_Is400NamingRuleId_ChangesAndDeletedRulesMakeRoom()
    {
        for (var i = 0; i < EarningConfigStore.RulesMax; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await PutRuleAsync($"r{i:D3}")).Status);
        }

        var tooMany = await PutRuleAsync("one-more");
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_request"), (tooMany.Status, tooMany.Code));
        Assert.True(tooMany.Body.GetProperty("errors").TryGetProperty("ruleId", out _), tooMany.Text);

        Assert.Equal(HttpStatusCode.OK, (await PutRuleAsync("r000")).Status); // a change of an existing rule is no new rule
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client().SendAsync(HttpMethod.Delete, "/api/v1/admin/rules/r001")).Status);
        Assert.Equal(HttpStatusCode.OK, (await PutRuleAsync("one-more")).Status);
        var listed = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/rules");
        Assert.Equal(EarningConfigStore.RulesMax, listed.Body.GetProperty("items").GetArrayLength());
    }
}

using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Points.Functions.Tests.Infrastructure;
using Points.Functions.Tests.Withdrawals;

namespace Points.Functions.Tests.AdminConsole;

/// <summary>The other pages that write, each through the browser and checked through the API.</summary>
public sealed class ConsoleWorkflowTests(ConsoleFixture app, BrowserFixture browser) : IClassFixture<ConsoleFixture>, IClassFixture<BrowserFixture>, IAsyncLifetime
{
    public async Task InitializeAsync() => await app.SetSettingsSectionAsync("withdrawals", WithdrawalApiTests.Offered());

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> StatusOfAsync(string member, string withdrawalId) =>
        (await app.Client().ListedAsync($"/api/v1/members/{member}/withdrawals", "withdrawalId", withdrawalId)).GetProperty("status").GetString()!;

    [Fact]
    public async Task RejectingWithAReason_GivesThePointsBack_AndAnApprovedOne_GoesIntoTheZenginFile()
    {
        var (rejected, rejectedId) = await app.Client().NewWithdrawalAsync(3_000);
        var (approved, approvedId) = await app.Client().NewWithdrawalAsync(7_000);
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/withdrawals");

        await page.CheckAsync($"#select-{rejectedId}");
        await page.FillAsync("#reject-reason", "口座名義が一致しません");
        await page.ClickAsync("button[value=reject]");
        await page.WaitForURLAsync(new Regex("done=reject&count=1"));
        await page.CheckAsync($"#select-{approvedId}");
        await page.ClickAsync("button[value=approve]");
        await page.WaitForURLAsync(new Regex("done=approve&count=1"));

        Assert.Equal(("rejected", "approved"), (await StatusOfAsync(rejected, rejectedId), await StatusOfAsync(approved, approvedId)));
        Assert.Equal(6_000, (await app.Client().GetMemberAsync(rejected)).Long("available"));
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#zengin-file"));
        var bytes = await File.ReadAllBytesAsync(await download.PathAsync());
        Assert.EndsWith(".txt", download.SuggestedFilename, StringComparison.Ordinal);
        Assert.Equal(0, bytes.Length % 122); // 120-byte records, each ended by CR LF
        Assert.Contains("0000006670", System.Text.Encoding.ASCII.GetString(bytes), StringComparison.Ordinal); // 7,000 points less the ¥330 fee
    }

    [Fact]
    public async Task ASpecialCampaign_BuiltWithTheSegmentBuilder_IsCountedDraftedAndGranted_ToItsSegmentOnly()
    {
        var api = app.Client();
        var tag = Infrastructure.Api.Unique("t");
        var target = await api.NewMemberAsync(0, profile: new { tags = new[] { tag } });
        var other = await api.NewMemberAsync(0);
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/special-campaigns");
        await page.FillAsync("#campaign-name", $"感謝 {tag}");
        await page.FillAsync("#campaign-points", "250");
        await page.FillAsync("#campaign-expires", "2027-03-31");
        await page.SelectOptionAsync("#row0-condition", "tag");
        await page.FillAsync("#row0-value", tag);
        await page.SelectOptionAsync("#row1-condition", "purchaseCountMin");
        await page.FillAsync("#row1-value", "1");
        await page.CheckAsync("#row1-not"); // tagged AND NOT (at least one purchase)

        await page.ClickAsync("#count-now");
        Assert.StartsWith("対象は 1 人", await page.InnerTextAsync("#count"), StringComparison.Ordinal);
        Assert.Contains(target, await page.InnerTextAsync("#count"), StringComparison.Ordinal);
        await page.ClickAsync("#save-draft");
        await page.WaitForURLAsync(new Regex("/console/special-campaigns$"));
        var row = page.Locator("#special-campaigns tbody tr", new() { HasText = tag });
        await row.Locator("button.primary").ClickAsync();
        await page.Locator("#special-campaigns tbody tr", new() { HasText = tag }).Filter(new() { HasText = "付与完了" })
            .WaitForAsync(new() { Timeout = 120_000 }); // the page reloads itself while the grant runs

        Assert.Equal((250L, 0L), ((await api.GetMemberAsync(target)).Long("balance"), (await api.GetMemberAsync(other)).Long("balance")));
        await page.ScreenshotAsync(new() { Path = ConsoleFixture.ScreenshotPath("special-campaigns-granted") });
    }

    [Fact]
    public async Task ARule_RefusedNextToItsField_ThenSaved_AndACampaignAndACatalogItem_Added()
    {
        var api = app.Client();
        var ruleId = Infrastructure.Api.Unique("r-");
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/earning");

        await page.FillAsync("#rule-id", ruleId);
        await page.FillAsync("#rule-trigger", "no such trigger");
        await page.FillAsync("#rule-points", "7");
        await page.ClickAsync("#save-rule");
        Assert.Equal("true", await page.GetAttributeAsync("#rule-trigger", "aria-invalid"));
        await page.FillAsync("#rule-trigger", "login");
        await page.ClickAsync("#save-rule");
        await page.WaitForURLAsync(new Regex("done=rule"));
        var rule = await api.ListedAsync("/api/v1/admin/rules", "ruleId", ruleId);
        Assert.Equal(("login", 7L), (rule.GetProperty("spec").GetProperty("trigger").GetString(), rule.GetProperty("spec").GetProperty("formula").GetProperty("points").GetInt64()));

        var campaignId = Infrastructure.Api.Unique("c-");
        await page.FillAsync("#campaign-id", campaignId);
        await page.FillAsync("#campaign-from", "2026-12-01");
        await page.FillAsync("#campaign-until", "2026-12-26");
        await page.CheckAsync("#dow-Saturday");
        await page.ClickAsync("#save-campaign");
        await page.WaitForURLAsync(new Regex("done=campaign"));
        var campaign = await api.ListedAsync("/api/v1/admin/campaigns", "campaignId", campaignId);
        Assert.Equal((2000, "saturday"), (campaign.GetProperty("spec").GetProperty("multiplierPermille").GetInt32(),
            campaign.GetProperty("spec").GetProperty("daysOfWeek")[0].GetString()));

        var itemId = Infrastructure.Api.Unique("i-");
        await page.GotoAsync("/console/catalog");
        await page.FillAsync("#item-id", itemId);
        await page.FillAsync("#item-name", "タンブラー");
        await page.FillAsync("#item-cost", "2,000");
        await page.FillAsync("#item-stock", "5");
        await page.ClickAsync("#save-item");
        await page.WaitForURLAsync(new Regex("done=saved"));
        var item = await api.ListedAsync("/api/v1/admin/catalog", "itemId", itemId);
        Assert.Equal(("タンブラー", 2_000L, 5), (item.GetProperty("name").GetString(), item.GetProperty("cost").GetInt64(), item.GetProperty("stock").GetInt32()));
    }

    [Fact]
    public async Task AWebhookSubscription_ShowsItsSecretOnce_AndNeverAgain()
    {
        var partner = Infrastructure.Api.Unique("p-");
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/webhooks");
        await page.FillAsync("#partner", partner);
        await page.FillAsync("#url", "https://partner.example/hooks");
        await page.CheckAsync("#type-points\\.earned");

        await page.ClickAsync("#subscribe");

        var secret = await page.InnerTextAsync("#webhook-secret");
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        await page.GotoAsync("/console/webhooks");
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        var listed = await app.Client().ListedAsync("/api/v1/admin/webhooks", "partner", partner);
        Assert.Equal("points.earned", listed.GetProperty("eventTypes")[0].GetString());
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnApiKey_IssuedOnThePage_WorksOnTheApi_UntilRevokedThere()
    {
        var name = Infrastructure.Api.Unique("partner ");
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/api-keys");
        await page.FillAsync("#key-name", name);
        await page.ClickAsync("#issue-key");
        Assert.NotEmpty(await page.InnerTextAsync("#scopes-error")); // no scope ticked

        await page.CheckAsync("#scope-members-read");
        await page.ClickAsync("#issue-key");
        var key = await page.InnerTextAsync("#issued-key");
        var member = await app.Client().NewMemberAsync(points: 3);
        Assert.Equal(HttpStatusCode.OK, (await app.Client(key).GetMemberAsync(member)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.Client(key).AdjustAsync(member, 1)).Status);
        await page.GotoAsync("/console/api-keys");
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);

        await page.Locator("#api-keys tbody tr", new() { HasText = name }).Locator("button").ClickAsync();
        await page.WaitForURLAsync(new Regex("done=revoked"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client(key).GetMemberAsync(member)).Status);
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATransferFile_IsMarkedPaidFromItsList_AndItsWithdrawalsArePaid()
    {
        var (member, withdrawalId) = await app.Client().NewWithdrawalAsync(4_000);
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/withdrawals");
        await page.CheckAsync($"#select-{withdrawalId}");
        await page.ClickAsync("button[value=approve]");
        await page.WaitForURLAsync(new Regex("done=approve"));
        await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#zengin-file"));
        await page.GotoAsync("/console/withdrawals");

        await page.Locator("#transfer-files tbody tr").First.Locator("button").ClickAsync();
        await page.WaitForURLAsync(new Regex("done=paid"));

        Assert.Equal("paid", await StatusOfAsync(member, withdrawalId));
        Assert.NotEmpty(await page.Locator("#transfer-files tbody tr").First.Locator("td").Nth(4).InnerTextAsync()); // paid at
    }

    [Fact]
    public async Task AWebhookSubscription_IsTurnedOffAndOn_ItsSecretRotated_ItsLogShownAndReplayed_AndDeleted()
    {
        var api = app.Client();
        var partner = Infrastructure.Api.Unique("hook-");
        var created = await api.SendAsync(HttpMethod.Post, "/api/v1/admin/webhooks", new { partner, url = "https://partner.example/h", eventTypes = new[] { "points.earned" } },
            Infrastructure.Api.Unique("wh-"));
        var subscriptionId = created.Body.GetProperty("subscriptionId").GetString()!;
        var member = await api.NewMemberAsync(points: 0);
        await api.SendAsync(HttpMethod.Post, "/api/v1/events", new { eventId = Infrastructure.Api.Unique("e-"), memberId = member, type = "login" });
        await api.AdjustAsync(member, 15);
        var page = await app.PageAsync(browser);
        var row = page.Locator("#webhooks tbody tr", new() { HasText = partner });
        async Task<bool> ActiveAsync() => (await api.SendAsync(HttpMethod.Get, $"/api/v1/admin/webhooks/{subscriptionId}")).Body.GetProperty("active").GetBoolean();

        await page.GotoAsync("/console/webhooks");
        await row.Locator("button", new() { HasText = "停止" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("done=changed"));
        Assert.False(await ActiveAsync());
        await row.Locator("button", new() { HasText = "再開" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("done=changed"));
        Assert.True(await ActiveAsync());

        await row.Locator("button", new() { HasText = "シークレット更新" }).ClickAsync();
        Assert.StartsWith("whsec_", await page.InnerTextAsync("#webhook-secret"), StringComparison.Ordinal);
        Assert.Equal(2, (await api.SendAsync(HttpMethod.Get, $"/api/v1/admin/webhooks/{subscriptionId}")).Body.GetProperty("secrets").GetArrayLength());

        await page.GotoAsync($"/console/webhooks?log={subscriptionId}");
        await Eventually.WaitForAsync(async () =>
        {
            await page.ReloadAsync();
            return await page.Locator("#deliveries tbody tr").CountAsync() > 0;
        }, "the delivery log of the member's earn", TimeSpan.FromSeconds(60));
        await page.Locator("#deliveries tbody tr").First.Locator("button").ClickAsync();
        await page.WaitForURLAsync(new Regex("done=replayed"));

        await page.GotoAsync("/console/webhooks");
        await row.Locator("button", new() { HasText = "削除" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("done=deleted"));
        Assert.Equal(HttpStatusCode.NotFound, (await api.SendAsync(HttpMethod.Get, $"/api/v1/admin/webhooks/{subscriptionId}")).Status);
    }

    [Fact]
    public async Task AnExport_RequestedFromThePage_IsFollowedAndDownloaded()
    {
        var member = await app.Client().NewMemberAsync(points: 42);
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/exports");

        await page.SelectOptionAsync("#kind", "balances");
        await page.ClickAsync("#start-export");
        await page.WaitForURLAsync(new Regex("started="));
        var link = page.Locator("#exports tbody tr").First.Locator("a", new() { HasText = "ダウンロード" });
        await link.WaitForAsync(new() { Timeout = 120_000 }); // the page reloads itself while the export runs

        var download = await page.RunAndWaitForDownloadAsync(() => link.ClickAsync());
        var csv = await File.ReadAllTextAsync(await download.PathAsync());
        Assert.Contains($"{member},", csv, StringComparison.Ordinal);
    }
}

using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Points.Functions.Tests.Infrastructure;
using Points.Functions.Tests.Withdrawals;

namespace Points.Functions.Tests.AdminConsole;

/// <summary>The operator's tasks of issue 19's "Done when", each through the browser and checked through the API.</summary>
public sealed class ConsoleOperationsTests(ConsoleFixture app, BrowserFixture browser) : IClassFixture<ConsoleFixture>, IClassFixture<BrowserFixture>, IAsyncLifetime
{
    public async Task InitializeAsync() => await app.SetSettingsSectionAsync("withdrawals", WithdrawalApiTests.Offered());

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ApprovingAWithdrawal_InTheList_AndDownloadingTheDaysCsv_WithIt()
    {
        var api = app.Client();
        var (member, withdrawalId) = await api.NewWithdrawalAsync(5_000);
        var page = await app.PageAsync(browser);

        await page.GotoAsync("/console/withdrawals");
        await page.CheckAsync($"#select-{withdrawalId}");
        await page.ClickAsync("button[value=approve]");
        await page.WaitForURLAsync(new Regex("done=approve&count=1"));

        Assert.Equal("approved", (await api.ListedAsync($"/api/v1/members/{member}/withdrawals", "withdrawalId", withdrawalId)).GetProperty("status").GetString());
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-csv"));
        var csv = await File.ReadAllTextAsync(await download.PathAsync());
        var row = Assert.Single(csv.Split("\r\n"), line => line.StartsWith(withdrawalId + ",", StringComparison.Ordinal));
        Assert.Contains($",{member},", row, StringComparison.Ordinal);
        Assert.Contains(",approved,5000,", row, StringComparison.Ordinal);
        await page.GotoAsync("/console/withdrawals?status=approved");
        await page.ScreenshotAsync(new() { Path = ConsoleFixture.ScreenshotPath("withdrawals") });
    }

    [Fact]
    public async Task ASetting_RefusedNextToItsField_ThenSavedWithAValidValue()
    {
        var api = app.Client();
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/settings");

        await page.FillAsync("#minimum-points", "0");
        await page.ClickAsync("#save-settings");
        Assert.Equal("true", await page.GetAttributeAsync("#minimum-points", "aria-invalid"));
        Assert.Contains("1..", await page.InnerTextAsync("#minimum-points-error"), StringComparison.Ordinal);
        Assert.Equal("0", await page.InputValueAsync("#minimum-points")); // what was typed stays, to be corrected
        Assert.NotEqual(0, (await api.SendAsync(HttpMethod.Get, "/api/v1/admin/settings")).Body.GetProperty("withdrawals").GetProperty("minimumPoints").GetInt64());
        await page.ScreenshotAsync(new() { Path = ConsoleFixture.ScreenshotPath("settings-error") });

        await page.FillAsync("#minimum-points", "2,500");
        await page.ClickAsync("#save-settings");
        await page.WaitForURLAsync(new Regex("done=saved"));
        Assert.Equal(2_500, (await api.SendAsync(HttpMethod.Get, "/api/v1/admin/settings")).Body.GetProperty("withdrawals").GetProperty("minimumPoints").GetInt64());
        Assert.Equal("2500", await page.InputValueAsync("#minimum-points"));
    }

    [Fact]
    public async Task Ranks_AreAddedAndChangedInTheSettings_AndTwoOfOneName_AreRefused()
    {
        var api = app.Client();
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/settings");
        var rows = page.Locator("#ranks tbody tr");
        var count = await rows.CountAsync();

        await rows.Nth(count - 1).Locator("input[name$='.Name']").FillAsync("platinum");
        await rows.Nth(count - 1).Locator("input[name$='.Threshold']").FillAsync("2,000,000");
        await rows.Nth(count - 1).Locator("input[name$='.Multiplier']").FillAsync("2000");
        await rows.Nth(count - 1).Locator("input[name$='.MonthlyPoints']").FillAsync("500");
        await page.ClickAsync("#save-settings");
        await page.WaitForURLAsync(new Regex("done=saved"));

        var ranks = (await api.SendAsync(HttpMethod.Get, "/api/v1/admin/settings")).Body.GetProperty("ranks").EnumerateArray().ToList();
        Assert.Equal(count, ranks.Count); // the ones there plus platinum
        var platinum = Assert.Single(ranks, r => r.GetProperty("name").GetString() == "platinum");
        Assert.Equal((2_000_000L, 2000, 500L), (platinum.GetProperty("thresholdYen").GetInt64(), platinum.GetProperty("multiplierPermille").GetInt32(),
            platinum.GetProperty("monthlyPoints").GetInt64()));

        await page.Locator("#ranks tbody tr").Last.Locator("input[name$='.Name']").FillAsync("platinum");
        await page.Locator("#ranks tbody tr").Last.Locator("input[name$='.Threshold']").FillAsync("3000000");
        await page.Locator("#ranks tbody tr").Last.Locator("input[name$='.Multiplier']").FillAsync("1000");
        await page.Locator("#ranks tbody tr").Last.Locator("input[name$='.MonthlyPoints']").FillAsync("0");
        await page.ClickAsync("#save-settings");
        Assert.NotEmpty(await page.InnerTextAsync("#ranks-error"));
        Assert.Equal(count, (await api.SendAsync(HttpMethod.Get, "/api/v1/admin/settings")).Body.GetProperty("ranks").GetArrayLength());
    }

    [Fact]
    public async Task Stores_AndReminders_AreSetInTheSettings_AndAStoreUnderAnUnknownParent_IsRefusedOnItsRow()
    {
        var api = app.Client();
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/settings");
        async Task AddStoreAsync(string id, string name, string level, string? parent)
        {
            var last = page.Locator("#stores tbody tr").Last;
            await last.Locator("input[name$='.StoreId']").FillAsync(id);
            await last.Locator("input[name$='.Name']").FillAsync(name);
            await last.Locator("select").SelectOptionAsync(level);
            if (parent is not null) await last.Locator("input[name$='.ParentId']").FillAsync(parent);
        }

        await AddStoreAsync("hq", "本部", "hq", null);
        await page.FillAsync("#reminder-offsets", "30, 7, 1");
        await page.ClickAsync("#save-settings");
        await page.WaitForURLAsync(new Regex("done=saved"));
        await AddStoreAsync("tokyo", "東京エリア", "area", "nowhere");
        await page.ClickAsync("#save-settings");
        Assert.NotEmpty(await page.Locator("#stores tbody tr").Last.Locator("td.error").InnerTextAsync());
        await page.Locator("#stores tbody tr").Last.Locator("input[name$='.ParentId']").FillAsync("hq");
        await page.ClickAsync("#save-settings");
        await page.WaitForURLAsync(new Regex("done=saved"));

        var settings = (await api.SendAsync(HttpMethod.Get, "/api/v1/admin/settings")).Body;
        Assert.Equal([("hq", null), ("tokyo", "hq")], settings.GetProperty("stores").EnumerateArray()
            .Select(n => (n.GetProperty("storeId").GetString(), n.TryGetProperty("parentId", out var p) && p.ValueKind == System.Text.Json.JsonValueKind.String ? p.GetString() : null)));
        Assert.Equal([30, 7, 1], settings.GetProperty("reminders").GetProperty("offsetsDays").EnumerateArray().Select(d => d.GetInt32()));
    }

    [Fact]
    public async Task ThePayingAccount_IsSetInTheSettings_WithItsErrorShown_AndBankAccountsAreReEncryptedOnRequest()
    {
        var api = app.Client();
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/settings");

        await page.FillAsync("#consignor-code", "1234567890");
        await page.FillAsync("#consignor-name", "ﾃｽﾄ(ｶ");
        await page.FillAsync("#consignor-bank", "009"); // four digits wanted
        await page.FillAsync("#consignor-branch", "100");
        await page.FillAsync("#consignor-number", "1111111");
        await page.ClickAsync("#save-settings");
        Assert.NotEmpty(await page.InnerTextAsync("#consignor-error"));
        await page.FillAsync("#consignor-bank", "0009");
        await page.ClickAsync("#save-settings");
        await page.WaitForURLAsync(new Regex("done=saved"));
        var consignor = (await api.SendAsync(HttpMethod.Get, "/api/v1/admin/settings")).Body.GetProperty("withdrawals").GetProperty("consignor");
        Assert.Equal(("0009", "1234567890"), (consignor.GetProperty("bankCode").GetString(), consignor.GetProperty("consignorCode").GetString()));

        await page.ClickAsync("#re-encrypt");
        await page.WaitForURLAsync(new Regex("reEncrypted=\\d+&more=0"));
        Assert.NotEmpty(await page.InnerTextAsync("#re-encrypted"));
    }

    [Fact]
    public async Task ASettingsFormShownBeforeAnotherChange_DoesNotOverwriteIt()
    {
        var api = app.Client();
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/settings");
        await app.SetSettingsSectionAsync("withdrawals", new JsonObject(WithdrawalApiTests.Offered().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())))
        {
            ["minimumPoints"] = 4_321,
        });

        await page.FillAsync("#fee-fixed", "100");
        await page.ClickAsync("#save-settings");

        Assert.Contains("他の人が先に設定を変更しました", await page.InnerTextAsync("[role=alert]"), StringComparison.Ordinal);
        var withdrawals = (await api.SendAsync(HttpMethod.Get, "/api/v1/admin/settings")).Body.GetProperty("withdrawals");
        Assert.Equal((4_321L, 330L), (withdrawals.GetProperty("minimumPoints").GetInt64(), withdrawals.GetProperty("feeFixedYen").GetInt64()));
    }

    [Fact]
    public async Task AnImport_UploadedFromTheForm_RunsAndShowsItsResult()
    {
        var api = app.Client();
        var member = await api.NewMemberAsync(points: 0);
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/imports");

        await page.SelectOptionAsync("#folder", "adjustments/");
        await page.SetInputFilesAsync("#file", new FilePayload
        {
            Name = $"{app.UploadPrefix}console-{member}.csv", MimeType = "text/csv",
            Buffer = System.Text.Encoding.UTF8.GetBytes($"会員ID,ポイント,理由\n{member},120,welcome\n{member},abc,broken\n"),
        });
        await page.ClickAsync("#upload");
        await page.WaitForURLAsync(new Regex("uploaded="));
        await page.Locator("#upload-status a").WaitForAsync(new() { Timeout = 60_000 }); // the page reloads itself until the result is in

        Assert.Contains("不正", await page.InnerTextAsync("#upload-status"), StringComparison.Ordinal);
        Assert.Equal(0, (await api.GetMemberAsync(member)).Long("balance")); // a file with an invalid row applies nothing
        var result = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#upload-status a"));
        Assert.Contains("invalid", await File.ReadAllTextAsync(await result.PathAsync()), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = ConsoleFixture.ScreenshotPath("imports") });

        await page.GotoAsync("/console/imports");
        await page.SelectOptionAsync("#folder", "adjustments/");
        await page.SetInputFilesAsync("#file", new FilePayload
        {
            Name = $"{app.UploadPrefix}console-{member}-fixed.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes($"member_id,points,reason\n{member},120,welcome\n"),
        });
        await page.ClickAsync("#upload");
        await page.Locator("#upload-status a").WaitForAsync(new() { Timeout = 60_000 });
        Assert.Equal(120, (await api.GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task AnUploadThatIsNotACsv_IsRefusedWithAMessage_AndWithoutItsAntiforgeryToken_IsRefused()
    {
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/imports");
        await page.SetInputFilesAsync("#file", new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = "x"u8.ToArray() });
        await page.ClickAsync("#upload");
        await page.WaitForURLAsync(new Regex("error=name"));
        Assert.Contains(".csv", await page.InnerTextAsync("[role=alert]"), StringComparison.Ordinal);

        var form = page.Context.APIRequest.CreateFormData();
        form.Set("folder", "adjustments/");
        form.Set("file", new FilePayload { Name = "x.csv", MimeType = "text/csv", Buffer = "member_id,points,reason\n"u8.ToArray() });
        var forged = await page.APIRequest.PostAsync("/console/imports/upload", new() { Multipart = form, MaxRedirects = 0 });
        Assert.Equal(400, forged.Status);
    }
}

using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.AdminConsole;

/// <summary>An operator looks a member up and grants, deducts and reverses points in the browser (issue 19).</summary>
public sealed class ConsoleMemberTests(ConsoleFixture app, BrowserFixture browser) : IClassFixture<ConsoleFixture>, IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task GrantingPoints_ChangesTheBalanceOnThePage_AndInTheLedger_WithTheOperatorAsActor()
    {
        var api = app.Client();
        var memberId = await api.NewMemberAsync(points: 100);
        var page = await app.PageAsync(browser);

        await page.GotoAsync($"/console/members/{memberId}");
        Assert.Equal("100 pt", await page.InnerTextAsync("#balance"));
        await page.FillAsync("#points", "1,250");
        await page.FillAsync("#reason", "お詫びポイント");
        await page.ClickAsync("#adjust-submit");

        await page.WaitForURLAsync(new Regex("done=granted"));
        Assert.Equal("1,350 pt", await page.InnerTextAsync("#balance"));
        Assert.Equal(1350, (await api.GetMemberAsync(memberId)).Long("balance"));
        var newest = (await api.TransactionsAsync(memberId, limit: 1)).Body.GetProperty("items")[0];
        Assert.Equal(("adjust", 1250L, "お詫びポイント", "console:development"),
            (newest.GetProperty("type").GetString(), newest.GetProperty("points").GetInt64(), newest.GetProperty("reason").GetString(), newest.GetProperty("actor").GetString()));
        await page.ScreenshotAsync(new() { Path = ConsoleFixture.ScreenshotPath("member"), FullPage = false });
    }

    [Fact]
    public async Task ADoubleClickedGrant_AppliesOnce()
    {
        var api = app.Client();
        var memberId = await api.NewMemberAsync(points: 10);
        var page = await app.PageAsync(browser);
        await page.GotoAsync($"/console/members/{memberId}");
        await page.FillAsync("#points", "40");
        await page.FillAsync("#reason", "double click");

        await page.DblClickAsync("#adjust-submit");
        await page.WaitForURLAsync(new Regex("done=granted"));

        Assert.Equal(50, (await api.GetMemberAsync(memberId)).Long("balance"));
        var adjustments = (await api.TransactionsAsync(memberId)).Body.GetProperty("items").EnumerateArray()
            .Count(e => e.GetProperty("type").GetString() == "adjust" && e.GetProperty("reason").GetString() == "double click");
        Assert.Equal(1, adjustments);
        Assert.Equal("50 pt", await page.InnerTextAsync("#balance"));
    }

    [Fact]
    public async Task TheSameFormSentTwice_ByHand_AppliesOnce_AndAFreshFormAppliesAgain()
    {
        // A double-click in a browser may or may not send twice; this sends the very same form twice for certain.
        var api = app.Client();
        var memberId = await api.NewMemberAsync(points: 0);
        var page = await app.PageAsync(browser);
        await page.GotoAsync($"/console/members/{memberId}");
        await page.FillAsync("#points", "7");
        await page.FillAsync("#reason", "resent");
        var form = page.Locator("form[name=adjust], form:has(#adjust-submit)");
        var fields = await form.EvaluateAsync<Dictionary<string, string>>("f => Object.fromEntries(new FormData(f))");

        for (var i = 0; i < 2; i++)
        {
            var response = await page.APIRequest.PostAsync($"/console/members/{memberId}", new() { Form = FormOf(page, fields), MaxRedirects = 0 });
            Assert.Equal(302, response.Status);
        }
        Assert.Equal(7, (await api.GetMemberAsync(memberId)).Long("balance"));

        await page.GotoAsync($"/console/members/{memberId}");
        await page.FillAsync("#points", "7");
        await page.FillAsync("#reason", "resent");
        await page.ClickAsync("#adjust-submit");
        await page.WaitForURLAsync(new Regex("done=granted"));
        Assert.Equal(14, (await api.GetMemberAsync(memberId)).Long("balance"));
    }

    [Fact]
    public async Task ADeductionBeyondTheBalance_IsRefusedOnThePage_AndAnEmptyReasonIsShownNextToItsField()
    {
        var api = app.Client();
        var memberId = await api.NewMemberAsync(points: 30);
        var page = await app.PageAsync(browser);
        await page.GotoAsync($"/console/members/{memberId}");

        await page.SelectOptionAsync("#direction", "deduct");
        await page.FillAsync("#points", "31");
        await page.FillAsync("#reason", " ");
        await page.ClickAsync("#adjust-submit");
        Assert.Equal("true", await page.GetAttributeAsync("#reason", "aria-invalid"));
        Assert.NotEmpty(await page.InnerTextAsync("#reason-error"));

        await page.FillAsync("#reason", "too much");
        await page.ClickAsync("#adjust-submit");
        Assert.Contains("insufficient", (await page.InnerTextAsync("[role=alert]")).ToLowerInvariant(), StringComparison.Ordinal);
        Assert.Equal(30, (await api.GetMemberAsync(memberId)).Long("balance"));
    }

    [Fact]
    public async Task AReferencedGrant_IsReversedFromThePage()
    {
        var api = app.Client();
        var memberId = await api.NewMemberAsync(points: 5);
        var page = await app.PageAsync(browser);
        await page.GotoAsync($"/console/members/{memberId}");
        await page.FillAsync("#points", "60");
        await page.FillAsync("#reason", "campaign");
        await page.FillAsync("#reference", "ref-60");
        await page.ClickAsync("#adjust-submit");
        await page.WaitForURLAsync(new Regex("done=granted"));

        await page.FillAsync("#reverse-reference", "ref-60");
        await page.FillAsync("#reverse-points", "20");
        await page.ClickAsync("text=取り消す");

        await page.WaitForURLAsync(new Regex("done=reversed"));
        Assert.Equal(45, (await api.GetMemberAsync(memberId)).Long("balance"));
        Assert.Equal("45 pt", await page.InnerTextAsync("#balance"));
    }

    private static IFormData FormOf(IPage page, Dictionary<string, string> fields)
    {
        var form = page.APIRequest is null ? throw new InvalidOperationException() : page.Context.APIRequest.CreateFormData();
        foreach (var (name, value) in fields) form.Set(name, value);
        return form;
    }
}

using System.Net;
using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Points.Functions.Tests.Infrastructure;
using Points.Functions.Tests.Withdrawals;

namespace Points.Functions.Tests.AdminConsole;

/// <summary>
/// Every console page with something on it: no serious or critical accessibility violation (axe-core), a 1280×800
/// screenshot under artifacts/console/, Japanese and English; the dashboard counts the month.
/// </summary>
public sealed class ConsolePagesTests(ConsolePagesTests.SeededFixture app, BrowserFixture browser) : IClassFixture<ConsolePagesTests.SeededFixture>, IClassFixture<BrowserFixture>
{
    private string Member => app.MemberId;

    public static readonly TheoryData<string, string> Pages = new()
    {
        { "dashboard", "/console" },
        { "members", "/console/members?q=m-" },
        { "member", "/console/members/{member}" },
        { "withdrawals", "/console/withdrawals" },
        { "settings", "/console/settings" },
        { "earning", "/console/earning" },
        { "special-campaigns", "/console/special-campaigns" },
        { "catalog", "/console/catalog" },
        { "imports", "/console/imports" },
        { "exports", "/console/exports" },
        { "webhooks", "/console/webhooks" },
        { "api-keys", "/console/api-keys" },
    };

    /// <summary>The console with a little of everything, seeded through the API once, so that no page is empty.</summary>
    public sealed class SeededFixture : ConsoleFixture
    {
        public string MemberId { get; private set; } = "";

        protected override async Task AfterStartAsync()
        {
            var api = Client();
            await SetSettingsSectionAsync("withdrawals", WithdrawalApiTests.Offered());
            MemberId = await SeedAsync(api);
        }
    }

    private static async Task<string> SeedAsync(HttpClient api)
    {
        var member = await api.NewMemberAsync(12_000, profile: new { birthDate = "1988-02-02", tags = new[] { "vip" } });
        await api.AdjustAsync(member, 300, kind: "special", expiresOn: "2027-03-31");
        await api.RedeemAsync(member, 500);
        await api.PutBankAccountAsync(member);
        await api.SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/withdrawals", new { points = 2_000 }, Infrastructure.Api.Unique("w-"));
        await api.SendAsync(HttpMethod.Put, "/api/v1/admin/rules/login-bonus", new { trigger = "login", formula = new { type = "fixed", points = 5 } });
        await api.SendAsync(HttpMethod.Put, "/api/v1/admin/campaigns/weekend", new
        {
            multiplierPermille = 2000, daysOfWeek = new[] { "saturday", "sunday" }, from = "2026-11-01T00:00:00+09:00", until = "2027-01-01T00:00:00+09:00",
        });
        await api.SendAsync(HttpMethod.Put, "/api/v1/admin/catalog/mug", new { name = "マグカップ", cost = 1_500, stock = 20, perMemberLimit = 2 });
        await api.SendAsync(HttpMethod.Post, "/api/v1/admin/special-campaigns", new
        {
            name = "年末感謝", points = 200, expiresAfterDays = 60, segment = new { type = "member", tags = new[] { "vip" } },
        }, Infrastructure.Api.Unique("sc-"));
        await api.SendAsync(HttpMethod.Post, "/api/v1/admin/webhooks", new
        {
            partner = "shop", url = "https://partner.example/hooks", eventTypes = new[] { "points.earned", "points.spent" },
        }, Infrastructure.Api.Unique("wh-"));
        return member;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task EveryPage_HasNoSeriousOrCriticalAccessibilityViolation_AndIsPhotographed(string name, string path)
    {
        var page = await app.PageAsync(browser);

        var response = await page.GotoAsync(path.Replace("{member}", Member, StringComparison.Ordinal));

        Assert.Equal(200, response!.Status);
        await AssertAccessibleAsync(page);
        await page.ScreenshotAsync(new() { Path = ConsoleFixture.ScreenshotPath(name) });
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task EveryPage_InEnglish_HasNoSeriousOrCriticalAccessibilityViolation(string name, string path)
    {
        var page = await app.PageAsync(browser);
        await page.GotoAsync("/console/language/en?back=/console");

        var response = await page.GotoAsync(path.Replace("{member}", Member, StringComparison.Ordinal));

        Assert.Equal(200, response!.Status);
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
        await AssertAccessibleAsync(page);
        await page.ScreenshotAsync(new() { Path = ConsoleFixture.ScreenshotPath(name + ".en") });
    }

    [Fact]
    public async Task TheSignInPage_IsAccessible_InBothLanguages()
    {
        var page = await app.PageAsync(browser, signedIn: false);
        await page.GotoAsync("/console/sign-in");
        await AssertAccessibleAsync(page);
        await page.ScreenshotAsync(new() { Path = ConsoleFixture.ScreenshotPath("sign-in") });

        await page.ClickAsync("text=English");
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
        Assert.Equal("Sign in to the console", await page.InnerTextAsync("h1"));
        await AssertAccessibleAsync(page);
    }

    [Fact]
    public async Task TheLanguage_FollowsAcceptLanguage_AndTheOperatorsChoice_WithNumbersAndDatesInTheProgramsFormats()
    {
        var context = await browser.Browser.NewContextAsync(new() { BaseURL = app.BaseAddress.ToString().TrimEnd('/'), Locale = "en-US" });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console/sign-in");
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
        await page.FillAsync("#key", ConsoleFixture.DevelopmentKey);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(new Regex("/console$"));

        await page.GotoAsync($"/console/members/{Member}");
        Assert.Equal("Balance", await page.InnerTextAsync("#summary-title"));
        Assert.Matches(@"^\d{1,3}(,\d{3})* pt$", await page.InnerTextAsync("#balance"));
        await page.ClickAsync("text=日本語");
        await page.WaitForURLAsync(new Regex($"/console/members/{Member}$"));
        Assert.Equal("残高", await page.InnerTextAsync("#summary-title"));
        Assert.Matches(@"^\d{4}/\d{2}/\d{2} \d{2}:\d{2}$", await page.InnerTextAsync("#history tbody tr td:nth-child(2)"));
        await page.GotoAsync("/console/withdrawals");
        Assert.Equal("ja", await page.GetAttributeAsync("html", "lang")); // the choice stays
    }

    [Fact]
    public async Task TheDashboard_CountsTheMonth_WhenAsked_AndShowsItsFigures()
    {
        var api = app.Client();
        var member = await api.NewMemberAsync(points: 0);
        await api.AdjustAsync(member, 1_234);
        var page = await app.PageAsync(browser);
        var pending = long.Parse((await page.InnerTextAsync("#pending-withdrawals")).Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);

        await page.ClickAsync("text=今月の数値を集計し直す");
        await page.Locator("svg.chart").WaitForAsync(new() { Timeout = 90_000 }); // the page reloads itself while counting

        var issued = await api.SendAsync(HttpMethod.Get, "/api/v1/admin/members?limit=1");
        Assert.Equal(HttpStatusCode.OK, issued.Status);
        var issuedText = await page.InnerTextAsync("#issued");
        Assert.Matches(@"^\d{1,3}(,\d{3})* pt$", issuedText);
        Assert.True(long.Parse(issuedText[..^3].Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture) >= 1_234 + 12_000, issuedText);
        Assert.True(pending >= 1);
        Assert.True(await page.Locator("svg.chart rect[height]:not([height='0'])").CountAsync() > 0);
        await AssertAccessibleAsync(page);
        await page.ScreenshotAsync(new() { Path = ConsoleFixture.ScreenshotPath("dashboard") });
    }

    private static async Task AssertAccessibleAsync(IPage page)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} — {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}").ToList();
        Assert.True(serious.Count == 0, string.Join("\n", serious));
    }
}

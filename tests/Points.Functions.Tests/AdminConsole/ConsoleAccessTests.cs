using System.Net;
using System.Text.RegularExpressions;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.AdminConsole;

/// <summary>Who gets in to the console, and what a request must carry (issue 19 "Done when", last point).</summary>
public sealed partial class ConsoleAccessTests(ConsoleFixture app) : IClassFixture<ConsoleFixture>
{
    public static readonly TheoryData<string> Pages =
        ["/console", "/console/members", "/console/withdrawals", "/console/settings", "/console/earning", "/console/catalog",
         "/console/special-campaigns", "/console/imports", "/console/exports", "/console/webhooks", "/console/api-keys", "/console/members/m-1"];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task WithoutASession_EveryPageRedirectsToSignIn(string page)
    {
        using var client = app.CookieClient();

        using var response = await client.GetAsync(page);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/console/sign-in?back=" + Uri.EscapeDataString(page), response.Headers.Location!.OriginalString);
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task EveryPage_Renders_ForASignedInOperator(string page)
    {
        using var client = await SignedInClientAsync();

        using var response = await client.GetAsync(page);

        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {html[..Math.Min(html.Length, 2000)]} {string.Join("\n", app.Logs.Lines.Where(l => l.Contains("xception", StringComparison.Ordinal)).TakeLast(2))}");
        Assert.Contains("<h1>", html, StringComparison.Ordinal);
        Assert.Contains("lang=\"ja\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigningIn_StartsAServerSideSession_InAStrictHttpOnlyCookie_AndTheKeyAppearsNowhere()
    {
        using var client = app.CookieClient();
        var form = await client.GetStringAsync("/console/sign-in?back=%2Fconsole%2Fsettings");

        using var response = await client.PostAsync("/console/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in", ["__RequestVerificationToken"] = TokenOf(form), ["Form.Key"] = ConsoleFixture.DevelopmentKey,
            ["Form.Back"] = "/console/settings",
        }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/console/settings", response.Headers.Location!.OriginalString);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("points-console-session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(ConsoleFixture.DevelopmentKey, cookie, StringComparison.Ordinal);
        var dashboard = await client.GetStringAsync("/console");
        Assert.Contains("Local development admin", dashboard, StringComparison.Ordinal);
        Assert.DoesNotContain(ConsoleFixture.DevelopmentKey, dashboard, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(ConsoleFixture.DevelopmentKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AWrongKey_IsRefused_WithoutEchoingIt_AndStartsNoSession()
    {
        using var client = app.CookieClient();
        var form = await client.GetStringAsync("/console/sign-in");

        using var response = await client.PostAsync("/console/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in", ["__RequestVerificationToken"] = TokenOf(form), ["Form.Key"] = "dev.wrong-key-typed-by-hand",
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("key-error", page, StringComparison.Ordinal);
        Assert.DoesNotContain("dev.wrong-key-typed-by-hand", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/console")).StatusCode);
    }

    [Fact]
    public async Task AFormWithoutItsAntiforgeryToken_IsRefused()
    {
        using var client = app.CookieClient();
        await client.GetStringAsync("/console/sign-in");

        using var response = await client.PostAsync("/console/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in", ["Form.Key"] = ConsoleFixture.DevelopmentKey,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith("points-console-session=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheKeysThatSignForms_AreStoredSealed()
    {
        using var client = await SignedInClientAsync(); // a form was signed: the key ring exists

        var (ring, _) = await Points.Functions.Storage.CosmosStorage.ReadOrNullAsync<System.Text.Json.JsonElement>(
            app.Service<Points.Functions.Storage.CosmosStorage>().Config, "console-keys", Points.Functions.AdminConsole.ConsoleKeyRing.Partition, CancellationToken.None);

        var keys = ring.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            Assert.Contains("<sealedKey ", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<value>", xml, StringComparison.Ordinal); // Data Protection's plain master key element
        });
    }

    [Fact]
    public async Task SigningOut_NeedsTheFormsToken_AndEndsTheSession()
    {
        using var client = await SignedInClientAsync();

        using var forged = await client.PostAsync("/console/sign-out", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/console")).StatusCode);

        var token = TokenOf(await client.GetStringAsync("/console"));
        using var signedOut = await client.PostAsync("/console/sign-out", new FormUrlEncodedContent([new("__RequestVerificationToken", token)]));
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/console")).StatusCode);
    }

    [Fact]
    public async Task EveryConsoleAnswer_CarriesAContentSecurityPolicyWithoutScript()
    {
        using var client = app.CookieClient();

        using var response = await client.GetAsync("/console/sign-in");

        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/console")]
    [InlineData("/api/v1/admin/settings")]
    public async Task TheWayBack_AfterSignIn_StaysInTheConsole(string back)
    {
        using var client = app.CookieClient();
        var form = await client.GetStringAsync("/console/sign-in");

        using var response = await client.PostAsync("/console/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in", ["__RequestVerificationToken"] = TokenOf(form), ["Form.Key"] = ConsoleFixture.DevelopmentKey, ["Form.Back"] = back,
        }));

        Assert.Equal("/console", response.Headers.Location!.OriginalString);
    }

    public static readonly TheoryData<string> OddAddresses =
    [
        "/console/members/%00", "/console/members/" + new string('x', 600), "/console/members/m-1?before=abc", "/console/members/m-1?before=-5&done=%FF",
        "/console/withdrawals?status=zzz&from=bad&to=2999-01-01", "/console/withdrawals?from=1900-01-01&count=x", "/console/members?q=%01&tag=" + new string('t', 200),
        "/console/exports?started=%3Cscript%3E", "/console/imports?uploaded=../../x&error=zzz", "/console/earning?edit=%2F..%2F", "/console/catalog?edit=" + new string('i', 300),
        "/console/files/exports/..%2F..%2Fsecret", "/console/files/imports/adjustments/x.csv", "/console/files/results/nothing-here.csv", "/console/language/xx?back=https://evil.example",
        "/console/webhooks?log=%00&day=zz", "/console/webhooks?log=sub-1&day=1999-01-01",
    ];

    [Theory]
    [MemberData(nameof(OddAddresses))]
    public async Task OddAddresses_AreAnsweredWithoutAServerError(string address)
    {
        using var client = await SignedInClientAsync();

        using var response = await client.GetAsync(address);

        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {address}");
    }

    public static readonly TheoryData<string, string[]> OddForms = new()
    {
        { "/console/members/m-1", ["_handler", "adjust", "Adjust.Points", "99999999999999999999999", "Adjust.Direction", "sideways", "Adjust.Reason", "x"] },
        { "/console/members/m-1", ["_handler", "adjust", "Adjust.Points", "5", "Adjust.Reason", "x", "Adjust.Key", "console:" + new string('0', 32)] },
        { "/console/members/m-1", ["_handler", "reverse", "Reverse.Reference", "", "Reverse.Points", "-1"] },
        { "/console/members/m-1", ["_handler", "invalidate-nope"] },
        { "/console/withdrawals", ["_handler", "bulk", "Bulk.Action", "drop", "Bulk.Selected", "a|b|c"] },
        { "/console/withdrawals", ["_handler", "bulk", "Bulk.Action", "approve", "Bulk.Key", "console:" + new string('1', 32), "Bulk.Selected", "m-nobody|W1", "Bulk.Selected", "|"] },
        { "/console/withdrawals", ["_handler", "export", "ExportDay", "1999-01-01"] },
        { "/console/withdrawals", ["_handler", "zengin", "TransferOn", "2026-11-24", "ZenginKey", "x"] },
        { "/console/settings", ["_handler", "settings", "Form.MinimumPoints", "1e999", "Form.ExpiryMonths", "-99999999999", "Form.YenPerPoint", "99999999999999"] },
        { "/console/earning", ["_handler", "rule", "Rule.RuleId", "../x", "Rule.Points", "abc"] },
        { "/console/earning", ["_handler", "campaign", "Campaign.CampaignId", "c1", "Campaign.MultiplierPermille", "99999999999", "Campaign.Days", "Funday"] },
        { "/console/catalog", ["_handler", "item", "Item.ItemId", "i1", "Item.Cost", "-5", "Item.Stock", "99999999999"] },
        { "/console/special-campaigns", ["_handler", "draft", "Draft.Action", "count", "Draft.Json", "{\"type\":"] },
        { "/console/special-campaigns", ["_handler", "draft", "Draft.Action", "draft", "Draft.Json", "[1,2]", "Draft.Key", "console:" + new string('2', 32)] },
        { "/console/special-campaigns", ["_handler", "draft", "Draft.Rows[0].Condition", "birthMonth", "Draft.Rows[0].Value", "13", "Draft.Rows[99].Condition", "rank"] },
        { "/console/exports", ["_handler", "export", "Form.Kind", "everything", "Form.From", "2026-13-45", "Form.Key", "console:" + new string('3', 32)] },
        { "/console/webhooks", ["_handler", "subscribe", "Form.Url", "javascript:alert(1)", "Form.EventTypes", "nope", "Form.Key", "console:" + new string('4', 32)] },
        { "/console", ["_handler", "no-such-form"] },
        { "/console/api-keys", ["_handler", "issue", "Form.Name", "", "Form.Scopes", "root", "Form.ExpiresOn", "1999-01-01", "Form.Key", "console:" + new string('5', 32)] },
        { "/console/api-keys", ["_handler", "revoke-nobody"] },
        { "/console/settings", ["_handler", "settings", "Form.Stores[0].StoreId", "x", "Form.Stores[0].Level", "planet", "Form.Ranks[0].Name", "r", "Form.Ranks[0].Threshold", "-1", "Form.ReminderOffsets", "a,b"] },
        { "/console/webhooks?log=nope", ["_handler", "replay-x"] },
    };

    [Theory]
    [MemberData(nameof(OddForms))]
    public async Task OddForms_WithAValidToken_AreAnsweredWithoutAServerError(string page, string[] fields)
    {
        using var client = await SignedInClientAsync();
        var token = TokenOf(await client.GetStringAsync("/console/sign-in"));
        var form = new List<KeyValuePair<string, string>> { new("__RequestVerificationToken", token) };
        for (var i = 0; i < fields.Length; i += 2) form.Add(new(fields[i], fields[i + 1]));

        using var response = await client.PostAsync(page, new FormUrlEncodedContent(form));

        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {page} {string.Join(' ', fields)}: {string.Join("\n", app.Logs.Lines.Where(l => l.Contains("xception", StringComparison.Ordinal)).TakeLast(1))}");
    }

    private async Task<HttpClient> SignedInClientAsync()
    {
        var client = app.CookieClient();
        var form = await client.GetStringAsync("/console/sign-in");
        using var signedIn = await client.PostAsync("/console/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in", ["__RequestVerificationToken"] = TokenOf(form), ["Form.Key"] = ConsoleFixture.DevelopmentKey,
        }));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return client;
    }

    public static string TokenOf(string page) => AntiforgeryField().Match(page) is { Success: true } match
        ? WebUtility.HtmlDecode(match.Groups[1].Value)
        : throw new InvalidOperationException("The page has no anti-forgery token.");

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}

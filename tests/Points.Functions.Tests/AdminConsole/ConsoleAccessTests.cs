using System.Net;
using System.Text.RegularExpressions;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.AdminConsole;

/// <summary>Who gets in to the console, and what a request must carry (issue 19 "Done when", last point).</summary>
public sealed partial class ConsoleAccessTests(ConsoleFixture app) : IClassFixture<ConsoleFixture>
{
    public static readonly TheoryData<string> Pages =
        ["/console", "/console/members", "/console/withdrawals", "/console/settings", "/console/earning", "/console/catalog",
         "/console/special-campaigns", "/console/imports", "/console/exports", "/console/webhooks", "/console/members/m-1"];

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

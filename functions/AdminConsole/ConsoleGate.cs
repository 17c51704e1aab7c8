namespace Points.Functions.AdminConsole;

/// <summary>
/// In front of every console address: security headers on every answer, and no page without an operator. A request
/// without a live session goes to the sign-in (the platform's in Azure, the key form locally) and comes back after.
/// </summary>
public sealed class ConsoleGate(RequestDelegate next)
{
    public const string Prefix = "/console";
    public const string SessionCookie = "points-console-session";

    /// <summary>Addresses open without a session: the sign-in itself, the style sheet, the language switch.</summary>
    private static readonly string[] Open = [ConsolePaths.SignIn, ConsolePaths.Stylesheet, ConsolePaths.Language];

    /// <summary>
    /// No script at all (the console needs none), styles only from the console's own sheet, forms only to itself,
    /// never framed.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>
    /// Ends a form's POST with a redirect to <paramref name="path"/> (post/redirect/get, so a reload repeats nothing). The
    /// Location stays relative: behind the Functions host the app does not know the public host name.
    /// </summary>
    public static void RedirectAfterPost(HttpContext http, string path) => http.Response.Redirect(path);

    public async Task InvokeAsync(HttpContext http, ConsoleSessions sessions, PlatformSignIn platform)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";

        var path = http.Request.Path;
        if (Open.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
        {
            await next(http);
            return;
        }
        var signedIn = platform.IsOn
            ? platform.Find(http.Request)
            : await sessions.FindAsync(http.Request.Cookies[SessionCookie], http.RequestAborted);
        if (signedIn is null)
        {
            // Only the path travels (never a query string, which could carry anything); the sign-in accepts only console paths back.
            var back = http.Request.Method == HttpMethods.Get ? path.Value! : ConsolePaths.Dashboard;
            http.Response.Redirect(platform.IsOn ? PlatformSignIn.LoginPath(back) : ConsolePaths.SignInFor(back));
            return;
        }
        http.Items[typeof(ConsoleOperator)] = signedIn;
        await next(http);
    }
}

/// <summary>The console's addresses.</summary>
public static class ConsolePaths
{
    public const string Dashboard = "/console";
    public const string SignIn = "/console/sign-in";
    public const string SignOut = "/console/sign-out";
    public const string Stylesheet = "/console/console.css";
    public const string Language = "/console/language";
    public const string Members = "/console/members";
    public const string Withdrawals = "/console/withdrawals";
    public const string Settings = "/console/settings";
    public const string Earning = "/console/earning";
    public const string Catalog = "/console/catalog";
    public const string SpecialCampaigns = "/console/special-campaigns";
    public const string Imports = "/console/imports";
    public const string Exports = "/console/exports";
    public const string Webhooks = "/console/webhooks";
    public const string ApiKeys = "/console/api-keys";
    public const string Files = "/console/files";

    public static string SignInFor(string back) => SignIn + "?back=" + Uri.EscapeDataString(back);

    /// <summary>A path to come back to after signing in or switching language: only the console's own, never elsewhere.</summary>
    public static string SafeBack(string? back) =>
        back is { Length: > 0 and <= 512 } && (back == ConsoleGate.Prefix || back.StartsWith(ConsoleGate.Prefix + "/", StringComparison.Ordinal))
            && !back.Contains("//", StringComparison.Ordinal) && !back.Contains('\\') && back.All(c => c > ' ' && c < 127)
            ? back : Dashboard;

    public static string Member(string memberId) => $"{Members}/{Uri.EscapeDataString(memberId)}";
}

using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Points.Functions.Hosting;
using Points.Functions.Storage;
using Points.Functions.Withdrawals;

namespace Points.Functions.AdminConsole;

/// <summary>
/// The admin console (F41): the management screens the seeds are run from, served by this same app under
/// <c>/console/</c> as Razor components rendered on the server (static rendering, plain forms, no script). The Functions
/// host keeps <c>/admin</c> for its own admin API, so the console cannot live there (README "Admin console").
/// Every page works through the same application services as the API, with the same idempotency.
/// </summary>
public sealed class ConsoleFeature : Feature
{
    /// <summary>The largest CSV the upload form takes (the importers read files of any size from blob storage directly).</summary>
    public const long UploadBytesMax = 20 * 1024 * 1024;

    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddRazorComponents();
        services.AddSingleton<ConsoleSessions>();
        services.AddSingleton<PlatformSignIn>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<ConsoleKeyRing>();
        // Anti-forgery tokens must verify on every instance: the key ring lives in Cosmos, not on one machine's disk.
        services.AddDataProtection().SetApplicationName("points-console");
        services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
            .Configure<ConsoleKeyRing, BankDataProtector>((options, ring, protector) =>
            {
                options.XmlRepository = ring;
                options.XmlEncryptor = new SealedKeyRingXmlEncryptor(protector); // sealed at rest with the bank data key
            });
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "points-console-antiforgery";
            options.Cookie.Path = ConsoleGate.Prefix;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.Cookie.HttpOnly = true;
        });
    }

    public override void MapPages(WebApplication app)
    {
        app.UseWhen(http => http.Request.Path.StartsWithSegments(ConsoleGate.Prefix), console => console.UseMiddleware<ConsoleGate>());
        app.UseAntiforgery();
        app.MapRazorComponents<ConsoleApp>();

        app.MapGet(ConsolePaths.Stylesheet, () => Results.Text(ConsoleStylesheet.Css, "text/css; charset=utf-8")).ExcludeFromDescription();
        app.MapGet(ConsolePaths.Language + "/{language}", (string language, string? back, HttpContext http) =>
        {
            if (ConsoleUi.TryParse(language, out _))
            {
                http.Response.Cookies.Append(ConsoleUi.LanguageCookie, language, new CookieOptions
                {
                    Path = ConsoleGate.Prefix, HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, MaxAge = TimeSpan.FromDays(365),
                });
            }
            return Results.Redirect(ConsolePaths.SafeBack(back));
        }).ExcludeFromDescription();
        app.MapPost(ConsolePaths.SignOut, async (HttpContext http, ConsoleSessions sessions) =>
        {
            // The antiforgery middleware only marks a request without a valid token; an endpoint that binds no form must refuse it itself.
            if (http.Features.Get<IAntiforgeryValidationFeature>() is { IsValid: false })
                return Api.Problems.For(Api.Problems.InvalidRequest, "The form's anti-forgery token is missing or wrong; reload the page.");
            await sessions.EndAsync(http.Request.Cookies[ConsoleGate.SessionCookie], http.RequestAborted);
            http.Response.Cookies.Delete(ConsoleGate.SessionCookie, new CookieOptions { Path = ConsoleGate.Prefix });
            return Results.Redirect(ConsolePaths.SignIn);
        }).WithMetadata(new RequireAntiforgeryTokenAttribute()).ExcludeFromDescription();
        app.MapGet(ConsolePaths.Files + "/{container}/{**blob}", ConsoleFiles.DownloadAsync).ExcludeFromDescription();
        app.MapPost(ConsolePaths.Imports + "/upload", ConsoleFiles.UploadAsync)
            .WithMetadata(new RequestSizeLimitAttribute(UploadBytesMax + 64 * 1024)).ExcludeFromDescription();
    }
}

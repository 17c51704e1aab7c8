using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.AdminConsole;

/// <summary>The app with the local development admin key, which signs in to the console.</summary>
public class ConsoleFixture : AppFixture
{
    public const string DevelopmentKey = "dev.console-test-admin-key";

    protected sealed override void Configure(Dictionary<string, string?> settings)
    {
        settings["ApiKeys:DevelopmentAdminKey"] = DevelopmentKey;
        // Uploaded files are imported and exports run as in a local run: the trigger runner watches blobs and queues.
        // All test apps share one Azurite: this app's queues, blob receipts and uploaded files carry its own names.
        settings["LocalTriggers:Enabled"] = "true";
        settings["LocalTriggers:BlobPollMilliseconds"] = "300";
        settings["LocalTriggers:HostId"] = Database;
        settings["LocalTriggers:BlobNamePrefix"] = UploadPrefix;
        settings["Storage:QueuePrefix"] = Database + "-";
        ConfigureConsole(settings);
    }

    protected virtual void ConfigureConsole(Dictionary<string, string?> settings) { }

    /// <summary>What the names of files this app's tests upload begin with (the only ones its trigger runner imports).</summary>
    public string UploadPrefix => Database + "-";

    /// <summary>A fresh browser context (its own cookies) on a 1280×800 page, signed in unless told not to.</summary>
    public async Task<IPage> PageAsync(BrowserFixture browser, bool signedIn = true)
    {
        var context = await browser.Browser.NewContextAsync(new()
        {
            BaseURL = BaseAddress.ToString().TrimEnd('/'), ViewportSize = new() { Width = 1280, Height = 800 }, Locale = "ja-JP",
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        if (signedIn)
        {
            await page.GotoAsync("/console/sign-in");
            await page.FillAsync("#key", DevelopmentKey);
            await page.ClickAsync("button[type=submit]");
            await page.WaitForURLAsync(new Regex("/console$"));
        }
        return page;
    }

    /// <summary>Where the console tests leave a screenshot of each page (issue 19: artifacts/console/).</summary>
    public static string ScreenshotPath(string page) => Path.Combine(Repository.Root, "artifacts", "console", page + ".png");

    /// <summary>An HTTP client that keeps cookies and does not follow redirects (to look at what the console answers).</summary>
    public HttpClient CookieClient() => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
    {
        BaseAddress = BaseAddress,
    };
}

using Microsoft.Playwright;

namespace Points.Functions.Tests.Infrastructure;

/// <summary>
/// Headless Chromium for tests that look at what a person would see: Debian's <c>chromium</c> package driven through
/// Microsoft.Playwright, with no browser download (platform.md). <c>./points test</c> installs the package when it is
/// missing (tools/browser/ensure-chromium.sh); one browser per test class, a fresh page per test.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>The real binary: <c>/usr/bin/chromium</c> is a shell wrapper that prints a harmless error first.</summary>
    public const string ChromiumPath = "/usr/lib/chromium/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    /// <summary>Where screenshots go: <c>artifacts/test/browser/</c>, kept by CI as evidence of what was rendered.</summary>
    public static string ScreenshotPath(string name) => Path.Combine(Repository.Root, "artifacts", "test", "browser", name + ".png");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"No Chromium at {ChromiumPath}: run ./points test (it installs Debian's chromium package) or apt-get install -y chromium.");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}

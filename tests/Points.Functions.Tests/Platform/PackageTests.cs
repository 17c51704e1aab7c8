using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Platform;

/// <summary>
/// The deployable zip (./points package): its layout, and that the handler starts the way the Functions host starts
/// it (host.json's executable and arguments, FUNCTIONS_CUSTOMHANDLER_PORT set) even when the deployment dropped the
/// execute bits and the app folder is read-only (facts §1.13).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PackageTests
{
    [Fact]
    public async Task Package_WithExecuteBitsStripped_StartsLikeTheHostStartsIt_AndAnswersHealth()
    {
        var repo = Repository.Root;
        await RunAsync("bash", ["tools/package/package.sh"], repo, TimeSpan.FromMinutes(10));
        var root = Directory.CreateTempSubdirectory("points-package-").FullName;
        var tmp = Directory.CreateTempSubdirectory("points-tmp-").FullName;
        ZipFile.ExtractToDirectory(Path.Combine(repo, "artifacts/package/points-functions.zip"), root);

        foreach (var name in new[] { "host.json", "launch.sh", "handler", "build-id", "appsettings.json" })
            Assert.True(File.Exists(Path.Combine(root, name)), $"{name} is missing from the package");
        var declared = Directory.GetDirectories(Path.Combine(repo, "functions/declarations")).Select(Path.GetFileName).Order().ToList();
        var packaged = Directory.GetFiles(root, "function.json", SearchOption.AllDirectories)
            .Select(f => Path.GetFileName(Path.GetDirectoryName(f))).Order().ToList();
        Assert.Equal(declared, packaged);

        // What a careless zip deployment leaves: no execute bits, and a read-only wwwroot.
        foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        foreach (var dir in Directory.GetDirectories(root).Append(root))
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        using var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "host.json")));
        var description = hostJson.RootElement.GetProperty("customHandler").GetProperty("description");
        var port = Points.Tools.LocalStack.LoopbackPorts.PickFree();
        var arguments = description.GetProperty("arguments").EnumerateArray()
            .Select(a => a.GetString()!.Replace("%FUNCTIONS_CUSTOMHANDLER_PORT%", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))
            .ToList();
        var emulators = await SharedEmulators.GetAsync();
        var start = new ProcessStartInfo(description.GetProperty("defaultExecutablePath").GetString()!, arguments)
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["FUNCTIONS_APP_ROOT_PATH"] = root,
                ["TMPDIR"] = tmp,
                ["Cosmos__ConnectionString"] = emulators.CosmosConnectionString,
                ["Cosmos__Database"] = "pkg" + Guid.NewGuid().ToString("N")[..8],
                ["Cosmos__LocalEmulator"] = "true",
                ["Cosmos__CreateIfMissing"] = "true",
                ["Storage__ConnectionString"] = emulators.StorageConnectionString,
                ["Storage__CreateIfMissing"] = "true",
            },
        };
        using var handler = Process.Start(start)!;
        var logs = handler.StandardOutput.ReadToEndAsync();
        var errors = handler.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
            var health = await PollAsync(http, "/api/health", TimeSpan.FromSeconds(90), handler);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            Assert.Equal("ok", body.RootElement.GetProperty("status").GetString());

            var timer = await http.PostAsync("/ExpirePoints", new StringContent(
                """{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"ExpirePoints"}}}""",
                System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, timer.StatusCode);
            Assert.Contains("\"Logs\"", await timer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Single(Directory.GetFiles(tmp, "points-handler-*")); // launch.sh ran the executable copy
        }
        finally
        {
            handler.Kill(entireProcessTree: true);
            await handler.WaitForExitAsync();
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            foreach (var dir in Directory.GetDirectories(root)) File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(root, recursive: true);
            Directory.Delete(tmp, recursive: true);
        }
    }

    private static async Task<HttpResponseMessage> PollAsync(HttpClient http, string path, TimeSpan timeout, Process handler)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (handler.HasExited)
                throw new InvalidOperationException($"The handler exited with {handler.ExitCode}: {await handler.StandardError.ReadToEndAsync()}");
            try
            {
                return await http.GetAsync(path);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }

    private static async Task RunAsync(string file, string[] args, string directory, TimeSpan timeout)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(timeout).Token);
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {await output}\n{await error}");
    }
}

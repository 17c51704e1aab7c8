using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using Points.Benchmarks.Infrastructure;
using Points.Functions.Storage;

namespace Points.Benchmarks.Scenarios;

/// <summary>
/// 10. Cold start of the package (issue 18): the zip <c>./points package</c> builds, unpacked and started as the
/// Functions host starts it (<c>launch.sh</c>, <c>FUNCTIONS_CUSTOMHANDLER_PORT</c>), emulators already up: the time from
/// process start to the first <c>/api/health</c> 200, and to the first served <c>POST /api/v1/events</c>. Five starts; medians.
/// </summary>
public sealed class ColdStartScenario : IScenario
{
    private const string Scenario = "10 cold start";
    private const int Starts = 5;
    private const double HealthTargetSeconds = 0.5;
    private const double FirstEventTargetSeconds = 1.5;

    public int Number => 10;
    public string Title => "Cold start of the package";
    public bool NeedsEmulators => true;

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context)
    {
        BenchContext.Log("10: building the package (./points package)");
        await RunAsync("bash", "tools/package/package.sh", context.RepositoryRoot);
        var root = Directory.CreateTempSubdirectory("points-cold-").FullName;
        ZipFile.ExtractToDirectory(Path.Combine(context.RepositoryRoot, "artifacts", "package", "points-functions.zip"), root);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(root, "handler"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var database = context.DatabaseFor("s10-cold");
        const string member = "cold-1";
        string apiKey;
        // The database, its containers and one member exist before the measured starts, as in Azure.
        await using (var app = await BenchApp.StartAsync(context.Emulators, database, TimeProvider.System))
        {
            apiKey = app.ApiKey;
            using var client = app.Client();
            (await client.PutAsJsonAsync($"/api/v1/members/{member}", new { })).EnsureSuccessStatusCode();
        }

        var settings = LocalEmulatorSettings.For(context.Emulators.CosmosConnectionString, context.Emulators.StorageConnectionString, database);
        foreach (var (name, value) in Points.Functions.Auth.ApiKeyEntry.Configuration(0, apiKey, "benchmark", Points.Functions.Auth.Scopes.All)) settings[name] = value;
        // As in Azure, where the Bicep template created everything: no existence checks at start.
        settings["Cosmos:CreateIfMissing"] = "false";
        settings["Storage:CreateIfMissing"] = "false";
        var health = new List<double>();
        var firstEvent = new List<double>();
        for (var start = 0; start < Starts; start++)
        {
            var port = Points.Tools.LocalStack.LoopbackPorts.PickFree();
            var info = new ProcessStartInfo("/bin/sh", ["launch.sh"]) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var (name, value) in settings) info.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
            info.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
            var watch = Stopwatch.StartNew();
            using var process = Process.Start(info)!;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                while (true)
                {
                    if (watch.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("The package did not answer /api/health within 60 s.");
                    try
                    {
                        using var answer = await http.GetAsync("/api/health");
                        if (answer.StatusCode == HttpStatusCode.OK) break;
                    }
                    catch (HttpRequestException)
                    {
                        // not listening yet
                    }
                    await Task.Delay(5);
                }
                health.Add(watch.Elapsed.TotalSeconds);
                using var earned = await http.PostAsJsonAsync("/api/v1/events", new { eventId = $"cold-{start}", memberId = member, type = "login" });
                earned.EnsureSuccessStatusCode();
                firstEvent.Add(watch.Elapsed.TotalSeconds);
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            BenchContext.Log($"10: start {start + 1}: health {health[^1]:0.000} s, first event {firstEvent[^1]:0.000} s");
        }
        Directory.Delete(root, recursive: true);
        await context.DropDatabaseAsync(database);
        return
        [
            Figure.AtMost(Scenario, "process start → first /api/health 200 (median of 5)", Median(health), "s", HealthTargetSeconds,
                $"each: {string.Join(", ", health.Select(h => h.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)))} s"),
            Figure.AtMost(Scenario, "process start → first POST /events served (median of 5)", Median(firstEvent), "s", FirstEventTargetSeconds,
                $"each: {string.Join(", ", firstEvent.Select(h => h.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)))} s"),
        ];
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static async Task RunAsync(string file, string arguments, string workingDirectory)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = workingDirectory })!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} exited with {process.ExitCode}.");
    }
}

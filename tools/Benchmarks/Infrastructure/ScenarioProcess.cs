using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Points.Benchmarks.Infrastructure;

/// <summary>
/// Runs each scenario of a multi-scenario run in a process of its own, with emulators of its own: one scenario's
/// figures then do not depend on the ones before it. In one process the earlier scenarios' apps, account caches and
/// heap stayed behind, and the memory ratios of the import and export scenarios missed in the full run while they
/// passed alone; the in-memory Cosmos server likewise carried every earlier database's history.
/// <para>
/// The child is this program again with <c>--only N</c> and <c>--figures-to FILE</c>: it runs the scenario as a
/// single-scenario run does and writes its figures and details to the file instead of the table and the history,
/// which the parent writes once for the whole run. Progress goes straight to the terminal (stderr is inherited).
/// </para>
/// </summary>
public static class ScenarioProcess
{
    /// <summary>The child's option: where it writes what it measured (<see cref="Outcome"/> as JSON).</summary>
    public const string FiguresToOption = "--figures-to";

    /// <summary>The run's option, passed on to each child: the Cosmos server's latency per request, in ms.</summary>
    public const string CosmosLatencyOption = "--cosmos-latency-ms";

    /// <summary>What one scenario measured: its figures and its details for <c>latest.json</c>.</summary>
    public sealed record Outcome(List<Figure> Figures, Dictionary<string, JsonElement> Details);

    public static async Task WriteAsync(string path, IReadOnlyList<Figure> figures, Dictionary<string, object> details, JsonSerializerOptions options)
    {
        var outcome = new { figures, details };
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(outcome, options));
    }

    /// <summary>Runs scenario <paramref name="number"/> in a child process and reads back what it measured.</summary>
    public static async Task<(Outcome Outcome, bool Failed)> RunAsync(int number, string title, bool quick, int cosmosLatencyMs, JsonSerializerOptions options)
    {
        var output = Path.Combine(Path.GetTempPath(), $"points-bench-{Environment.ProcessId}-{number}.json");
        File.Delete(output);
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location); // started as `dotnet Points.Benchmarks.dll`
        }
        start.ArgumentList.Add("--only");
        start.ArgumentList.Add(number.ToString(CultureInfo.InvariantCulture));
        if (quick) start.ArgumentList.Add("--quick");
        if (cosmosLatencyMs > 0)
        {
            start.ArgumentList.Add(CosmosLatencyOption);
            start.ArgumentList.Add(cosmosLatencyMs.ToString(CultureInfo.InvariantCulture));
        }
        start.ArgumentList.Add(FiguresToOption);
        start.ArgumentList.Add(output);
        // The child's log shows the run's clock, not its own.
        start.Environment[BenchContext.StartedEnvironmentVariable] = BenchContext.Started.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

        using var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start scenario {number}'s process.");
        await child.WaitForExitAsync();
        try
        {
            if (File.Exists(output))
            {
                var outcome = JsonSerializer.Deserialize<Outcome>(await File.ReadAllTextAsync(output), options)
                    ?? throw new InvalidOperationException($"Scenario {number} wrote an empty figures file.");
                return (outcome, child.ExitCode != 0);
            }
        }
        finally
        {
            File.Delete(output);
        }
        var failure = Figure.ScenarioFailed(number, title, $"its process ended with exit code {child.ExitCode} before writing its figures (its log is above)");
        return (new Outcome([failure], []), true);
    }
}

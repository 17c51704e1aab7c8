using System.Globalization;
using System.Text.Json;
using Points.Benchmarks.Infrastructure;
using Points.Tools.FaultHarness;
using Points.Tools.LocalStack;

namespace Points.Benchmarks.Faults;

/// <summary>
/// <c>./points bench --faults</c>: the fault-injection harness (tools/FaultHarness) over many seeds, outside the scenario
/// list. Prints the runs, operations, requests, faults injected by kind and invariant violations (each failing seed with
/// how to replay it), and writes them to artifacts/bench/faults.json. Exit code 1 when any invariant was violated.
/// </summary>
public static class FaultsMode
{
    public const int SeedsDefault = 10_000;

    /// <param name="trace">Print what each run sent and got (for replaying a few seeds with --seed).</param>
    public static async Task<int> RunAsync(IReadOnlyList<int> seeds, int repeats, int parallelism, bool trace, string repositoryRoot)
    {
        BenchContext.Log($"Fault injection: {seeds.Count} seeds ({seeds[0]}..{seeds[^1]}), {repeats} run(s) each, {parallelism} at once, on {Machine.Describe(repositoryRoot)}");
        BenchContext.Log("Starting the emulators (free ports, in memory)");
        await using var emulators = await LocalStack.StartAsync(LocalStackOptions.ForTests());
        var report = await FaultRun.RunAsync(emulators, new FaultRunOptions(seeds, repeats, parallelism, trace), BenchContext.Log);

        foreach (var result in report.Results.Where(r => r.Trace is not null))
        {
            Console.WriteLine();
            Console.Write(result.Trace);
        }
        var durations = report.Results.Select(r => r.Duration.TotalMilliseconds).Order().ToList();
        Console.WriteLine();
        Console.WriteLine($"Fault injection, {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}: {report.Summary()}");
        Console.WriteLine();
        Console.WriteLine($"| figure | value |");
        Console.WriteLine($"| --- | --- |");
        Console.WriteLine($"| runs (seeds × repeats) | {report.Runs:N0} |");
        Console.WriteLine($"| operations (steps, registrations, imports, shards, catalog items) | {report.Operations:N0} |");
        Console.WriteLine($"| HTTP requests and invocations (with retries and duplicates) | {report.Requests:N0} |");
        foreach (var kind in FaultPlan.Kinds) Console.WriteLine($"| faults injected: {kind} | {report.Faults[kind]:N0} |");
        foreach (var (what, count) in report.Notes) Console.WriteLine($"| paths taken: {what} | {count:N0} |");
        Console.WriteLine($"| invariant violations (runs) | {report.Violations:N0} ({report.Failed.Count}) |");
        Console.WriteLine($"| run duration p50 / p99 | {Percentile(durations, 0.5):N0} / {Percentile(durations, 0.99):N0} ms |");
        if (report.Violations > 0)
        {
            Console.WriteLine();
            Console.Write(report.Details(runsMax: 20));
        }

        var output = Path.Combine(repositoryRoot, "artifacts", "bench");
        Directory.CreateDirectory(output);
        await File.WriteAllTextAsync(Path.Combine(output, "faults.json"), JsonSerializer.Serialize(new
        {
            date = DateTimeOffset.Now,
            runs = report.Runs,
            seeds = new { first = seeds[0], last = seeds[^1], count = seeds.Count },
            repeats,
            parallelism,
            seconds = Math.Round(report.Duration.TotalSeconds, 1),
            operations = report.Operations,
            requests = report.Requests,
            faults = FaultPlan.Kinds.ToDictionary(k => k.ToString(), k => report.Faults[k]),
            paths = report.Notes,
            violations = report.Violations,
            failed = report.Failed.Select(f => new { f.Seed, f.Repeat, f.Violations }),
        }, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Console.WriteLine();
        Console.WriteLine($"Counts written to {Path.GetRelativePath(repositoryRoot, Path.Combine(output, "faults.json"))}.");
        return report.Violations > 0 ? 1 : 0;
    }

    private static double Percentile(List<double> sorted, double share) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(share * sorted.Count) - 1)];
}

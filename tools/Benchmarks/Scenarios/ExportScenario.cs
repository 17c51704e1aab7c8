using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Points.Benchmarks.Infrastructure;
using Points.Domain.Expiry;
using Points.Functions.Storage;

namespace Points.Benchmarks.Scenarios;

/// <summary>
/// 7. Exports stream with flat memory (issue 15): the balances export of 20,000 members, then of 100,000 (80,000 more
/// members written with plain upserts, each with 100 regular points), through the real job (<c>POST /admin/exports</c>,
/// its steps taken off the app's <c>ledger-jobs</c> queue as <c>ProcessLedgerJobs</c> runs them). Rows/s, and the peak
/// working set over a floor taken after a full GC, sampled during each export.
/// </summary>
public sealed class ExportScenario : IScenario
{
    private const string Scenario = "7 exports";
    public const double MemoryRatioMax = 1.2;

    public int Number => 7;
    public string Title => "Balances export of 20,000 and 100,000 members";
    public bool NeedsEmulators => true;

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context)
    {
        var (small, large) = context.Quick ? (4_000, 20_000) : (20_000, 100_000);
        var database = context.DatabaseFor("s7-exports");
        var figures = new List<Figure>();
        await using (var app = await BenchApp.StartAsync(context.Emulators, database, TimeProvider.System))
        {
            var now = DateTimeOffset.UtcNow;
            var today = DateOnly.FromDateTime(now.ToOffset(TimeSpan.FromHours(9)).DateTime);
            var ledger = app.Service<CosmosStorage>().Ledger;
            var policy = new ExpiryPolicy.FixedMonths(12, true);
            using var client = app.Client();
            var results = new List<(int Members, double RowsPerSecond, MemorySampler Memory)>();
            var written = 0;
            foreach (var members in new[] { small, large })
            {
                BenchContext.Log($"7: {members - written:N0} more members (direct upserts)");
                await Seeding.UpsertAccountsAsync(ledger, [.. Enumerable.Range(written, members - written)
                    .Select(i => Seeding.AccountWithRegularPoints($"exp7-{i:D6}", 100, now, today, policy))]);
                written = members;

                BenchContext.Log($"7: balances export of {members:N0} members");
                MemorySampler.FullGc();
                var watch = Stopwatch.StartNew();
                await using var memory = MemorySampler.Start();
                using var started = await client.PostAsJsonAsync("/api/v1/admin/exports", new { kind = "balances" });
                var id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("exportId").GetString()!;
                await ScanSteps.RunAsync(app);
                watch.Stop();
                var view = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/admin/exports/{id}")).RootElement;
                var rows = view.GetProperty("progress").GetProperty("rows").GetInt64();
                if (rows != members || view.GetProperty("status").GetString() != "completed")
                    throw new InvalidOperationException($"The export of {members} members wrote {rows} rows ({view}).");
                results.Add((members, rows / watch.Elapsed.TotalSeconds, memory));
                figures.Add(Figure.Context(Scenario, $"{members:N0} members: rows/s", rows / watch.Elapsed.TotalSeconds, "/s",
                    $"{watch.Elapsed.TotalSeconds:0.0} s; peak working set {MemorySampler.MiB(memory.PeakWorkingSetDelta):0} MiB over the floor"));
            }
            var ratio = (double)results[1].Memory.PeakWorkingSetDelta / Math.Max(1, results[0].Memory.PeakWorkingSetDelta);
            figures.Add(Figure.Below(Scenario, $"peak working set Δ {large:N0} ÷ {small:N0} members", ratio, "ratio", MemoryRatioMax,
                $"{MemorySampler.MiB(results[1].Memory.PeakWorkingSetDelta):0.0} ÷ {MemorySampler.MiB(results[0].Memory.PeakWorkingSetDelta):0.0} MiB"));
            context.Details["7"] = results.Select(r => new { r.Members, r.RowsPerSecond, peakWorkingSetDelta = r.Memory.PeakWorkingSetDelta }).ToList();
        }
        await context.DropDatabaseAsync(database);
        return figures;
    }
}

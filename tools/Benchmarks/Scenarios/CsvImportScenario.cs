using System.Diagnostics;
using System.Text;
using Azure.Storage.Blobs;
using Points.Benchmarks.Infrastructure;
using Points.Domain.Adjustments;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Adjustments;
using Points.Functions.Api;
using Points.Functions.Imports;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Benchmarks.Scenarios;

/// <summary>
/// 3. CSV import: a 100,000-row adjustments file (Shift_JIS, 20 rows per member, half regular grants, half special
/// points with an expiry, as in AdjustmentImportTests) through the blob path: dropped in Azurite, found by the local
/// trigger runner, sent to <c>ImportAdjustments</c> as the Functions host would, streamed, validated, applied, result
/// written. Compared with applying the same 100,000 adjustments directly through the application service
/// (<see cref="MemberLedger.ExecuteAsync"/> with <see cref="AdjustmentsFeature.Operation"/>, the same idempotency keys'
/// shape, in file order, <see cref="AdjustmentImport.InFlightMax"/> in flight like the import) on other members of
/// the same shape. Peak memory is sampled during a 20,000-row and the 100,000-row import (see <see cref="MemorySampler"/>).
/// </summary>
public sealed class CsvImportScenario : IScenario
{
    public const int RowsPerMember = 20;
    private const string Scenario = "3 csv import";
    private static readonly Encoding ShiftJis = CodePagesEncodingProvider.Instance.GetEncoding(932)!;

    public int Number => 3;
    public string Title => "CSV import through the blob path vs the application service";
    public bool NeedsEmulators => true;

    private static readonly BlobImportRun Import = new(AdjustmentImport.FunctionName, AdjustmentImport.Prefix, StatusColumn: 3);

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context)
    {
        var smallRows = context.Quick ? 2_000 : 20_000;
        var largeRows = context.Quick ? 10_000 : 100_000;
        var warmUpRows = context.Quick ? 1_000 : 5_000;
        var database = context.DatabaseFor("s3-import");
        var figures = new List<Figure>();
        await using (var app = await BenchApp.StartAsync(context.Emulators, database, TimeProvider.System, Import.Configure))
        {
            var run = Guid.NewGuid().ToString("N")[..6];
            var now = DateTimeOffset.UtcNow;
            var today = DateOnly.FromDateTime(now.ToOffset(TimeSpan.FromHours(9)).DateTime);
            var specialExpiry = today.AddDays(120);
            var warmUps = Enumerable.Range(0, JitWarmUp.PassesMax).SelectMany(i => new (string Name, int Rows)[] { ($"warm{i}", warmUpRows), ($"warmdirect{i}", warmUpRows) });
            (string Name, int Rows)[] sets = [.. warmUps, ("small", smallRows), ("large", largeRows), ("direct", largeRows)];
            BenchContext.Log($"3: seeding {sets.Sum(s => s.Rows / RowsPerMember):N0} members");
            await Seeding.UpsertAccountsAsync(app.Service<CosmosStorage>().Ledger, sets
                .SelectMany(s => Enumerable.Range(0, s.Rows / RowsPerMember).Select(m => Seeding.NewAccount(MemberOf(run, s.Name, m), now, today)))
                .ToList());

            var blobs = new BlobServiceClient(context.Emulators.StorageConnectionString);
            // Both paths warm: an import and a direct run of the warm-up size per pass.
            var passes = await JitWarmUp.RunAsync("3", async pass =>
            {
                await Import.RunAsync(app, blobs, BuildCsv(run, $"warm{pass}", warmUpRows, specialExpiry), $"{run}-warm{pass}.csv", warmUpRows);
                await ApplyDirectlyAsync(app, run, $"warmdirect{pass}", warmUpRows, specialExpiry);
            });
            BenchContext.Log($"3: import of {smallRows:N0} rows");
            var small = await Import.RunAsync(app, blobs, BuildCsv(run, "small", smallRows, specialExpiry), $"{run}-small.csv", smallRows);
            BenchContext.Log($"3: import of {largeRows:N0} rows");
            var large = await Import.RunAsync(app, blobs, BuildCsv(run, "large", largeRows, specialExpiry), $"{run}-large.csv", largeRows);
            BenchContext.Log($"3: the same {largeRows:N0} adjustments directly through MemberLedger");
            var direct = await ApplyDirectlyAsync(app, run, "direct", largeRows, specialExpiry);

            var ratio = large.RowsPerSecond / direct.RowsPerSecond;
            var memoryRatio = ImportFigures.MemoryRatio(small, large);
            figures.AddRange(ImportFigures.Compare(Scenario, "rows", small, large, direct, AdjustmentImport.InFlightMax, $"{large.Bytes / 1024:N0} KiB Shift_JIS"));
            // The managed heap right after each collection: what the import keeps alive plus what that collection left.
            // (The heap after full collections alone is a poor guide: a short run may see one, at any point of a chunk.)
            figures.Add(Figure.Context(Scenario, "managed heap after GC, peak Δ: large ÷ small",
                (double)large.Memory.PeakHeapAfterGcDelta / Math.Max(1, small.Memory.PeakHeapAfterGcDelta), "ratio",
                $"{MemorySampler.MiB(small.Memory.PeakHeapAfterGcDelta):0.0} MiB vs {MemorySampler.MiB(large.Memory.PeakHeapAfterGcDelta):0.0} MiB over the floor"));
            figures.Add(Figure.Exactly(Scenario, $"rows applied, import of {largeRows:N0}", large.Applied, "", largeRows));
            figures.Add(Figure.Exactly(Scenario, $"rows applied, import of {smallRows:N0}", small.Applied, "", smallRows));
            figures.Add(Figure.Exactly(Scenario, $"rows applied, direct", direct.Applied, "", largeRows));
            context.Details["3"] = new
            {
                rowsPerMember = RowsPerMember,
                warmUpPasses = passes,
                pollMilliseconds = BlobImportRun.PollMilliseconds,
                memorySampleIntervalMs = MemorySampler.IntervalMs,
                small = small.Describe(),
                large = large.Describe(),
                direct = direct.Describe(),
                ratio,
                memoryRatio,
            };
        }
        await context.DropDatabaseAsync(database);
        return figures;
    }

    private static string MemberOf(string run, string set, int m) => $"imp-{run}-{set}-{m:D5}";

    /// <summary>Row r of a set: member r / 20, even rows 10 regular points, odd rows 5 special points (as the import test).</summary>
    private static (string MemberId, long Points, bool Special) RowOf(string run, string set, int r) =>
        (MemberOf(run, set, r / RowsPerMember), r % 2 == 0 ? 10 : 5, r % 2 == 1);

    private static byte[] BuildCsv(string run, string set, int rows, DateOnly specialExpiry)
    {
        var csv = new StringBuilder("会員ID,ポイント,種別,有効期限,理由\r\n");
        var expiry = specialExpiry.ToString("yyyy/MM/dd", System.Globalization.CultureInfo.InvariantCulture);
        for (var r = 0; r < rows; r++)
        {
            var (member, points, special) = RowOf(run, set, r);
            csv.Append(member).Append(special ? $",{points},期間限定,{expiry},期間限定ポイント付与\r\n" : $",{points},通常,,キャンペーン付与\r\n");
        }
        return ShiftJis.GetBytes(csv.ToString());
    }

    /// <summary>The same rows, applied as the import applies them but without the file, validation pass or result file.</summary>
    private static async Task<ImportOutcome> ApplyDirectlyAsync(BenchApp app, string run, string set, int rows, DateOnly specialExpiry)
    {
        var ledger = app.Service<MemberLedger>();
        var before = app.Traffic.Snapshot();
        var memory = MemorySampler.Start();
        var watch = Stopwatch.StartNew();
        long applied = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, rows), new ParallelOptions { MaxDegreeOfParallelism = AdjustmentImport.InFlightMax }, async (r, _) =>
        {
            var (member, points, special) = RowOf(run, set, r);
            var adjustment = special
                ? new Adjustment(points, LotKind.Special, specialExpiry, "期間限定ポイント付与")
                : new Adjustment(points, LotKind.Regular, null, "キャンペーン付与");
            var result = await ledger.ExecuteAsync(MemberId.Parse(member), AdjustmentsFeature.Operation(adjustment, "bench:direct", $"{set}:{run}:{r}",
                RequestReader.HashOf("CSV", AdjustmentImport.Prefix, new { MemberId = member, adjustment })));
            if (result is OperationResult.Applied) Interlocked.Increment(ref applied);
        });
        watch.Stop();
        await memory.DisposeAsync();
        return new ImportOutcome(rows, 0, watch.Elapsed, applied, memory, app.Traffic.Snapshot() - before);
    }
}

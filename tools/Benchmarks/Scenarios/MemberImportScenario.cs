using System.Diagnostics;
using System.Text;
using Azure.Storage.Blobs;
using Points.Benchmarks.Infrastructure;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Imports;
using Points.Functions.Ledger;
using Points.Functions.Members;

namespace Points.Benchmarks.Scenarios;

/// <summary>
/// 9. Bulk members (issue 17): a 100,000-row members file (each row a new member with join date, tags, store and
/// newsletter opt-in) through the blob path, against registering the same shape of members directly through the
/// application service (<see cref="MembersFeature.RegistrationAsync"/> and <see cref="MemberLedger.ExecuteAsync"/>, as
/// the import does, <see cref="CsvImport.InFlightMax"/> in flight). Peak memory sampled during a 20,000-row and the
/// 100,000-row import.
/// </summary>
public sealed class MemberImportScenario : IScenario
{
    private const string Scenario = "9 members import";
    private static readonly BlobImportRun Import = new(MemberImport.FunctionName, MemberImport.Prefix, StatusColumn: 2);
    private static readonly string[] Stores = ["shibuya", "shinjuku", "umeda", "tenjin"];

    public int Number => 9;
    public string Title => "Members file through the blob path vs the application service";
    public bool NeedsEmulators => true;

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context)
    {
        var (smallRows, largeRows) = context.Quick ? (2_000, 10_000) : (20_000, 100_000);
        var warmUpRows = context.Quick ? 1_000 : 2_000;
        var database = context.DatabaseFor("s9-members");
        var figures = new List<Figure>();
        await using (var app = await BenchApp.StartAsync(context.Emulators, database, TimeProvider.System, Import.Configure))
        {
            var run = Guid.NewGuid().ToString("N")[..6];
            var blobs = new BlobServiceClient(context.Emulators.StorageConnectionString);
            // Both paths warm (JitWarmUp): an import and a direct registration of the warm-up size per pass.
            var passes = await JitWarmUp.RunAsync("9", async pass =>
            {
                await Import.RunAsync(app, blobs, Csv(run, $"warm{pass}", warmUpRows), $"{run}-warm{pass}.csv", warmUpRows);
                await RegisterDirectlyAsync(app, run, $"warmdirect{pass}", warmUpRows);
            });
            BenchContext.Log($"9: import of {smallRows:N0} members");
            var small = await Import.RunAsync(app, blobs, Csv(run, "small", smallRows), $"{run}-small.csv", smallRows);
            BenchContext.Log($"9: import of {largeRows:N0} members");
            var large = await Import.RunAsync(app, blobs, Csv(run, "large", largeRows), $"{run}-large.csv", largeRows);
            BenchContext.Log($"9: {largeRows:N0} members registered directly");
            var direct = await RegisterDirectlyAsync(app, run, "direct", largeRows);

            var (ratio, memoryRatio) = (large.RowsPerSecond / direct.RowsPerSecond, ImportFigures.MemoryRatio(small, large));
            figures.AddRange(ImportFigures.Compare(Scenario, "members", small, large, direct, CsvImport.InFlightMax, $"{large.Bytes / 1024:N0} KiB"));
            figures.Add(Figure.Exactly(Scenario, $"members created, import of {largeRows:N0}", large.Applied, "", largeRows));
            figures.Add(Figure.Exactly(Scenario, "members created, direct", direct.Applied, "", largeRows));
            context.Details["9"] = new { warmUpPasses = passes, small = small.Describe(), large = large.Describe(), direct = direct.Describe(), ratio, memoryRatio };
        }
        await context.DropDatabaseAsync(database);
        return figures;
    }

    private static string MemberOf(string run, string set, int i) => $"mi-{run}-{set}-{i:D6}";

    private static ProfileChange ProfileOf(int i) =>
        new(new DateOnly(2015, 1, 1).AddDays(i % 3650), null, i % 3 == 0 ? ["vip"] : ["club", "new"], Stores[i % Stores.Length], i % 2 == 0);

    private static byte[] Csv(string run, string set, int rows)
    {
        var csv = new StringBuilder("member_id,joined_on,tags,store_id,newsletter\r\n");
        for (var i = 0; i < rows; i++)
        {
            var p = ProfileOf(i);
            csv.Append(MemberOf(run, set, i)).Append(',').Append(p.JoinedOn!.Value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture))
                .Append(',').Append(string.Join(';', p.Tags!)).Append(',').Append(p.StoreId).Append(',').Append(p.NewsletterOptIn == true ? "true" : "false").Append("\r\n");
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    /// <summary>The same registrations as the import makes, without the file, validation pass or result file.</summary>
    private static async Task<ImportOutcome> RegisterDirectlyAsync(BenchApp app, string run, string set, int rows)
    {
        var (ledger, store, codes) = (app.Service<MemberLedger>(), app.Service<LedgerStore>(), app.Service<ReferralCodes>());
        var before = app.Traffic.Snapshot();
        var memory = MemorySampler.Start();
        var watch = Stopwatch.StartNew();
        long applied = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, rows), new ParallelOptions { MaxDegreeOfParallelism = CsvImport.InFlightMax }, async (i, ct) =>
        {
            var id = MemberId.Parse(MemberOf(run, set, i));
            var (registration, _) = await MembersFeature.RegistrationAsync(id, ProfileOf(i), null, store, codes, "bench:direct", ct);
            if (await ledger.ExecuteAsync(id, registration!) is OperationResult.Applied) Interlocked.Increment(ref applied);
        });
        watch.Stop();
        await memory.DisposeAsync();
        return new ImportOutcome(rows, 0, watch.Elapsed, applied, memory, app.Traffic.Snapshot() - before);
    }
}

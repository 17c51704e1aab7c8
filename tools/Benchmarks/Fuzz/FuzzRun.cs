using Azure.Storage.Blobs;
using Points.Benchmarks.Infrastructure;
using Points.Tools.Fuzzing;
using Points.Tools.LocalStack;

namespace Points.Benchmarks.Fuzz;

/// <summary>
/// <c>./points bench --fuzz [--count N] [--seed S] [--start I] [--concurrency C]</c>: the input fuzzer (tools/Fuzzing)
/// against the real app on the local emulators, a million inputs by default, outside the scenario list. Prints the
/// answers by status and code and every violation with its replay; writes artifacts/bench/fuzz.txt. Exit code 1 when
/// any input got a 5xx (other than the ledger's known amount overflow) or an undocumented 4xx.
/// </summary>
public static class FuzzRun
{
    public const long DefaultCount = 1_000_000;
    public const int DefaultConcurrency = 32;

    /// <summary>
    /// Inputs per app and database. The local Cosmos server scans a whole container for every query, so a database that
    /// has taken hundreds of thousands of writes slows every request (measured: 480/s falling to 70/s over 100,000
    /// inputs on one database); each round starts on a fresh one, with a world of its own.
    /// </summary>
    public const long RoundInputs = 50_000;

    public static async Task<int> RunAsync(string repositoryRoot, ulong? seed, long start, long count, int concurrency)
    {
        var chosenSeed = seed ?? (ulong)Random.Shared.NextInt64(1, long.MaxValue);
        BenchContext.Log($"Fuzz: seed {chosenSeed}, inputs {start:N0}..{start + count - 1:N0}, {concurrency} at a time. Starting the emulators");
        await using var emulators = await LocalStack.StartAsync(LocalStackOptions.ForTests());
        var context = new BenchContext(emulators, quick: false, repositoryRoot);
        var report = new FuzzReport(chosenSeed, start, count);
        var blobs = new BlobServiceClient(emulators.StorageConnectionString);
        for (var from = start; from < start + count; from = (from / RoundInputs + 1) * RoundInputs)
        {
            var round = from / RoundInputs;
            var until = Math.Min(start + count, (round + 1) * RoundInputs);
            var database = context.DatabaseFor($"fuzz-{round}");
            var serverErrors = new ServerErrorLog();
            await using (var app = await BenchApp.StartAsync(emulators, database, TimeProvider.System, services: serverErrors.AddTo))
            {
                using var client = new HttpClient { BaseAddress = app.BaseAddress };
                var world = await FuzzWorld.PrepareAsync(client, app.ApiKey, DateTimeOffset.UtcNow, $"r{round}");
                var fuzzer = new Fuzzer(app.BaseAddress, world, blobs, serverErrors);
                BenchContext.Log($"Round {round}: inputs {from:N0}..{until - 1:N0} on database {database}");
                await fuzzer.RunAsync(chosenSeed, from, until - from, concurrency, BenchContext.Log, report);
            }
            await context.DropDatabaseAsync(database);
        }

        var text = report.Render();
        Console.WriteLine(text);
        var output = Path.Combine(repositoryRoot, "artifacts", "bench");
        Directory.CreateDirectory(output);
        await File.WriteAllTextAsync(Path.Combine(output, "fuzz.txt"), text);
        BenchContext.Log($"Written to {Path.GetRelativePath(repositoryRoot, Path.Combine(output, "fuzz.txt"))}");
        return report.ViolationCount == 0 ? 0 : 1;
    }
}

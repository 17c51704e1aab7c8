using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Points.Functions.Storage;

namespace Points.Tools.FaultHarness;

/// <param name="Seeds">The seeds to run.</param>
/// <param name="Repeats">Runs of each seed (a violation that depends on thread timing may need several replays).</param>
/// <param name="Parallelism">Runs at once. Runs touch disjoint members, items and files; each run's faults hit only its own requests.</param>
/// <param name="Trace">Keep each run's trace (what was sent and answered, the histories): for replaying a few seeds.</param>
public sealed record FaultRunOptions(IReadOnlyList<int> Seeds, int Repeats = 1, int Parallelism = FaultRunOptions.ParallelismDefault, bool Trace = false)
{
    /// <summary>Four runs at once keep two cores and the single-threaded local Cosmos server busy without starving a run.</summary>
    public const int ParallelismDefault = 4;
    /// <summary>Set it to a seed (or seeds, comma-separated) to run just those: <c>POINTS_FAULT_SEED=1234</c>.</summary>
    public const string SeedVariable = "POINTS_FAULT_SEED";
    /// <summary>How many times each seed runs: <c>POINTS_FAULT_REPEAT=20</c>.</summary>
    public const string RepeatVariable = "POINTS_FAULT_REPEAT";

    /// <summary>Seeds 1..<paramref name="count"/>, unless <see cref="SeedVariable"/> names some (then those, <see cref="RepeatVariable"/> times each).</summary>
    public static FaultRunOptions FromEnvironment(int count)
    {
        var named = Environment.GetEnvironmentVariable(SeedVariable);
        var repeats = int.TryParse(Environment.GetEnvironmentVariable(RepeatVariable), CultureInfo.InvariantCulture, out var r) && r > 0 ? r : 1;
        return string.IsNullOrWhiteSpace(named)
            ? new FaultRunOptions([.. Enumerable.Range(1, count)], repeats)
            : new FaultRunOptions([.. named.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))], repeats,
                Trace: true);
    }
}

/// <summary>What a batch of seeds did and found.</summary>
public sealed record FaultReport(IReadOnlyList<SeedResult> Results, TimeSpan Duration)
{
    public int Runs => Results.Count;
    public long Operations => Results.Sum(r => (long)r.Operations);
    public long Requests => Results.Sum(r => r.Requests);
    public FaultCounts Faults => Results.Aggregate(FaultCounts.None, (sum, r) => sum + r.Faults);
    public int Violations => Results.Sum(r => r.Violations.Count);
    public IReadOnlyList<SeedResult> Failed => [.. Results.Where(r => r.Violations.Count > 0)];

    /// <summary>What the runs did or met, summed over runs.</summary>
    public IReadOnlyDictionary<string, long> Notes => Results.SelectMany(r => r.Notes)
        .GroupBy(p => p.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(p => p.Value), StringComparer.Ordinal);

    public string Summary() =>
        $"{Runs} runs of {Results.Select(r => r.Seed).Distinct().Count()} seeds in {Duration.TotalSeconds:0.#} s: {Operations} operations, {Requests} requests, " +
        $"faults injected {Faults.Total} ({Faults}), {Violations} invariant violations in {Failed.Count} runs";

    /// <summary>The violations, each run with how to replay it.</summary>
    public string Details(int runsMax = 10, int violationsPerRunMax = 10)
    {
        var text = new StringBuilder();
        foreach (var failed in Failed.Take(runsMax))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Seed {failed.Seed} (run {failed.Repeat}): {failed.Violations.Count} violations. Replay: {FaultRunOptions.SeedVariable}={failed.Seed} dotnet test tests/Points.Functions.Tests -c Release --filter FullyQualifiedName~FaultInjectionTests   or   ./points bench --faults --seed {failed.Seed}");
            foreach (var violation in failed.Violations.Take(violationsPerRunMax)) text.AppendLine("  - " + violation);
        }
        if (Failed.Count > runsMax) text.AppendLine(CultureInfo.InvariantCulture, $"… and {Failed.Count - runsMax} more failing runs: seeds {string.Join(",", Failed.Skip(runsMax).Select(f => f.Seed).Distinct())}");
        return text.ToString();
    }
}

/// <summary>
/// Runs seeds against the real app: the program's earning rules are set once per app, then every seed's run (<see cref="SeedRun"/>)
/// goes with its own members, catalog item and file, several at once.
/// </summary>
public static class FaultRun
{
    /// <summary>
    /// Runs per app and database. The local Cosmos server scans a container's documents for queries and change-feed
    /// reads, so it slows down as runs pile up data; a fresh app and database every so many runs keeps the 10,000-seed
    /// mode linear. Runs never depend on each other's data.
    /// </summary>
    public const int RunsPerApp = 250;

    public static async Task<FaultReport> RunAsync(Points.Tools.LocalStack.LocalStack emulators, FaultRunOptions options, Action<string>? progress = null)
    {
        var watch = Stopwatch.StartNew();
        var runs = options.Seeds.SelectMany(seed => Enumerable.Range(0, options.Repeats).Select(repeat => (Seed: seed, Repeat: repeat))).ToList();
        var results = new SeedResult[runs.Count];
        var done = 0;
        foreach (var batch in Enumerable.Range(0, runs.Count).Chunk(RunsPerApp))
        {
            await using var app = await HarnessApp.StartAsync(emulators, "fh" + Guid.NewGuid().ToString("N")[..10]);
            using var http = app.Client();
            await SetUpProgramAsync(http);
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism }, async (i, _) =>
            {
                var (seed, repeat) = runs[i];
                var random = new Random(seed);
                var plan = FaultPlan.Draw(seed, repeat, random);
                results[i] = await new SeedRun(app, http, SeedScript.Draw(plan, random)).RunAsync(options.Trace);
                var finished = Interlocked.Increment(ref done);
                if (progress is not null && (finished % 100 == 0 || results[i].Violations.Count > 0))
                {
                    progress($"{finished}/{runs.Count} runs{(results[i].Violations.Count > 0 ? $"; seed {seed} found {results[i].Violations.Count} violations, first: {results[i].Violations[0]}" : "")}");
                }
            });
        }
        return new FaultReport(results, watch.Elapsed);
    }

    /// <summary>The earning rules every run's events meet (rules are program-wide; runs only add members and items).</summary>
    private static async Task SetUpProgramAsync(HttpClient http)
    {
        var rules = new Dictionary<string, object>
        {
            ["fh-login"] = new { trigger = "login", formula = new { type = "fixed", points = 10 }, caps = new { perDay = new { times = 3 } } },
            ["fh-purchase"] = new { trigger = "purchase", formula = new { type = "rate", unitYen = 100, pointsPerUnit = 1 } },
            ["fh-purchase-bonus"] = new { trigger = "purchase", formula = new { type = "fixed", points = 5 } },
            ["fh-survey"] = new { trigger = "survey", formula = new { type = "fixed", points = 20 }, grant = new { pendingDays = 3 } },
            ["fh-registration"] = new { trigger = "registration", formula = new { type = "fixed", points = 100 } },
            ["fh-referral"] = new { trigger = "referral", formula = new { type = "fixed", points = 50 } },
            ["fh-welcome"] = new { trigger = "referral_welcome", formula = new { type = "fixed", points = 30 } },
            ["fh-anniversary"] = new { trigger = "anniversary", formula = new { type = "fixed", points = 200 } },
        };
        foreach (var (id, rule) in rules)
        {
            using var response = await http.PutAsJsonAsync($"/api/v1/admin/rules/{id}", rule, JsonDefaults.Options);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"Setting rule {id} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Points.Benchmarks.Faults;
using Points.Benchmarks.Infrastructure;
using Points.Benchmarks.Scenarios;
using Points.Tools.LocalStack;

// `./points bench [--quick] [--only N[,N...]]`: issue 5's scenarios against the real app and the local emulators.
// `./points bench --faults [--seeds N]`: the fault-injection harness over many seeds instead (tools/FaultHarness).
// `./points bench --fuzz [--count N]`: generated inputs to every route and the CSV import instead (tools/Fuzzing).
// Progress goes to stderr; the table to stdout; the figures to artifacts/bench/latest.json (and latest.md).
const string Usage = """
    usage: ./points bench [--quick] [--only N[,N...]] [--cosmos-latency-ms MS]
           ./points bench --fuzz [--count N] [--seed S] [--start I] [--concurrency C]
           ./points bench --faults [--seeds N] [--seed S[,S...]] [--repeat N] [--parallel N]
      --quick     smaller sizes, for a smoke run (figures are not comparable with a full run)
      --only N    run scenario N only (1 accrual, 2 hot member, 3 CSV import, 4 expiry job, 5 domain, 6 special campaign, 7 exports, 8 webhooks, 9 members import, 10 cold start); repeatable or comma-separated
                  (two or more scenarios run one after the other, each in a process of its own with emulators of its own)
      --cosmos-latency-ms MS  the local Cosmos server holds each request MS ms (1..10000) before handling it, as the network
                  to Cosmos DB would: figures then show the round trips an operation waits for, not only its CPU (compared in
                  the history only with runs of the same latency)
      --fuzz      instead of the scenarios: generated inputs to every route and to the CSV import (tools/Fuzzing), counted by
                  status and code; --count inputs (default 1,000,000) from --start (default 0) of the run with --seed
                  (default: random, printed), --concurrency at a time (default 32). A violation prints its seed, index and size.
      --faults    run the fault-injection harness: seeds 1..N (--seeds, default 10000), or just --seed S (replay), each
                  --repeat times, --parallel at once (default 4); prints operations, faults by kind and invariant violations
    """;

var quick = false;
var cosmosLatencyMs = 0;
string? figuresTo = null; // set for a scenario process of a larger run (ScenarioProcess)
var only = new SortedSet<int>();
var fuzz = false;
long fuzzStart = 0, fuzzCount = Points.Benchmarks.Fuzz.FuzzRun.DefaultCount;
var fuzzConcurrency = Points.Benchmarks.Fuzz.FuzzRun.DefaultConcurrency;
var faults = false;
int? seedCount = null, repeat = null, parallel = null;
var seeds = new List<string>(); // --seed: one for --fuzz, one or more for --faults
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--fuzz":
            fuzz = true;
            break;
        case "--count" when i + 1 < args.Length && long.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var count) && count > 0:
            fuzzCount = count;
            i++;
            break;
        case "--start" when i + 1 < args.Length && long.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var start) && start >= 0:
            fuzzStart = start;
            i++;
            break;
        case "--concurrency" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var concurrency) && concurrency is > 0 and <= 1024:
            fuzzConcurrency = concurrency;
            i++;
            break;
        case "--quick":
            quick = true;
            break;
        case ScenarioProcess.CosmosLatencyOption when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var latency)
            && latency > 0 && latency <= LocalStack.CosmosLatencyMax.TotalMilliseconds:
            cosmosLatencyMs = latency;
            i++;
            break;
        case ScenarioProcess.CosmosLatencyOption:
            Console.Error.WriteLine($"{ScenarioProcess.CosmosLatencyOption} takes whole milliseconds 1..{LocalStack.CosmosLatencyMax.TotalMilliseconds:0}.\n{Usage}");
            return 2;
        case ScenarioProcess.FiguresToOption when i + 1 < args.Length:
            figuresTo = args[++i];
            break;
        case "--faults":
            faults = true;
            break;
        case "--seeds" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n > 0:
            seedCount = n;
            i++;
            break;
        case "--seed" when i + 1 < args.Length:
            seeds.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            break;
        case "--repeat" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0:
            repeat = r;
            i++;
            break;
        case "--parallel" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var p) && p > 0:
            parallel = p;
            i++;
            break;
        case "--only" when i + 1 < args.Length:
            foreach (var part in args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, CultureInfo.InvariantCulture, out var n) || n is < 1 or > 10)
                {
                    Console.Error.WriteLine($"--only: '{part}' is not a scenario number 1..10.\n{Usage}");
                    return 2;
                }
                only.Add(n);
            }
            break;
        case "-h" or "--help":
            Console.WriteLine(Usage);
            return 0;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'.\n{Usage}");
            return 2;
    }
}

if (fuzz && faults)
{
    Console.Error.WriteLine($"--fuzz and --faults are separate runs.\n{Usage}");
    return 2;
}
if (fuzz)
{
    ulong? fuzzSeed = null;
    if (seeds.Count > 1 || seeds.Count == 1 && !ulong.TryParse(seeds[0], CultureInfo.InvariantCulture, out _))
    {
        Console.Error.WriteLine($"--fuzz takes one --seed, a whole number.\n{Usage}");
        return 2;
    }
    if (seeds.Count == 1) fuzzSeed = ulong.Parse(seeds[0], CultureInfo.InvariantCulture);
    return await Points.Benchmarks.Fuzz.FuzzRun.RunAsync(FindRepositoryRoot(), fuzzSeed, fuzzStart, fuzzCount, fuzzConcurrency);
}
var namedSeeds = new List<int>();
foreach (var text in seeds)
{
    if (!int.TryParse(text, CultureInfo.InvariantCulture, out var seed))
    {
        Console.Error.WriteLine($"--seed: '{text}' is not a number.\n{Usage}");
        return 2;
    }
    namedSeeds.Add(seed);
}
if (faults)
{
    return await FaultsMode.RunAsync(namedSeeds.Count > 0 ? namedSeeds : [.. Enumerable.Range(1, seedCount ?? FaultsMode.SeedsDefault)],
        repeat ?? 1, parallel ?? Points.Tools.FaultHarness.FaultRunOptions.ParallelismDefault, trace: namedSeeds.Count > 0, FindRepositoryRoot());
}
if (seedCount is not null || namedSeeds.Count > 0 || repeat is not null || parallel is not null)
{
    Console.Error.WriteLine($"--seeds, --seed, --repeat and --parallel go with --faults (--seed also with --fuzz).\n{Usage}");
    return 2;
}

IScenario[] all = [new AccrualScenario(), new HotMemberScenario(), new CsvImportScenario(), new ExpiryJobScenario(), new DomainScenario(), new SpecialCampaignScenario(), new ExportScenario(), new WebhookScenario(), new MemberImportScenario(), new ColdStartScenario()];
var selected = all.Where(s => only.Count == 0 || only.Contains(s.Number)).ToList();
var root = FindRepositoryRoot();
// A scenario process of a larger run (figuresTo) leaves the machine, the warnings and the table to the run.
var machine = figuresTo is null ? Machine.Describe(root) : null;
if (figuresTo is null && Machine.HandlerGcMismatch() is { } mismatch)
{
    // The memory figures must be those of the handler's GC configuration (an environment override such as DOTNET_gcServer).
    BenchContext.Log($"Warning: {mismatch}");
}
var started = DateTimeOffset.Now;
var total = Stopwatch.StartNew();
var jsonOptions = new JsonSerializerOptions
{
    WriteIndented = true,
    PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
};
var figures = new List<Figure>();
var details = new Dictionary<string, object>();
var failed = false;
var ownProcesses = selected.Count > 1 && figuresTo is null;
if (figuresTo is null)
{
    BenchContext.Log($"Points benchmarks{(quick ? " (quick)" : "")}: scenarios {string.Join(", ", selected.Select(s => s.Number))}" +
        $"{(ownProcesses ? ", each in a process of its own," : "")} on {machine}");
}
if (ownProcesses)
{
    foreach (var scenario in selected)
    {
        var (outcome, scenarioFailed) = await ScenarioProcess.RunAsync(scenario.Number, scenario.Title, quick, cosmosLatencyMs, jsonOptions);
        figures.AddRange(outcome.Figures);
        foreach (var (key, value) in outcome.Details) details[key] = value;
        failed |= scenarioFailed;
    }
}
else
{
    // One scenario (alone, or a scenario process of a larger run; a figures file given several runs them in turn).
    foreach (var scenario in selected) failed |= await RunHereAsync(scenario, quick, cosmosLatencyMs, root, figures, details);
}
if (figuresTo is not null)
{
    // A scenario process of a larger run: the run writes the table and the history.
    await ScenarioProcess.WriteAsync(figuresTo, figures, details, jsonOptions);
    return failed ? 1 : 0;
}

total.Stop();
var header = $"Points benchmarks, {started:yyyy-MM-dd HH:mm zzz}{(quick ? ", QUICK sizes" : "")}" +
    $"{(cosmosLatencyMs > 0 ? $", COSMOS LATENCY {cosmosLatencyMs} ms per request" : "")}: {total.Elapsed.TotalMinutes:0.0} min on {machine}";
var table = FigureTable.Render(figures, markdown: false);
Console.WriteLine();
Console.WriteLine(header);
Console.WriteLine();
Console.Write(table);

var output = Path.Combine(root, "artifacts", "bench");
Directory.CreateDirectory(output);
var latest = Path.Combine(output, "latest.json");
var history = BenchHistory.Read(latest, jsonOptions);
var run = BenchHistory.Of(started, machine!.ToString(), quick, cosmosLatencyMs, figures);
var changes = BenchHistory.Changes(run, history).ToList();
if (changes.Count > 0)
{
    Console.WriteLine();
    Console.WriteLine("Against the last runs that measured them:");
    foreach (var line in changes) Console.WriteLine("  " + line);
}
var json = JsonSerializer.Serialize(new
{
    date = started,
    quick,
    cosmosLatencyMs,
    scenarios = selected.Select(s => s.Number),
    minutes = Math.Round(total.Elapsed.TotalMinutes, 2),
    machine,
    figures,
    details,
    run,
    history = history.Take(BenchHistory.RunsKept - 1),
}, jsonOptions);
await File.WriteAllTextAsync(latest, json);
await File.WriteAllTextAsync(Path.Combine(output, "latest.md"), $"{header}\n\n{FigureTable.Render(figures, markdown: true)}");
Console.WriteLine();
Console.WriteLine($"Figures written to {Path.GetRelativePath(root, Path.Combine(output, "latest.json"))} (and latest.md).");
return failed ? 1 : 0;

// One scenario in this process, on emulators of its own when it needs them; true when it failed.
static async Task<bool> RunHereAsync(IScenario scenario, bool quick, int cosmosLatencyMs, string root, List<Figure> figures, Dictionary<string, object> details)
{
    var failed = false;
    LocalStack? emulators = null;
    try
    {
        if (scenario.NeedsEmulators)
        {
            BenchContext.Log($"Starting the emulators (free ports, in memory{(cosmosLatencyMs > 0 ? $", Cosmos latency {cosmosLatencyMs} ms per request" : "")})");
            emulators = await LocalStack.StartAsync(LocalStackOptions.ForTests() with { CosmosLatency = TimeSpan.FromMilliseconds(cosmosLatencyMs) });
        }
        var context = new BenchContext(emulators, quick, root);
        if (emulators is not null) await EmulatorWarmUp.RunAsync(context);
        BenchContext.Log($"== {scenario.Number}. {scenario.Title}");
        var watch = Stopwatch.StartNew();
        try
        {
            figures.AddRange(await scenario.RunAsync(context));
        }
        catch (Exception e)
        {
            failed = true;
            BenchContext.Log($"{scenario.Number} failed: {e}");
            figures.Add(Figure.ScenarioFailed(scenario.Number, scenario.Title, $"{e.GetType().Name}: {e.Message}"));
        }
        BenchContext.Log($"{scenario.Number} took {watch.Elapsed.TotalSeconds:0} s");
        context.Details[$"{scenario.Number}.seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 1);
        foreach (var (key, value) in context.Details) details[key] = value;
    }
    finally
    {
        if (emulators is not null) await emulators.DisposeAsync();
    }
    return failed;
}

static string FindRepositoryRoot()
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PointsFunctions.sln"))) return dir.FullName;
        }
    }
    throw new InvalidOperationException("Run from inside the Points repository (PointsFunctions.sln not found).");
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Points.Benchmarks.Infrastructure;
using Points.Domain.Expiry;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Benchmarks.Scenarios;

/// <summary>
/// 1. Accrual throughput: <c>POST /api/v1/events</c> (one fixed-points rule) at concurrency 32 over 10,000 distinct
/// members, 20,000 events, against a baseline measured in the same run on the same server: raw Cosmos SDK single
/// document upserts at concurrency 32 over 10,000 partitions. Two more baselines put HTTP around them: a minimal endpoint
/// that upserts the member's document per event, and the same endpoint making the ledger's requests (a read on a
/// member's first event, then the write) — the most any ledger making those requests can reach on this machine.
/// <para>
/// The baseline always runs. The event run first probes the route with one event for an unknown member: a served
/// route answers 404 <c>member_not_found</c>, an app without the earning engine answers the catch-all 404
/// <c>not_found</c>, which is reported as "not available" (no number). The same holds for the rules API.
/// </para>
/// </summary>
public sealed class AccrualScenario : IScenario
{
    public const string EventsPath = "/api/v1/events";
    public const string RuleId = "bench-fixed-login";
    public const string EventType = "login";
    public const int FixedPoints = 10;
    public const int Concurrency = 32;

    /// <summary>
    /// The fixed-points rule (F7) created with <c>PUT /api/v1/admin/rules/{ruleId}</c> (RuleSpec): 10 regular points
    /// per login, no caps, everyone eligible. A refusal is reported with its status and problem code, never as a number.
    /// </summary>
    public static object RuleBody => new
    {
        trigger = EventType,
        formula = new { type = "fixed", points = FixedPoints },
        grant = new { kind = "regular" },
    };

    private const string Scenario = "1 accrual";
    // Issue 18's targets (issue 5 asked for 0.40 and 2.2): a member's second event is the account replace alone, so half
    // the events cost one request and the run's average stays under 1.6.
    private const double RatioTarget = 0.75;
    private const double RequestsPerEventTarget = 1.6;

    public int Number => 1;
    public string Title => "Accrual throughput (POST /api/v1/events) vs raw Cosmos upserts";
    public bool NeedsEmulators => true;

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context)
    {
        var members = context.Quick ? 1_000 : 10_000;
        var operations = context.Quick ? 2_000 : 20_000;
        var warmUp = context.Quick ? 200 : 2_000;
        var figures = new List<Figure>();

        var eventsDatabase = context.DatabaseFor("s1-events");
        await using var app = await BenchApp.StartAsync(context.Emulators, eventsDatabase, TimeProvider.System);
        using var client = app.Client();
        var unavailable = await ProbeAsync(client) ?? await CreateRuleAsync(client);
        await using var upserts = await UpsertBaseline.StartAsync(context, members);
        await using var endpoint = await upserts.StartEndpointAsync();
        using var endpointClient = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = endpoint.Address };
        var runId = Guid.NewGuid().ToString("N")[..8];
        if (unavailable is null)
        {
            BenchContext.Log($"1: seeding {members:N0} members");
            var now = TimeProvider.System.GetUtcNow();
            var today = DateOnly.FromDateTime(now.ToOffset(TimeSpan.FromHours(9)).DateTime);
            var accounts = Enumerable.Range(0, members).Select(i => Seeding.NewAccount(MemberOf(i), now, today)).ToList();
            await Seeding.UpsertAccountsAsync(app.Service<CosmosStorage>().Ledger, accounts);
        }

        // Both sides warm (JitWarmUp): each pass, raw upserts and events to the first members.
        var passes = await JitWarmUp.RunAsync("1", async pass =>
        {
            await upserts.RunAsync(warmUp);
            await Load.RunAsync(warmUp, Concurrency, (i, _) => PostEventAsync(endpointClient, $"warm{pass}-{runId}-{i}", MemberOf(i % members)));
            await Load.RunAsync(warmUp, Concurrency, (i, _) => PostEventAsync(endpointClient, $"warm{pass}-{runId}-{i}", MemberOf(i % members), UpsertBaseline.ReadFirstPath));
            if (unavailable is null) await Load.RunAsync(warmUp, Concurrency, (i, _) => PostEventAsync(client, $"warm{pass}-{runId}-{i}", MemberOf(i % members)));
        });

        // The baseline runs right before the events, on the same server.
        BenchContext.Log($"1: baseline, {operations:N0} raw upserts over {members:N0} partitions at concurrency {Concurrency}");
        var server = ServerCpu.Of(context.Emulators);
        var (baseline, baselineServer) = await ServerCpu.MeasureAsync(server, () => upserts.RunAsync(operations));
        figures.Add(Figure.Context(Scenario, "baseline: raw Cosmos upserts", baseline.PerSecond, "/s",
            $"{operations:N0} upserts of a {upserts.DocumentBytes:N0}-byte account document over {members:N0} partitions, concurrency {Concurrency}"));
        figures.Add(Figure.Context(Scenario, "baseline: upsert p50", baseline.P50, "ms"));
        figures.Add(Figure.Context(Scenario, "baseline: upsert p99", baseline.P99, "ms"));
        BenchContext.Log($"1: baseline, {operations:N0} events to an endpoint that only upserts the member's document");
        var (minimal, minimalServer) = await ServerCpu.MeasureAsync(server,
            () => Load.RunAsync(operations, Concurrency, (i, _) => PostEventAsync(endpointClient, $"min-{runId}-{i}", MemberOf(i % members))));
        figures.Add(Figure.Context(Scenario, "baseline: HTTP event + one upsert", minimal.PerSecond, "/s",
            "the same requests to a minimal endpoint in this process (no key, no rules, no ledger): read the event, upsert the member's document, answer 200 — the least any HTTP API of this stack does per event"));
        BenchContext.Log($"1: baseline, {operations:N0} events to an endpoint that reads a member's document on the member's first event, then upserts it");
        var readsBefore = upserts.FirstReads;
        var (readFirst, readFirstServer) = await ServerCpu.MeasureAsync(server,
            () => Load.RunAsync(operations, Concurrency, (i, _) => PostEventAsync(endpointClient, $"rf-{runId}-{i}", MemberOf(i % members), UpsertBaseline.ReadFirstPath)));
        var firstReads = upserts.FirstReads - readsBefore;
        figures.Add(Figure.Context(Scenario, "baseline: HTTP event + the ledger's requests", readFirst.PerSecond, "/s",
            $"the minimal endpoint, reading the member's document on the member's first event in the process ({firstReads:N0} of {operations:N0} here, " +
            "as for the ledger's events below) and then upserting it: the requests a ledger must make, with nothing else"));
        figures.Add(Figure.Context(Scenario, "  ÷ upserts/s: the most any ledger making these requests reaches here", readFirst.PerSecond / baseline.PerSecond, "ratio",
            $"{readFirst.ProcessorMicrosecondsPerOperation:N0} µs of this process" +
            (readFirstServer is { } readFirstServerPerEvent ? $" and {readFirstServerPerEvent:N0} µs of the Cosmos server" : "") + " per event"));
        context.Details["1.baseline"] = new
        {
            operations, members, Concurrency, upserts.DocumentBytes, perSecond = baseline.PerSecond, p50 = baseline.P50, p99 = baseline.P99, failures = baseline.Failures,
            warmUpPasses = passes, endpoint = new { perSecond = minimal.PerSecond, p50 = minimal.P50, p99 = minimal.P99, failures = minimal.Failures },
            readFirstEndpoint = new { perSecond = readFirst.PerSecond, p50 = readFirst.P50, p99 = readFirst.P99, failures = readFirst.Failures, firstReads },
        };

        if (unavailable is not null)
        {
            BenchContext.Log($"1: events not measured: {unavailable}");
            figures.Add(Figure.NotAvailable(Scenario, "events/s", "/s", null, unavailable));
            figures.Add(Figure.NotAvailable(Scenario, "event p50", "ms", null, unavailable));
            figures.Add(Figure.NotAvailable(Scenario, "event p99", "ms", null, unavailable));
            figures.Add(Figure.NotAvailable(Scenario, "events/s ÷ upserts/s", "ratio", $"≥ {RatioTarget:0.00}", unavailable));
            figures.Add(Figure.NotAvailable(Scenario, "Cosmos requests per event", "", $"≤ {RequestsPerEventTarget:0.0}", unavailable));
            context.Details["1.events"] = new { available = false, reason = unavailable };
            await context.DropDatabaseAsync(eventsDatabase);
            return figures;
        }

        BenchContext.Log($"1: {operations:N0} events at concurrency {Concurrency}");
        var before = app.Traffic.Snapshot();
        var compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        var (result, eventsServer) = await ServerCpu.MeasureAsync(server,
            () => Load.RunAsync(operations, Concurrency, (i, _) => PostEventAsync(client, $"evt-{runId}-{i}", MemberOf(i % members))));
        var traffic = app.Traffic.Snapshot() - before;
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - compiledBefore;
        var requests = traffic.Total;

        // The accounts as the run left them, read once (with the size of their JSON).
        var store = app.Service<LedgerStore>();
        var written = new AccountVersion[members];
        await Load.RunAsync(members, Concurrency, async (i, _) =>
        {
            written[i] = (await store.ReadAccountVersionAsync(MemberId.Parse(MemberOf(i)), CancellationToken.None))!;
            return null;
        });

        // Every event awarded the rule's points: sampled members hold 10 points per event they received.
        var sampled = Enumerable.Range(0, members).Where(i => i % 97 == 0).ToList();
        var right = sampled.Count(i => written[i].Account.Ledger.Balance.Value ==
            FixedPoints * (operations / members + (i < operations % members ? 1 : 0) + (i < warmUp ? passes : 0)));

        // The same raw upserts, of the documents the app wrote (journal, idempotency records, outbox and all): how much of
        // the gap is the size of what is written rather than the work around the write.
        var writtenBytes = written.Average(v => v.Bytes);
        BenchContext.Log($"1: baseline again, {operations:N0} raw upserts of the app's own documents ({writtenBytes:N0} bytes on average)");
        var appDocuments = await upserts.RunAsync(operations, [.. written.Select(v => v.Account)]);
        figures.Add(Figure.Context(Scenario, "baseline: raw upserts of the app's documents", appDocuments.PerSecond, "/s",
            $"the accounts as the run left them, {writtenBytes:N0} bytes of JSON on average against the first baseline's {upserts.DocumentBytes:N0}"));

        var ratio = result.PerSecond / baseline.PerSecond;
        var perEvent = (double)requests / operations;
        figures.Add(Figure.Context(Scenario, "events/s", result.PerSecond, "/s", $"{operations:N0} events over {members:N0} members, concurrency {Concurrency}; after {passes} warm-up passes, the JIT compiled {compiled:N0} methods during the run"));
        figures.Add(Figure.Context(Scenario, "event p50", result.P50, "ms"));
        figures.Add(Figure.Context(Scenario, "event p99", result.P99, "ms"));
        figures.Add(Figure.Context(Scenario, "CPU per event: this process", result.ProcessorMicrosecondsPerOperation, "µs",
            $"bench client, app and Cosmos SDK; a minimal endpoint's request {minimal.ProcessorMicrosecondsPerOperation:N0} µs, a raw upsert {baseline.ProcessorMicrosecondsPerOperation:N0} µs"));
        var latency = context.Emulators!.CosmosLatency;
        if (eventsServer is { } perEventServer)
        {
            figures.Add(Figure.Context(Scenario, "CPU per event: the Cosmos server", perEventServer, "µs",
                $"the local server's Node process; a minimal endpoint's request {minimalServer:N0} µs, a raw upsert {baselineServer:N0} µs"));
            // An upper bound, generous on purpose: every core busy, the server's CPU for the ledger's requests, and on the
            // process's side only what a minimal endpoint's request costs (HTTP in and out, one SDK request) — as if the
            // ledger's own work, and its SDK requests beyond the first, cost nothing.
            var ceiling = Environment.ProcessorCount * 1e6 / (perEventServer + minimal.ProcessorMicrosecondsPerOperation);
            figures.Add(Figure.Context(Scenario, "ceiling ÷ upserts/s, were the ledger's own work free", ceiling / baseline.PerSecond, "ratio",
                $"{ceiling:N0} events/s at most: {Environment.ProcessorCount} cores ÷ ({perEventServer:N0} µs of the Cosmos server for the ledger's requests " +
                $"+ {minimal.ProcessorMicrosecondsPerOperation:N0} µs of this process for a minimal endpoint's request) per event" +
                (latency > TimeSpan.Zero ? $"; the CPU's bound, not the one that binds with {latency.TotalMilliseconds:0} ms per request (the next figure)" : "")));
        }
        if (latency > TimeSpan.Zero)
        {
            // With latency each of an event's account requests is a round trip it waits for (a read, then the write), where
            // an upsert is one: at the same concurrency, events/s can reach upserts/s ÷ account requests per event at most.
            // (Due-index listings go on after the answer; the few config reads are cached.)
            var waited = (double)traffic.Count(Containers.Ledger) / operations;
            figures.Add(Figure.Context(Scenario, "round-trip bound ÷ upserts/s", 1 / waited, "ratio",
                $"1 ÷ {waited:0.00} account requests per event: each a round trip of {latency.TotalMilliseconds:0} ms or more that " +
                "the event waits for, where a raw upsert waits for one"));
        }
        figures.Add(Figure.Context(Scenario, "allocated per event", result.AllocatedKiBPerOperation, "KiB",
            $"the whole process; a minimal endpoint's request {minimal.AllocatedKiBPerOperation:N1} KiB, a raw upsert {baseline.AllocatedKiBPerOperation:N1} KiB"));
        figures.Add(Figure.AtLeast(Scenario, "events/s ÷ upserts/s", ratio, "ratio", RatioTarget));
        figures.Add(Figure.Context(Scenario, "events/s ÷ (HTTP event + one upsert)/s", result.PerSecond / minimal.PerSecond, "ratio",
            "what the ledger costs beyond the least an HTTP API does per event on the same server and cores"));
        figures.Add(Figure.Context(Scenario, "events/s ÷ raw upserts of the app's documents/s", result.PerSecond / appDocuments.PerSecond, "ratio"));
        var indexWrites = traffic.Count(Containers.Indexes);
        figures.Add(Figure.AtMost(Scenario, "Cosmos requests per event", perEvent, "", RequestsPerEventTarget,
            string.Join(", ", traffic.Breakdown().Select(p => $"{p.Key}: {p.Value:N0}"))));
        figures.Add(Figure.Context(Scenario, "  of which due-index writes per event", (double)indexWrites / operations, "",
            $"a member's first lot with a new expiry date lists the member under that date; listings made at the same time share " +
            $"one chunk create (here {Math.Max(0, members - warmUp) / (double)Math.Max(1, indexWrites):0.0} newly listed members per create)"));
        figures.Add(Figure.Exactly(Scenario, "failed events", result.Failures, "", 0, result.FailureSamples.FirstOrDefault()));
        figures.Add(Figure.Exactly(Scenario, "sampled members with the right balance", right, "", sampled.Count, "10 points per event received"));
        context.Details["1.events"] = new
        {
            available = true, operations, members, Concurrency, perSecond = result.PerSecond, p50 = result.P50, p99 = result.P99,
            ratio, requests, requestsPerEvent = perEvent, indexWrites, breakdown = traffic.Breakdown(), failures = result.Failures, failureSamples = result.FailureSamples,
        };
        await context.DropDatabaseAsync(eventsDatabase);
        return figures;
    }

    private static string MemberOf(int i) => $"acc-{i:D5}";

    /// <summary>Null when <c>POST /api/v1/events</c> is served; otherwise why not.</summary>
    private static async Task<string?> ProbeAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync(EventsPath,
            new { eventId = "probe-" + Guid.NewGuid().ToString("N"), memberId = "bench-probe-nobody", type = EventType }, JsonDefaults.Options);
        var code = await ProblemCodeAsync(response);
        // The app's catch-all answers unmapped routes with 404 not_found (405 method_not_allowed for other verbs);
        // a served route answers an unknown member with 404 member_not_found.
        return response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed && code is "not_found" or "method_not_allowed" or null
            ? $"not available yet: POST {EventsPath} is not built (the app answers {(int)response.StatusCode} {code})"
            : null;
    }

    private static async Task<string?> CreateRuleAsync(HttpClient client)
    {
        using var response = await client.PutAsJsonAsync($"/api/v1/admin/rules/{RuleId}", RuleBody, JsonDefaults.Options);
        if (response.IsSuccessStatusCode) return null;
        var code = await ProblemCodeAsync(response);
        return code is "not_found" or "method_not_allowed"
            ? $"not available yet: PUT /api/v1/admin/rules/{{ruleId}} is not built (the app answers {(int)response.StatusCode} {code})"
            : $"not measured: the fixed-points rule was refused ({(int)response.StatusCode} {code}); adjust AccrualScenario.RuleBody to the rules API";
    }

    private static async Task<string?> PostEventAsync(HttpClient client, string eventId, string memberId, string path = EventsPath)
    {
        using var response = await client.PostAsJsonAsync(path, new { eventId, memberId, type = EventType }, JsonDefaults.Options);
        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created)
        {
            return null;
        }
        return $"{(int)response.StatusCode} {await ProblemCodeAsync(response)}";
    }

    private static async Task<string?> ProblemCodeAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0 || text.TrimStart()[0] != '{') return null;
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Raw Cosmos SDK upserts of the account document a member has after one earn, one per request, at the same
    /// concurrency, in a database of its own on the same server: what the server does with the simplest possible
    /// write per event.
    /// </summary>
    private sealed class UpsertBaseline : IAsyncDisposable
    {
        private readonly BenchContext _context;
        private readonly string _database;
        private readonly CosmosClient _cosmos;
        private readonly Container _container;
        private readonly AccountDocument[] _documents;
        private int _next;
        private int _firstReads;

        private UpsertBaseline(BenchContext context, string database, CosmosClient cosmos, Container container, AccountDocument[] documents)
        {
            (_context, _database, _cosmos, _container, _documents) = (context, database, cosmos, container, documents);
            DocumentBytes = JsonSerializer.SerializeToUtf8Bytes(documents[0], JsonDefaults.Documents).Length;
        }

        public int DocumentBytes { get; }

        /// <summary>Reads made so far by the endpoint's <see cref="ReadFirstPath"/>.</summary>
        public int FirstReads => Volatile.Read(ref _firstReads);

        public static async Task<UpsertBaseline> StartAsync(BenchContext context, int members)
        {
            var database = context.DatabaseFor("s1-upserts");
            var cosmos = context.RawCosmosClient();
            var created = (await cosmos.CreateDatabaseIfNotExistsAsync(database)).Database;
            var container = (await created.CreateContainerIfNotExistsAsync(new ContainerProperties(Containers.Ledger, "/memberId"))).Container;
            var now = DateTimeOffset.UtcNow;
            var today = DateOnly.FromDateTime(now.ToOffset(TimeSpan.FromHours(9)).DateTime);
            var documents = Enumerable.Range(0, members)
                .Select(i => Seeding.AccountWithRegularPoints(MemberOf(i), FixedPoints, now, today, new ExpiryPolicy.FixedMonths(12, true)))
                .ToArray();
            return new UpsertBaseline(context, database, cosmos, container, documents);
        }

        /// <summary>The next <paramref name="operations"/> upserts, round the members (of <paramref name="documents"/> when given).</summary>
        public Task<LoadResult> RunAsync(int operations, IReadOnlyList<AccountDocument>? documents = null)
        {
            documents ??= _documents;
            var first = _next;
            _next += operations;
            return Load.RunAsync(operations, Concurrency, async (i, _) =>
            {
                // Typed, like the app's own writes: the SDK serializes with the app's JSON options.
                var document = documents[(first + i) % documents.Count];
                await _container.UpsertItemAsync(document, new PartitionKey(document.MemberId));
                return null;
            });
        }

        /// <summary>Where the minimal endpoint also reads the member's document on the member's first event in the process.</summary>
        public const string ReadFirstPath = "/read-first" + EventsPath;

        /// <summary>
        /// A minimal HTTP endpoint on a loopback port: <c>POST /api/v1/events</c> upserts the member's document;
        /// <see cref="ReadFirstPath"/> first reads it (and parses it) when the member is new to the endpoint — the
        /// requests the ledger makes for an event (it must know a member's account before it can decide), with no ledger.
        /// </summary>
        public async Task<Endpoint> StartEndpointAsync()
        {
            var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0"]);
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var byMember = _documents.ToDictionary(d => d.MemberId, StringComparer.Ordinal);
            var seen = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
            app.MapPost(EventsPath, (HttpRequest request) => UpsertAsync(request, readFirst: false));
            app.MapPost(ReadFirstPath, (HttpRequest request) => UpsertAsync(request, readFirst: true));
            await app.StartAsync();
            return new Endpoint(app, BenchApp.AddressOf(app));

            async Task<IResult> UpsertAsync(HttpRequest request, bool readFirst)
            {
                var posted = await request.ReadFromJsonAsync<PostedEvent>(JsonDefaults.Options);
                if (posted?.MemberId is not { } memberId || !byMember.TryGetValue(memberId, out var document)) return Results.NotFound();
                var key = new PartitionKey(document.MemberId);
                if (readFirst && seen.TryAdd(memberId, true))
                {
                    // A 404 (a member not upserted yet in a quick run) is a round trip all the same.
                    using var read = await _container.ReadItemStreamAsync(AccountDocument.DocumentId, key);
                    if (read.IsSuccessStatusCode) await JsonSerializer.DeserializeAsync<AccountDocument>(read.Content, JsonDefaults.Documents);
                    Interlocked.Increment(ref _firstReads);
                }
                await _container.UpsertItemAsync(document, key);
                return Results.Ok(new { posted.EventId });
            }
        }

        private sealed record PostedEvent(string? EventId, string? MemberId, string? Type);

        public sealed class Endpoint(WebApplication app, Uri address) : IAsyncDisposable
        {
            public Uri Address => address;

            public async ValueTask DisposeAsync()
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _cosmos.Dispose();
            await _context.DropDatabaseAsync(_database);
        }
    }
}

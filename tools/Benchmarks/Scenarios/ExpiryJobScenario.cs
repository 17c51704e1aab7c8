using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Points.Benchmarks.Infrastructure;
using Points.Domain.Expiry;
using Points.Domain.Adjustments;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Adjustments;
using Points.Functions.Api;
using Points.Functions.Expiry;
using Points.Functions.Ledger;
using Points.Functions.Members;
using Points.Functions.Storage;

namespace Points.Benchmarks.Scenarios;

/// <summary>
/// 4. Expiry job cost: 100,000 members of which 1,000 have due lots. The due members get a special lot expiring on
/// 2026-11-30 through the real ledger path (<see cref="MemberLedger.ExecuteAsync"/>, which lists them in the due
/// index under 2026-12-01); the others are created the faster of two measured ways (MemberRegistry, or account
/// documents written with plain SDK upserts) and hold 100 regular points expiring a year later. The fake clock then
/// moves to 2026-12-01 00:05 JST and <c>ExpirePoints</c> is invoked the way the Functions host does
/// (<c>POST /ExpirePoints</c> with a timer payload); its Cosmos requests are counted in the app's client pipeline.
/// Then the program switches to <c>rolling(12)</c>: 1,000 members get regular points due on 2027-12-02, and as many
/// more get the same points and spend one a month and a half later, which moves their lots to 2028-01-15 (they leave
/// 2027-12-02 in the due index). The run of 2027-12-02 expires the first and skips the others unread.
/// </summary>
public sealed class ExpiryJobScenario : IScenario
{
    public const int RequestsPerDueMemberMax = 5;
    /// <summary>issue 13: with rolling active, a member whose lots moved costs nothing on the old date beyond its chunk.</summary>
    public const int RollingRequestsPerDueMemberMax = 3;
    /// <summary>The same constant as the ExpiryJobCost test: settings, checkpoint read and write.</summary>
    public const int RequestsPerRunMax = 10;

    private const string Scenario = "4 expiry job";
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 12, 0, 0, Jst);
    private static readonly DateOnly SpecialExpiry = new(2026, 11, 30);

    public int Number => 4;
    public string Title => "ExpirePoints cost with 100,000 members, 1,000 due";
    public bool NeedsEmulators => true;

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context)
    {
        var members = context.Quick ? 10_000 : 100_000;
        var due = context.Quick ? 100 : 1_000;
        var sample = context.Quick ? 500 : 2_000;
        var database = context.DatabaseFor("s4-expiry");
        var clock = new FakeTimeProvider(Start);
        var figures = new List<Figure>();
        await using (var app = await BenchApp.StartAsync(context.Emulators, database, clock))
        {
            using var client = app.Client();
            var now = clock.GetUtcNow();
            var today = DateOnly.FromDateTime(now.ToOffset(Jst).DateTime);
            var policy = new ExpiryPolicy.FixedMonths(12, true);
            var ledgerContainer = app.Service<CosmosStorage>().Ledger;
            var ledger = app.Service<MemberLedger>();

            // How to create members fast: the same number both ways, same concurrency, same empty account.
            BenchContext.Log($"4: creating {sample:N0} members through the member commit path and {sample:N0} with direct upserts");
            var viaRegistry = await Seeding.RegisterAsync(ledger, Ids("reg", 0, sample), today);
            var viaUpserts = await Seeding.UpsertAccountsAsync(ledgerContainer, Ids("ups", 0, sample).Select(id => Seeding.NewAccount(id, now, today)).ToList());
            var upsertsFaster = viaUpserts < viaRegistry;
            figures.Add(Figure.Context(Scenario, "setup: registrations through MemberLedger", sample / viaRegistry.TotalSeconds, "/s", "read + create per member, concurrency 32"));
            figures.Add(Figure.Context(Scenario, "setup: direct account upserts", sample / viaUpserts.TotalSeconds, "/s",
                $"one upsert per member, concurrency 32; {(upsertsFaster ? "used" : "not used")} for the other members"));

            BenchContext.Log($"4: {due:N0} due members (registered, then a special lot expiring {SpecialExpiry:yyyy-MM-dd} through MemberLedger)");
            var dueIds = Ids("due", 0, due);
            await Seeding.RegisterAsync(ledger, dueIds, today);
            var granted = 0;
            await Parallel.ForEachAsync(dueIds, new ParallelOptions { MaxDegreeOfParallelism = Seeding.Concurrency }, async (id, _) =>
            {
                var adjustment = new Adjustment(50, LotKind.Special, SpecialExpiry, "benchmark: limited-time points");
                var result = await ledger.ExecuteAsync(MemberId.Parse(id), AdjustmentsFeature.Operation(adjustment, "bench", "due-" + id,
                    RequestReader.HashOf("POST", "/bench", adjustment)));
                if (result is OperationResult.Applied) Interlocked.Increment(ref granted);
            });
            if (granted != due) throw new InvalidOperationException($"Only {granted} of {due} special grants applied.");

            var rest = members - 2 * sample - due;
            BenchContext.Log($"4: {rest:N0} other members ({(upsertsFaster ? "direct upserts" : "MemberRegistry")})");
            var restWatch = Stopwatch.StartNew();
            const int batch = 10_000;
            for (var from = 0; from < rest; from += batch)
            {
                var ids = Ids("m", from, Math.Min(batch, rest - from));
                if (upsertsFaster)
                    await Seeding.UpsertAccountsAsync(ledgerContainer, ids.Select(id => Seeding.AccountWithRegularPoints(id, 100, now, today, policy)).ToList());
                else
                    await Seeding.RegisterAsync(ledger, ids, today);
            }
            BenchContext.Log($"4: {rest:N0} members in {restWatch.Elapsed.TotalSeconds:0} s");

            // The day before the lots are due: the job's first run (no checkpoint yet: it looks back
            // DueMembersJob.FirstRunLookBackDays days) finds nothing and records the checkpoint, so the measured run
            // covers one due date.
            clock.SetUtcNow(new DateTimeOffset(2026, 11, 30, 0, 5, 0, Jst));
            await InvokeAsync(client, clock);
            clock.SetUtcNow(new DateTimeOffset(2026, 12, 1, 0, 5, 0, Jst));

            BenchContext.Log("4: ExpirePoints");
            var before = app.Traffic.Snapshot();
            var watch = Stopwatch.StartNew();
            var reply = await InvokeAsync(client, clock);
            watch.Stop();
            var traffic = app.Traffic.Snapshot() - before;
            var requests = traffic.Total;

            var rerunBefore = app.Traffic.Snapshot();
            var rerunReply = await InvokeAsync(client, clock);
            var rerun = app.Traffic.Snapshot() - rerunBefore;
            var rerunRequests = rerun.Total;

            // Correctness: every due member lost exactly its special lot; nobody else was written.
            var store = app.Service<LedgerStore>();
            var expired = 0;
            await Parallel.ForEachAsync(dueIds, new ParallelOptions { MaxDegreeOfParallelism = Seeding.Concurrency }, async (id, ct) =>
            {
                var (account, _) = await store.ReadAccountAsync(MemberId.Parse(id), ct);
                if (account is { Ledger.Lots.Length: 0, Ledger.Balance.Value: 0 }) Interlocked.Increment(ref expired);
            });
            var replaces = traffic.Count("ledger", "replace");
            // Due-index query pages and chunk deletes grow with the due members (a chunk lists up to 500), so they count here.
            var memberRequests = traffic.Count("ledger") + traffic.Count("indexes");

            var budget = RequestsPerDueMemberMax * due + RequestsPerRunMax;
            figures.Add(Figure.AtMost(Scenario, "Cosmos requests of the run", requests, "", budget,
                $"{(double)requests / due:0.00} per due member; " + string.Join(", ", traffic.Breakdown().Select(p => $"{p.Key}: {p.Value:N0}"))));
            figures.Add(Figure.AtMost(Scenario, "requests per due member", (double)memberRequests / due, "", RequestsPerDueMemberMax,
                "the member's account read and replace, and its share of the due-index chunks (query pages, deletes)"));
            figures.Add(Figure.AtMost(Scenario, "requests independent of members (the constant)", requests - memberRequests, "", RequestsPerRunMax,
                "settings, checkpoint read and write"));
            figures.Add(Figure.Context(Scenario, "duration", watch.Elapsed.TotalSeconds, "s",
                $"{due / watch.Elapsed.TotalSeconds:0} due members/s, {ExpirePointsJob.ParallelMembersMax} in parallel; {members:N0} members in the database"));
            figures.Add(Figure.Context(Scenario, "rerun: Cosmos requests", rerunRequests, "",
                "the same date again: " + string.Join(", ", rerun.Breakdown().Select(p => $"{p.Key}: {p.Value:N0}"))));
            figures.Add(Figure.Exactly(Scenario, "due members expired", expired, "", due, reply));
            figures.Add(Figure.Exactly(Scenario, "account replaces", replaces, "", due, "members without due lots were not written"));
            context.Details["4"] = new
            {
                members, due, sample,
                registrySeconds = viaRegistry.TotalSeconds, upsertSeconds = viaUpserts.TotalSeconds, upsertsFaster,
                requests, perDueMember = (double)requests / due, memberRequests, constantRequests = requests - memberRequests, seconds = watch.Elapsed.TotalSeconds, breakdown = traffic.Breakdown(),
                rerunRequests, rerunBreakdown = rerun.Breakdown(), reply, rerunReply, expired,
            };
            figures.AddRange(await RunRollingAsync(app, client, clock, due, context));
        }
        await context.DropDatabaseAsync(database);
        return figures;
    }

    /// <summary>The rolling phase (see the class summary), on the same database after the fixed-months run.</summary>
    private static async Task<IReadOnlyList<Figure>> RunRollingAsync(BenchApp app, HttpClient client, FakeTimeProvider clock, int due, BenchContext context)
    {
        const string scenario = "4b expiry job, rolling";
        var ledger = app.Service<MemberLedger>();
        var current = await client.GetAsync("/api/v1/admin/settings");
        using var put = new HttpRequestMessage(HttpMethod.Put, "/api/v1/admin/settings")
        {
            Content = JsonContent.Create(new { regularExpiry = new { type = "rolling", months = 12 } }),
        };
        put.Headers.IfMatch.Add(current.Headers.ETag!);
        var saved = await client.SendAsync(put);
        if (!saved.IsSuccessStatusCode) throw new InvalidOperationException($"Settings: {(int)saved.StatusCode} {await saved.Content.ReadAsStringAsync()}");
        clock.Advance(TimeSpan.FromSeconds(6)); // past the settings cache

        BenchContext.Log($"4b: rolling(12); {due:N0} members due on 2027-12-02 and {due:N0} whose lots move on 2027-01-15");
        var dueIds = Ids("roll-due", 0, due);
        var movers = Ids("roll-move", 0, due);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().ToOffset(Jst).DateTime);
        await Seeding.RegisterAsync(ledger, [.. dueIds, .. movers], today);
        await Parallel.ForEachAsync(dueIds.Concat(movers), new ParallelOptions { MaxDegreeOfParallelism = Seeding.Concurrency }, async (id, _) =>
        {
            var adjustment = new Adjustment(100, LotKind.Regular, null, "benchmark: regular points under rolling(12)");
            if (await ledger.ExecuteAsync(MemberId.Parse(id), AdjustmentsFeature.Operation(adjustment, "bench", "roll-" + id, RequestReader.HashOf("POST", "/bench", adjustment)))
                is not OperationResult.Applied) throw new InvalidOperationException($"The grant to {id} was not applied.");
        });
        clock.SetUtcNow(new DateTimeOffset(2027, 1, 15, 12, 0, 0, Jst));
        await Parallel.ForEachAsync(movers, new ParallelOptions { MaxDegreeOfParallelism = Seeding.Concurrency }, async (id, ct) =>
        {
            using var spend = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/members/{id}/redemptions") { Content = JsonContent.Create(new { points = 1, purpose = "other" }) };
            spend.Headers.Add("Idempotency-Key", "roll-spend-" + id);
            using var response = await client.SendAsync(spend, ct);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Spend of {id}: {(int)response.StatusCode}");
        });
        var dueOn = new DateOnly(2027, 12, 2);
        var index = app.Service<DueIndex>();
        var waited = Stopwatch.StartNew();
        while ((await index.ReadLeftAsync(DueIndex.Expiry, dueOn, CancellationToken.None)).Members.Count < due)
        {
            if (waited.Elapsed > TimeSpan.FromMinutes(2)) throw new InvalidOperationException("The movers did not all leave 2027-12-02 within 2 minutes.");
            await Task.Delay(200);
        }

        // The day before: a run that catches up the dates since 2026-12-01 and records the checkpoint; then the measured one.
        clock.SetUtcNow(new DateTimeOffset(2027, 12, 1, 0, 5, 0, Jst));
        await InvokeAsync(client, clock);
        clock.SetUtcNow(new DateTimeOffset(2027, 12, 2, 0, 5, 0, Jst));
        var before = app.Traffic.Snapshot();
        var watch = Stopwatch.StartNew();
        var reply = await InvokeAsync(client, clock);
        watch.Stop();
        var traffic = app.Traffic.Snapshot() - before;
        var memberRequests = traffic.Count("ledger") + traffic.Count("indexes");

        var store = app.Service<LedgerStore>();
        int expired = 0, kept = 0;
        await Parallel.ForEachAsync(dueIds.Concat(movers), new ParallelOptions { MaxDegreeOfParallelism = Seeding.Concurrency }, async (id, ct) =>
        {
            var (account, _) = await store.ReadAccountAsync(MemberId.Parse(id), ct);
            if (account is { Ledger.Balance.Value: 0 }) Interlocked.Increment(ref expired);
            if (account is { Ledger.Balance.Value: 99 }) Interlocked.Increment(ref kept);
        });
        context.Details["4b"] = new { due, movers = movers.Count, requests = traffic.Total, memberRequests, breakdown = traffic.Breakdown(), reply, expired, kept, seconds = watch.Elapsed.TotalSeconds };
        return
        [
            Figure.AtMost(scenario, "requests per due member", (double)memberRequests / due, "", RollingRequestsPerDueMemberMax,
                $"{due:N0} due and {movers.Count:N0} listed members whose lots moved away (skipped unread); " + string.Join(", ", traffic.Breakdown().Select(p => $"{p.Key}: {p.Value:N0}"))),
            Figure.Exactly(scenario, "due members expired", expired, "", due, reply),
            Figure.Exactly(scenario, "moved members untouched (99 points, due 2028-01-15)", kept, "", movers.Count),
            Figure.Exactly(scenario, "account replaces", traffic.Count("ledger", "replace"), "", due, "the moved members were neither read nor written"),
        ];
    }

    private static List<string> Ids(string kind, int from, int count) =>
        Enumerable.Range(from, count).Select(i => $"exp-{kind}-{i:D6}").ToList();

    /// <summary>The Functions host's timer invocation (<c>POST /ExpirePoints</c>); returns the invocation's log line.</summary>
    private static async Task<string> InvokeAsync(HttpClient client, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var payload = new
        {
            Data = new
            {
                timer = new
                {
                    Schedule = new { AdjustForDST = true },
                    ScheduleStatus = new { Last = now.AddDays(-1), Next = now.AddDays(1), LastUpdated = now.AddDays(-1) },
                    IsPastDue = false,
                },
            },
            Metadata = new { sys = new { MethodName = ExpirePointsJob.FunctionName, UtcNow = now, RandGuid = Guid.NewGuid() } },
        };
        using var response = await client.PostAsJsonAsync("/" + ExpirePointsJob.FunctionName, payload);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"ExpirePoints: {(int)response.StatusCode} {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.TryGetProperty("Logs", out var logs) && logs.ValueKind == JsonValueKind.Array && logs.GetArrayLength() > 0
            ? logs[0].GetString() ?? text
            : text;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;
using Reply = Points.Functions.Tests.Infrastructure.Api.Reply;

namespace Points.Functions.Tests.Ledger;

/// <summary>One request the app sent to the ledger container: the partition it named, the verb, the path from the container on, the status.</summary>
public sealed record LedgerRequest(string? Partition, string Method, string Path, int Status);

/// <summary>Records the app's requests to the ledger container, so a test can say exactly what one member's commit cost.</summary>
public sealed class LedgerRequestLog : RequestHandler
{
    private readonly ConcurrentQueue<LedgerRequest> _requests = new();

    public override async Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var path = request.RequestUri.OriginalString;
        var at = path.IndexOf("colls/ledger", StringComparison.Ordinal);
        if (at >= 0)
        {
            _requests.Enqueue(new LedgerRequest(request.Headers["x-ms-documentdb-partitionkey"], request.Method.Method, path[at..], (int)response.StatusCode));
        }
        return response;
    }

    /// <summary>The requests naming <paramref name="member"/>'s partition, in the order they were answered.</summary>
    public IReadOnlyList<LedgerRequest> Of(string member) =>
        [.. _requests.Where(r => r.Partition?.Contains($"\"{member}\"", StringComparison.Ordinal) == true)];
}

/// <summary>An app instance whose ledger requests are recorded; given another, a second instance on its database and clock.</summary>
public class RecordedInstance : AppFixture
{
    public RecordedInstance() { }

    public RecordedInstance(RecordedInstance first) : base(first.Clock, first.Database) { }

    public LedgerRequestLog Requests { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<RequestHandler>(Requests);
}

/// <summary>Two instances of the app on one database and one clock, each with its own account cache.</summary>
public sealed class TwoInstancesFixture : IAsyncLifetime
{
    public TwoInstancesFixture() => B = new RecordedInstance(A);

    public RecordedInstance A { get; } = new();
    public RecordedInstance B { get; }
    public FakeTimeProvider Clock => A.Clock;

    public async Task InitializeAsync()
    {
        await A.InitializeAsync();
        await B.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
    }
}

/// <summary>
/// Issue 18 item 1: an instance that knows a member's account document writes without reading it first. Two instances
/// write the same members here, so each one's cached documents go stale in every way the other can make them.
/// </summary>
public sealed class AccountCacheTests(TwoInstancesFixture apps) : IClassFixture<TwoInstancesFixture>
{
    [Fact]
    public async Task SecondEventOfAMember_CostsOnlyTheAccountReplace()
    {
        var client = apps.A.Client();
        var trigger = await PutFixedRuleAsync(points: 10);
        var member = await client.NewMemberAsync();
        Assert.Equal(HttpStatusCode.OK, (await EventAsync(client, member, trigger)).Status);

        var before = apps.A.Requests.Of(member).Count;
        var second = await EventAsync(client, member, trigger);

        Assert.Equal((HttpStatusCode.OK, 20L), (second.Status, second.Body.GetProperty("balance").GetInt64()));
        var cost = apps.A.Requests.Of(member).Skip(before).ToList();
        Assert.Equal([("PUT", 200)], cost.Select(r => (r.Method, r.Status)));
        Assert.EndsWith("/docs/account", cost[0].Path, StringComparison.Ordinal);
    }

    /// <summary>
    /// The pitfall of the cache: a refusal writes nothing, so no 412 would catch one decided on a stale document. A
    /// knows the member at 100 points; B grants 100 more; A must not refuse 150.
    /// </summary>
    [Fact]
    public async Task RefusalOnAStaleCachedAccount_IsDecidedAgainOnAFreshRead()
    {
        var member = await apps.A.Client().NewMemberAsync(points: 100);
        Assert.Equal(HttpStatusCode.Created, (await apps.B.Client().AdjustAsync(member, 100)).Status);
        var before = apps.A.Requests.Of(member).Count;

        var spend = await apps.A.Client().RedeemAsync(member, 150);

        Assert.Equal((HttpStatusCode.Created, 50L), (spend.Status, spend.Long("balance")));
        // Decided on the cached document first (a refusal, so nothing sent), then on a fresh read, and written.
        Assert.Equal([("GET", 200), ("PUT", 200)], apps.A.Requests.Of(member).Skip(before).Select(r => (r.Method, r.Status)));
        var refused = await apps.A.Client().RedeemAsync(member, 51);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "insufficient_points"), (refused.Status, refused.Code));
    }

    /// <summary>A stale document says enough points; the write fails on its ETag and the fresh decision refuses.</summary>
    [Fact]
    public async Task SpendOnAStaleCachedAccount_LosesItsWrite_AndIsRefusedOnFreshState()
    {
        var member = await apps.A.Client().NewMemberAsync(points: 100);
        Assert.Equal(HttpStatusCode.Created, (await apps.B.Client().RedeemAsync(member, 80)).Status);

        var spend = await apps.A.Client().RedeemAsync(member, 50);

        Assert.Equal((HttpStatusCode.UnprocessableEntity, "insufficient_points"), (spend.Status, spend.Code));
        Assert.Contains(("PUT", 412), apps.A.Requests.Of(member).Select(r => (r.Method, r.Status)));
        Assert.Equal(20, (await apps.A.Client().GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task KeyAppliedOnOneInstance_RetriedOnTheOtherWithAStaleCache_ReplaysTheSameAnswer()
    {
        var member = await apps.A.Client().NewMemberAsync(points: 100);
        var first = await apps.B.Client().RedeemAsync(member, 30, key: "stale-replay-1");
        Assert.Equal(HttpStatusCode.Created, first.Status);

        var again = await apps.A.Client().RedeemAsync(member, 30, key: "stale-replay-1");
        var reused = await apps.A.Client().RedeemAsync(member, 31, key: "stale-replay-1");

        Assert.Equal((HttpStatusCode.Created, first.Text, "true"), (again.Status, again.Text, again.Header("Idempotent-Replayed")));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "idempotency_key_reused"), (reused.Status, reused.Code));
        Assert.Equal(70, (await apps.B.Client().GetMemberAsync(member)).Long("balance"));
        Assert.Equal(2, (await HistoryAsync(apps.A.Client(), member)).Count);
    }

    /// <summary>
    /// No feature deletes a member today; should one (an erasure, an operator), a cached version must not outlive the
    /// document: a write on it finds nothing to replace (404) and a refusal is decided again on a fresh read.
    /// </summary>
    [Fact]
    public async Task DeletedAccount_IsNotServedFromTheCache_TheMemberIsNotFound()
    {
        var client = apps.A.Client();
        var (spender, refused) = (await client.NewMemberAsync(points: 100), await client.NewMemberAsync(points: 100));
        foreach (var member in new[] { spender, refused })
        {
            using var deleted = await apps.A.Service<Points.Functions.Storage.CosmosStorage>().Ledger
                .DeleteItemStreamAsync(AccountDocument.DocumentId, new PartitionKey(member));
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var spend = await client.RedeemAsync(spender, 10);
        var refusal = await client.RedeemAsync(refused, 1_000);

        Assert.Equal((HttpStatusCode.NotFound, "member_not_found"), (spend.Status, spend.Code));
        Assert.Equal(("PUT", 404), apps.A.Requests.Of(spender).Select(r => (r.Method, r.Status)).SkipLast(1).Last());
        Assert.Equal((HttpStatusCode.NotFound, "member_not_found"), (refusal.Status, refusal.Code));
        Assert.Equal(("GET", 404), apps.A.Requests.Of(refused).Select(r => (r.Method, r.Status)).Last());
        Assert.Null(apps.A.Service<AccountCache>().Find(MemberId.Parse(refused)));
    }

    /// <summary>
    /// One member, one operation at a time on either instance at random, time moving on between them so that no
    /// instance stops trusting its cache: every answer is the one a single up-to-date ledger gives.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RandomSequence_OverTwoInstances_AnswersAsOneLedger(int seed)
    {
        var random = new Random(seed);
        var clients = new[] { apps.A.Client(), apps.B.Client() };
        var member = await clients[0].NewMemberAsync();
        var (balance, seq) = (0L, 0L);
        var applied = new List<(string Key, long Points, bool Grant, string Text)>();
        var trace = new List<string>();

        for (var step = 0; step < 120; step++)
        {
            apps.Clock.Advance(AccountCache.ContendedFor + TimeSpan.FromSeconds(1));
            var on = random.Next(2);
            var client = clients[on];
            var roll = random.Next(100);
            if (roll < 15 && applied.Count > 0)
            {
                var (key, points, grant, text) = applied[random.Next(applied.Count)];
                var replay = grant ? await client.AdjustAsync(member, points, key: key) : await client.RedeemAsync(member, points, key: key);
                trace.Add($"{step} on {on}: replay {key}: {(int)replay.Status}");
                Assert.True((replay.Status, replay.Text, replay.Header("Idempotent-Replayed")) == (HttpStatusCode.Created, text, "true"), Trace(trace, replay));
                continue;
            }
            if (roll < 22 && applied.Count > 0)
            {
                var (key, points, grant, _) = applied[random.Next(applied.Count)];
                var reused = grant ? await client.AdjustAsync(member, points + 1, key: key) : await client.RedeemAsync(member, points + 1, key: key);
                trace.Add($"{step} on {on}: reuse {key}: {(int)reused.Status}");
                Assert.True((reused.Status, reused.Code) == (HttpStatusCode.UnprocessableEntity, "idempotency_key_reused"), Trace(trace, reused));
                continue;
            }
            var newKey = $"seq{seed}-{step}";
            if (roll < 55)
            {
                var points = random.Next(1, 61);
                var grant = await client.AdjustAsync(member, points, key: newKey);
                trace.Add($"{step} on {on}: grant {points} at {balance}: {(int)grant.Status}");
                (balance, seq) = (balance + points, seq + 1);
                Assert.True(grant.Status == HttpStatusCode.Created && (grant.Long("seq"), grant.Long("balance")) == (seq, balance), Trace(trace, grant));
                applied.Add((newKey, points, true, grant.Text));
            }
            else
            {
                // Half the spends ask about what the member holds: a stale balance then decides them wrongly.
                var points = random.Next(2) == 0 ? random.Next(1, 81) : Math.Max(1, balance + random.Next(-20, 21));
                var spend = await client.RedeemAsync(member, points, key: newKey);
                trace.Add($"{step} on {on}: spend {points} at {balance}: {(int)spend.Status}");
                if (points > balance)
                {
                    Assert.True((spend.Status, spend.Code) == (HttpStatusCode.UnprocessableEntity, "insufficient_points"), Trace(trace, spend));
                    continue;
                }
                (balance, seq) = (balance - points, seq + 1);
                Assert.True(spend.Status == HttpStatusCode.Created && spend.Long("balance") == balance, Trace(trace, spend));
                applied.Add((newKey, points, false, spend.Text));
            }
        }

        var history = await HistoryAsync(clients[1], member);
        Assert.Equal(Enumerable.Range(1, (int)seq).Select(i => (long)i).Reverse(), history.Select(e => e.Seq));
        Assert.Equal(balance, history[0].BalanceAfter);
        Assert.Equal(balance, (await clients[0].GetMemberAsync(member)).Long("balance"));
    }

    /// <summary>
    /// One member, 12 callers at once over both instances: grants, spends, and retries of answered keys on either
    /// instance. No update lost or doubled, consecutive seqs, replays verbatim, and every refusal explained by a balance
    /// the member had after the request was sent.
    /// </summary>
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public async Task RandomConcurrentWrites_OverTwoInstances_KeepEveryInvariant(int seed)
    {
        const int Operations = 240;
        var clients = new[] { apps.A.Client(), apps.B.Client() };
        var member = await clients[0].NewMemberAsync();
        var clock = Stopwatch.StartNew();
        var answered = new ConcurrentQueue<Call>();
        var firsts = new ConcurrentDictionary<string, Call>(StringComparer.Ordinal);

        await Parallel.ForEachAsync(Enumerable.Range(0, Operations), new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (i, _) =>
        {
            var random = new Random(seed * 100_000 + i);
            apps.Clock.Advance(AccountCache.ContendedFor); // so that conflicts do not turn the caches off for the rest of the run
            var client = clients[random.Next(2)];
            var done = firsts.Values.Where(c => c.Status == HttpStatusCode.Created).ToList();
            var roll = random.Next(100);
            Call call;
            var started = clock.Elapsed;
            if (roll < 10 && done.Count > 0)
            {
                var retried = done[random.Next(done.Count)];
                var reply = retried.Grant ? await client.AdjustAsync(member, retried.Points, key: retried.Key) : await client.RedeemAsync(member, retried.Points, key: retried.Key);
                call = new Call(retried.Key, retried.Points, retried.Grant, Replay: true, started, clock.Elapsed, reply.Status, reply.Code, reply.Text, reply.Body);
            }
            else
            {
                var (grant, points, key) = (roll < 55, (long)random.Next(1, roll < 55 ? 41 : 61), $"con{seed}-{i}");
                var reply = grant ? await client.AdjustAsync(member, points, key: key) : await client.RedeemAsync(member, points, key: key);
                call = new Call(key, points, grant, Replay: false, started, clock.Elapsed, reply.Status, reply.Code, reply.Text, reply.Body);
                firsts[key] = call;
            }
            answered.Enqueue(call);
        });

        var calls = answered.ToList();
        Assert.All(calls, c => Assert.True(c.Status == HttpStatusCode.Created || (c.Status, c.Code) == (HttpStatusCode.UnprocessableEntity, "insufficient_points"),
            $"{c.Key}: {(int)c.Status} {c.Text}"));
        Assert.All(calls.Where(c => c.Replay), c => Assert.Equal(firsts[c.Key].Text, c.Text));

        var history = (await HistoryAsync(clients[0], member)).OrderBy(e => e.Seq).ToList();
        Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(e => e.Seq));
        var accepted = firsts.Values.Where(c => c.Status == HttpStatusCode.Created).ToList();
        // Each accepted request is exactly one entry, found by the seq a grant answers or the id a redemption answers.
        var seqOf = accepted.ToDictionary(c => c.Key, c => c.Grant
            ? c.Body.GetProperty("seq").GetInt64()
            : history.Single(e => e.Reference == c.Body.GetProperty("redemptionId").GetString()).Seq, StringComparer.Ordinal);
        Assert.Equal(history.Select(e => e.Seq), seqOf.Values.Order());
        var expected = accepted.Sum(c => c.Grant ? c.Points : -c.Points);
        Assert.Equal(expected, history[^1].BalanceAfter);
        Assert.Equal(expected, (await clients[1].GetMemberAsync(member)).Long("balance"));
        foreach (var c in accepted)
        {
            var entry = history[(int)seqOf[c.Key] - 1];
            Assert.Equal((c.Grant ? c.Points : -c.Points, c.Body.GetProperty("balance").GetInt64()), (entry.Points, entry.BalanceAfter));
        }

        // A refusal was decided on a state no older than any answer received before it was sent, and no newer than
        // any write sent after it was answered.
        foreach (var refused in firsts.Values.Where(c => c.Status != HttpStatusCode.Created))
        {
            var oldest = accepted.Where(c => c.Answered < refused.Sent).Select(c => seqOf[c.Key]).DefaultIfEmpty(0).Max();
            var newest = accepted.Where(c => c.Sent > refused.Answered).Select(c => seqOf[c.Key] - 1).DefaultIfEmpty(long.MaxValue).Min();
            var possible = history.Where(e => e.Seq >= oldest && e.Seq <= newest).Select(e => e.BalanceAfter).Concat(oldest == 0 ? [0L] : []);
            Assert.True(possible.Any(b => b < refused.Points),
                $"{refused.Key} refused {refused.Points} points, but from seq {oldest} to {newest} the balance never fell below it.");
        }
    }

    private sealed record Call(string Key, long Points, bool Grant, bool Replay, TimeSpan Sent, TimeSpan Answered, HttpStatusCode Status, string? Code,
        string Text, System.Text.Json.JsonElement Body);

    private static string Trace(List<string> trace, Reply last) => string.Join('\n', trace.TakeLast(12)) + "\n→ " + last.Text;

    /// <summary>A fixed-points rule on a trigger of its own (a custom event name no other test sends), put through instance A.</summary>
    private async Task<string> PutFixedRuleAsync(long points)
    {
        var name = Infrastructure.Api.Unique("cache");
        var rule = await apps.A.Client().SendAsync(HttpMethod.Put, $"/api/v1/admin/rules/{name}",
            new { trigger = $"custom:{name}", formula = new { type = "fixed", points } });
        Assert.True(rule.Status == HttpStatusCode.OK, rule.Text);
        apps.Clock.Advance(TimeSpan.FromSeconds(6)); // past the rule cache
        return name;
    }

    private static Task<Reply> EventAsync(HttpClient client, string member, string name) =>
        client.SendAsync(HttpMethod.Post, "/api/v1/events", new { eventId = Infrastructure.Api.Unique("e-"), memberId = member, type = "custom", name });
}

/// <summary>An instance with <c>Ledger:AccountCacheMembers</c> = 0: the cache off.</summary>
public sealed class UncachedInstance : RecordedInstance
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Ledger:AccountCacheMembers"] = "0";
}

/// <summary><c>Ledger:AccountCacheMembers</c> = 0 turns the cache off: every commit reads the account first, as before issue 18.</summary>
public sealed class AccountCacheOffTests(UncachedInstance app) : IClassFixture<UncachedInstance>
{
    [Fact]
    public async Task EveryCommit_ReadsTheAccountFirst()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync(points: 10);
        var before = app.Requests.Of(member).Count;

        Assert.Equal(HttpStatusCode.Created, (await client.AdjustAsync(member, 5)).Status);

        Assert.Equal([("GET", 200), ("PUT", 200)], app.Requests.Of(member).Skip(before).Select(r => (r.Method, r.Status)));
        Assert.Equal(0, app.Service<AccountCache>().Count);
    }
}

/// <summary>The cache's own bookkeeping: its bounds, recency, and the contention mark (no storage involved).</summary>
public sealed class AccountCacheBoundsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 3, 0, 0, TimeSpan.Zero);

    private static AccountCache Cache(FakeTimeProvider clock, int members = 10, long bytes = 1_000) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ledger:AccountCacheMembers"] = $"{members}",
            ["Ledger:AccountCacheBytes"] = $"{bytes}",
        }).Build(), clock);

    private static MemberId Id(string member) => MemberId.Parse(member);

    private static AccountVersion Version(string member, string etag = "1", int bytes = 100) => new(AccountDocument.Of(
        Points.Domain.Members.Member.Register(Id(member), new Points.Domain.Members.MemberProfile { JoinedOn = new DateOnly(2026, 11, 23), ReferralCode = "R" + member }),
        Now), etag, bytes);

    private static string Kept(AccountCache cache, params string[] members) =>
        string.Join(",", members.Where(m => cache.Find(Id(m)) is not null));

    [Fact]
    public void ABulkJobsWrite_RefreshesAMemberKnownAlready_AndKeepsOthersInTheBulkSegment()
    {
        var cache = Cache(new FakeTimeProvider(Now), members: 80, bytes: 10_000);
        cache.Keep(Id("a"), Version("a"));

        cache.KeepBulk(Id("a"), Version("a", etag: "2"));
        cache.KeepBulk(Id("b"), Version("b"));

        Assert.Equal(("a,b", "2", 2), (Kept(cache, "a", "b"), cache.Find(Id("a"))!.ETag, cache.Count));
    }

    [Fact]
    public void ABulkJob_KeepsAFortiethOfTheLimits_AndNeverPushesOutTheApisMembers()
    {
        var cache = Cache(new FakeTimeProvider(Now), members: 80, bytes: 10_000);
        var api = Enumerable.Range(0, 80).Select(i => $"api{i}").ToArray();
        foreach (var member in api) cache.Keep(Id(member), Version(member));

        var job = Enumerable.Range(0, 50).Select(i => $"job{i}").ToArray();
        foreach (var member in job) cache.KeepBulk(Id(member), Version(member));

        // The main segment is full and stays whole; the job's segment holds its 2 most recent members (80 / 40).
        Assert.Equal((string.Join(",", api), "job48,job49", 82, 8_200L),
            (Kept(cache, api), Kept(cache, job), cache.Count, cache.Bytes));
    }

    [Fact]
    public void AnApiCommit_MovesAMemberOutOfTheBulkSegment()
    {
        var cache = Cache(new FakeTimeProvider(Now), members: 80, bytes: 10_000);
        cache.KeepBulk(Id("a"), Version("a"));
        cache.Keep(Id("a"), Version("a", etag: "2")); // the API commits a: it belongs to the main segment now

        foreach (var member in new[] { "b", "c", "d" }) cache.KeepBulk(Id(member), Version(member));

        Assert.Equal(("a,c,d", "2"), (Kept(cache, "a", "b", "c", "d"), cache.Find(Id("a"))!.ETag));
    }

    [Fact]
    public void BeyondMembersMax_TheLeastRecentlyUsedGoes()
    {
        var cache = Cache(new FakeTimeProvider(Now), members: 2);
        cache.Keep(Id("a"), Version("a"));
        cache.Keep(Id("b"), Version("b"));
        Assert.NotNull(cache.Find(Id("a"))); // a is now the more recent

        cache.Keep(Id("c"), Version("c"));

        Assert.Equal(("a,c", 2, 200L), (Kept(cache, "a", "b", "c"), cache.Count, cache.Bytes));
    }

    [Fact]
    public void BeyondBytesMax_TheLeastRecentlyUsedGo_AndADocumentLargerThanAllIsNotKept()
    {
        var cache = Cache(new FakeTimeProvider(Now), bytes: 1_000);
        cache.Keep(Id("a"), Version("a", bytes: 400));
        cache.Keep(Id("b"), Version("b", bytes: 400));
        cache.Keep(Id("a"), Version("a", etag: "2", bytes: 500)); // a new version replaces the old one's bytes

        cache.Keep(Id("c"), Version("c", bytes: 300));
        Assert.Equal(("a,c", 800L), (Kept(cache, "a", "b", "c"), cache.Bytes));

        cache.Keep(Id("a"), Version("a", etag: "3", bytes: 1_001));
        Assert.Equal(("c", 300L), (Kept(cache, "a", "b", "c"), cache.Bytes));
    }

    [Fact]
    public void AContendedMember_IsNotServedUntilContendedForHasPassed()
    {
        var clock = new FakeTimeProvider(Now);
        var cache = Cache(clock);
        cache.Contended(Id("a"));
        cache.Keep(Id("a"), Version("a", etag: "2"));
        cache.Drop(Id("a")); // the mark outlives a drop
        cache.Keep(Id("a"), Version("a", etag: "3"));
        Assert.Null(cache.Find(Id("a")));

        clock.Advance(AccountCache.ContendedFor);

        Assert.Equal("3", cache.Find(Id("a"))?.ETag);
        cache.Drop(Id("a"));
        Assert.Equal(("", 0, 0L), (Kept(cache, "a"), cache.Count, cache.Bytes));
    }

    [Theory]
    [InlineData(0, 1_000)]
    [InlineData(10, 0)]
    public void AZeroLimit_KeepsNothing(int members, long bytes)
    {
        var cache = Cache(new FakeTimeProvider(Now), members, bytes);
        cache.Keep(Id("a"), Version("a"));
        cache.Contended(Id("b"));
        Assert.Equal(("", 0), (Kept(cache, "a"), cache.Count));
    }
}

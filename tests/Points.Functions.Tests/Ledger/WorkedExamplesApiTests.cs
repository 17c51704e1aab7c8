using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Points.Functions.Ledger;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;
using Reply = Points.Functions.Tests.Infrastructure.Api.Reply;

namespace Points.Functions.Tests.Ledger;

/// <summary>
/// The worked examples of domain.md, driven through the real HTTP API. These tests keep the fixture's clock at
/// 2026-11-23 12:00 JST; the examples that need time to pass are in the nested classes below, each with its own app,
/// because a fake clock only moves forward and the tests of one class share it.
/// </summary>
public sealed class WorkedExamplesApiTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task Spend180_FromLotsABC_ConsumesB50ThenA100ThenC30_Balance170()
    {
        var client = app.Client();
        var (member, a, b, c) = await GrantLotsABCAsync(app);

        var spend = await client.RedeemAsync(member, 180);

        Assert.Equal(HttpStatusCode.Created, spend.Status);
        Assert.StartsWith("rdm_", spend.Body.GetProperty("redemptionId").GetString());
        Assert.Equal(180, spend.Long("points"));
        Assert.Equal([(b, "special", 50L), (a, "regular", 100L), (c, "purchased", 30L)], Consumed(spend));
        Assert.Equal(170, spend.Long("balance"));
        var summary = await client.GetMemberAsync(member);
        Assert.Equal(170, summary.Long("balance"));
        Assert.Equal("regular 0, special 0, purchased 170", ByKind(summary));
    }

    [Fact]
    public async Task ReverseSpend180_RestoresB50A100C30ToTheSameLots_WithTheirOriginalExpiry()
    {
        var client = app.Client();
        var (member, a, b, c) = await GrantLotsABCAsync(app);
        var spend = await client.RedeemAsync(member, 180);

        var reversal = await client.ReverseAsync(member, RedemptionId(spend));

        Assert.Equal(HttpStatusCode.Created, reversal.Status);
        Assert.Equal((5L, 180L, 350L), (reversal.Long("seq"), reversal.Long("points"), reversal.Long("balance")));
        var summary = await client.GetMemberAsync(member);
        Assert.Equal(350, summary.Long("balance"));
        Assert.Equal("regular 100, special 50, purchased 200", ByKind(summary));
        Assert.Equal("2026-12-31 50, 2027-03-31 100", Expiring(summary));
        var entry = (await HistoryAsync(client, member))[0];
        Assert.Equal(("reverse", 180L, 350L, RedemptionId(spend)), (entry.Type, entry.Points, entry.BalanceAfter, entry.Reference));
        Assert.Equal(Portions((a, 100), (b, 50), (c, 30)), Portions(entry.Lots));
    }

    [Fact]
    public async Task ReverseByOrderId_ReversesTheOrderRedemption_AndTheRedemptionIdThenFindsNothingLeft()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync(points: 100);
        var spend = await client.SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/redemptions",
            new { points = 30, purpose = "order", orderId = "ORD-2026-1123-0001" }, "redeem-order-1");
        Assert.Equal((HttpStatusCode.Created, 70L), (spend.Status, spend.Long("balance")));

        var reversal = await client.ReverseAsync(member, "ORD-2026-1123-0001");

        Assert.Equal((HttpStatusCode.Created, 30L, 100L), (reversal.Status, reversal.Long("points"), reversal.Long("balance")));
        var again = await client.ReverseAsync(member, RedemptionId(spend));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "nothing_to_reverse"), (again.Status, again.Code));
        Assert.Equal(100, (await client.GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task ReverseAdjustment_IsRefused_NothingToReverse()
    {
        // Reversals apply to earn and spend entries only; an admin corrects an adjustment with another adjustment.
        var client = app.Client();
        var member = await client.NewMemberAsync();
        var adjust = await client.AdjustAsync(member, 100, key: "adjust-not-reversible");
        Assert.Equal(HttpStatusCode.Created, adjust.Status);

        foreach (var reference in new[] { "adjust-not-reversible", adjust.Long("seq").ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            var reversal = await client.ReverseAsync(member, reference);
            Assert.Equal((HttpStatusCode.UnprocessableEntity, "nothing_to_reverse"), (reversal.Status, reversal.Code));
        }
        Assert.Equal(100, (await client.GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task PartialReversals_60Then41Then40Then1_OnlyWhatRemainsReversibleIsReversed()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync(points: 100);
        var spend = await client.RedeemAsync(member, 100);
        var reference = RedemptionId(spend);

        var first = await client.ReverseAsync(member, reference, 60);
        var tooMuch = await client.ReverseAsync(member, reference, 41);
        var rest = await client.ReverseAsync(member, reference, 40);
        var nothing = await client.ReverseAsync(member, reference, 1);

        Assert.Equal((HttpStatusCode.Created, 60L, 60L), (first.Status, first.Long("points"), first.Long("balance")));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "reversal_exceeds_remaining"), (tooMuch.Status, tooMuch.Code));
        Assert.Equal((HttpStatusCode.Created, 40L, 100L), (rest.Status, rest.Long("points"), rest.Long("balance")));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "nothing_to_reverse"), (nothing.Status, nothing.Code));
        Assert.Equal(100, (await client.GetMemberAsync(member)).Long("balance"));
        Assert.Equal(["reverse", "reverse", "spend", "adjust"], (await HistoryAsync(client, member)).Select(e => e.Type));
    }

    [Fact]
    public async Task History_Of40Entries_PagedBy15_NewestFirst_CoversEverySeqOnce()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync();
        var adjusts = await ConcurrentlyAsync(40, i => client.AdjustAsync(member, 1, key: $"paging-{i}"));
        Assert.All(adjusts, r => Assert.Equal(HttpStatusCode.Created, r.Status));

        var pages = new List<List<long>>();
        long? before = null;
        do
        {
            var page = await client.TransactionsAsync(member, limit: 15, before: before);
            Assert.Equal(HttpStatusCode.OK, page.Status);
            pages.Add(page.Body.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToList());
            before = page.Body.GetProperty("next") is { ValueKind: JsonValueKind.Number } next ? next.GetInt64() : null;
            if (before is { } b) Assert.Equal(pages[^1][^1], b);
        }
        while (before is not null && pages.Count < 10);

        Assert.Equal([15, 15, 10], pages.Select(p => p.Count));
        Assert.Equal(Enumerable.Range(1, 40).Reverse().Select(i => (long)i), pages.SelectMany(p => p));
    }

    [Fact]
    public async Task MemberWith300Operations_KeepsASmallAccountDocument_AndItsFirstKeysStillReplay()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync(points: 200);
        const int operations = 300;

        var replies = await ConcurrentlyAsync(operations, i => i % 2 == 0
            ? client.AdjustAsync(member, 2, key: $"op-{i:D3}")
            : client.RedeemAsync(member, 1, key: $"op-{i:D3}"));

        Assert.All(replies, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Equal(200 + 150 * 2 - 150, (await client.GetMemberAsync(member)).Long("balance"));
        var account = await RawAccountAsync(app, member);
        Assert.True(account.Length < 32 * 1024, $"The account document is {account.Length} bytes.");
        Assert.DoesNotContain("\"op-000\"", Encoding.UTF8.GetString(account), StringComparison.Ordinal); // spilled to its own document

        var replayAdjust = await client.AdjustAsync(member, 2, key: "op-000");
        var replayRedeem = await client.RedeemAsync(member, 1, key: "op-001");
        Assert.Equal((HttpStatusCode.Created, replies[0].Text, "true"), (replayAdjust.Status, replayAdjust.Text, replayAdjust.Header("Idempotent-Replayed")));
        Assert.Equal((HttpStatusCode.Created, replies[1].Text, "true"), (replayRedeem.Status, replayRedeem.Text, replayRedeem.Header("Idempotent-Replayed")));
        Assert.Equal(350, (await client.GetMemberAsync(member)).Long("balance"));
    }

    /// <summary>
    /// Reversing a spend after one of its lots expired: the lot's points come back and expire at once; both movements
    /// are journaled. The clock moves to 2027-01-05, so this class has its own app.
    /// </summary>
    public sealed class AfterLotBExpired(AppFixture fixture) : IClassFixture<AppFixture>
    {
        [Fact]
        public async Task ReverseSpend180_On20270105_JournalsReverseThenExpireOfB_LimitedTime()
        {
            var client = fixture.Client();
            var (member, a, b, c) = await GrantLotsABCAsync(fixture);
            var spend = await client.RedeemAsync(member, 180);
            Assert.Equal(HttpStatusCode.Created, spend.Status);
            fixture.Clock.SetUtcNow(new DateTimeOffset(2027, 1, 5, 10, 0, 0, Jst));

            var reversal = await client.ReverseAsync(member, RedemptionId(spend));

            Assert.Equal((HttpStatusCode.Created, 180L, 300L), (reversal.Status, reversal.Long("points"), reversal.Long("balance")));
            var history = await HistoryAsync(client, member);
            Assert.Equal(["expire", "reverse", "spend"], history.Take(3).Select(e => e.Type));
            var (expire, reverse) = (history[0], history[1]);
            Assert.Equal((180L, 350L, reverse.Seq + 1), (reverse.Points, reverse.BalanceAfter, expire.Seq));
            Assert.Equal(Portions((a, 100), (b, 50), (c, 30)), Portions(reverse.Lots));
            Assert.Equal((-50L, 300L, true, "special"), (expire.Points, expire.BalanceAfter, expire.LimitedTime, expire.Kind));
            Assert.Equal([(b, -50L)], expire.Lots.Select(l => (l.LotId, l.Points)));
            var summary = await client.GetMemberAsync(member);
            Assert.Equal(300, summary.Long("balance"));
            Assert.Equal("regular 100, special 0, purchased 200", ByKind(summary));
            Assert.Equal("2027-03-31 100", Expiring(summary));
        }
    }

    /// <summary>fixedMonths(12, endOfMonth) end to end, with the ExpirePoints function invoked as the Functions host does.</summary>
    public sealed class FixedMonthsExpiry(AppFixture fixture) : IClassFixture<AppFixture>
    {
        [Fact]
        public async Task Earned20261123_ExpiresEndOf20271130_AndTheJobJournalsItOnce_LeavingOthersUntouched()
        {
            var client = fixture.Client();
            var settings = await client.PutSettingsAsync(new
            {
                timeZone = "Asia/Tokyo", yenPerPoint = 1, regularExpiry = new { type = "fixedMonths", months = 12, endOfMonth = true },
            });
            Assert.Equal(HttpStatusCode.OK, settings.Status);
            var member = await client.NewMemberAsync(points: 100);
            Assert.Equal("2027-11-30 100", Expiring(await client.GetMemberAsync(member)));
            fixture.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 5, 12, 0, 0, Jst));
            var other = await client.NewMemberAsync(points: 100);
            Assert.Equal("2027-12-31 100", Expiring(await client.GetMemberAsync(other)));
            var otherHistory = await HistoryAsync(client, other);

            fixture.Clock.SetUtcNow(new DateTimeOffset(2027, 11, 30, 23, 59, 59, Jst));
            Assert.Equal(100, (await client.GetMemberAsync(member)).Long("balance"));

            fixture.Clock.SetUtcNow(new DateTimeOffset(2027, 12, 1, 0, 0, 0, Jst));
            var beforeJob = await client.GetMemberAsync(member);
            Assert.Equal((0L, "regular 0, special 0, purchased 0", ""), (beforeJob.Long("balance"), ByKind(beforeJob), Expiring(beforeJob)));
            Assert.Single(await HistoryAsync(client, member));

            var run = await InvokeExpirePointsAsync(fixture);

            AssertInvocationReply(run);
            var history = await HistoryAsync(client, member);
            Assert.Equal(2, history.Count);
            Assert.Equal(("expire", -100L, 0L, "regular", false), (history[0].Type, history[0].Points, history[0].BalanceAfter, history[0].Kind, history[0].LimitedTime));

            AssertInvocationReply(await InvokeExpirePointsAsync(fixture));
            Assert.Equal(2, (await HistoryAsync(client, member)).Count);
            Assert.Equal(otherHistory, await HistoryAsync(client, other));
            Assert.Equal(100, (await client.GetMemberAsync(other)).Long("balance"));
        }
    }

    /// <summary>The expiry job reads the due index, so its cost follows the members with due lots, not all members.</summary>
    public sealed class ExpiryJobCost(AppFixture fixture) : IClassFixture<AppFixture>
    {
        private const int RequestsPerDueMemberMax = 5;
        private const int RequestsPerRunMax = 10;

        [Fact]
        public async Task ExpiryRun_With3DueMembersAmong33_CostsAtMost5RequestsPerDueMemberPlus10_AndLeavesTheOthersUntouched()
        {
            var client = fixture.Client();
            // A first run records its checkpoint; the measured run then covers exactly one due date.
            AssertInvocationReply(await InvokeExpirePointsAsync(fixture));
            var notDue = await ConcurrentlyAsync(30, _ => client.NewMemberAsync(points: 100));
            var due = await ConcurrentlyAsync(3, async _ =>
            {
                var member = await client.NewMemberAsync(points: 100);
                Assert.Equal(HttpStatusCode.Created, (await client.AdjustAsync(member, 50, "special", "2026-11-23")).Status);
                return member;
            });
            var etagsBefore = await ConcurrentlyAsync(notDue.Length, i => AccountETagAsync(fixture, notDue[i]));
            // The special lots expire at the end of 2026-11-23, so the members are listed under the 24th; the others'
            // regular points expire a year later.
            Assert.Equal(due.Order(), (await ListedDueAsync(new DateOnly(2026, 11, 24))).Order());
            fixture.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 24, 0, 5, 0, Jst));
            var counter = fixture.Service<CosmosRequestCounter>();

            var requestsBefore = counter.Count;
            AssertInvocationReply(await InvokeExpirePointsAsync(fixture));
            var requests = counter.Count - requestsBefore;

            Assert.True(requests <= RequestsPerDueMemberMax * due.Length + RequestsPerRunMax,
                $"The run sent {requests} Cosmos requests for {due.Length} due members.");
            foreach (var member in due)
            {
                var history = await HistoryAsync(client, member);
                Assert.Equal(("expire", -50L, 100L), (history[0].Type, history[0].Points, history[0].BalanceAfter));
                Assert.Equal(100, (await client.GetMemberAsync(member)).Long("balance"));
            }
            Assert.Equal(etagsBefore, await ConcurrentlyAsync(notDue.Length, i => AccountETagAsync(fixture, notDue[i])));
            Assert.Empty(await ListedDueAsync(new DateOnly(2026, 11, 24))); // Swept chunks are deleted.
        }

        private async Task<List<string>> ListedDueAsync(DateOnly dueOn)
        {
            var members = new List<string>();
            await foreach (var chunk in fixture.Service<DueIndex>().ReadChunksAsync(DueIndex.Expiry, dueOn, CancellationToken.None))
            {
                members.AddRange(chunk.Members);
            }
            return members;
        }
    }

    // ---- helpers ----

    internal static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    internal sealed record HistoryLot(string LotId, long Points);

    internal sealed record HistoryEntry(long Seq, string Type, long Points, string? Kind, bool LimitedTime, long BalanceAfter, string? Reference,
        IReadOnlyList<HistoryLot> Lots)
    {
        public bool Equals(HistoryEntry? other) => other is not null && ToString() == other.ToString();
        public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);
        public override string ToString() => $"{Seq} {Type} {Points} {Kind} {LimitedTime} {BalanceAfter} {Reference} [{string.Join(", ", Lots)}]";
    }

    /// <summary>
    /// domain.md's lots: A regular 100 expiring 2027-03-31, B special 50 expiring 2026-12-31, C purchased 200 without
    /// expiry. A takes its expiry from the policy: fixedMonths(4, endOfMonth) on 2026-11-23 gives 2027-03-31. Purchased
    /// points come only from PayPal purchases (the API refuses to grant them), so C is credited through the member
    /// commit path as a captured purchase is.
    /// </summary>
    internal static async Task<(string Member, string A, string B, string C)> GrantLotsABCAsync(AppFixture fixture)
    {
        var client = fixture.Client();
        var settings = await client.PutSettingsAsync(new
        {
            timeZone = "Asia/Tokyo", yenPerPoint = 1, regularExpiry = new { type = "fixedMonths", months = 4, endOfMonth = true },
        });
        Assert.Equal(HttpStatusCode.OK, settings.Status);
        var member = await client.NewMemberAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.AdjustAsync(member, 100)).Status);
        Assert.Equal(HttpStatusCode.Created, (await client.AdjustAsync(member, 50, "special", "2026-12-31")).Status);
        var purchase = await fixture.Service<MemberLedger>().ExecuteAsync(Points.Domain.Primitives.MemberId.Parse(member), MemberOperation.ForCommand(
            "paypal-test", "purchase-" + member, "purchase-200",
            new Points.Domain.Ledger.LedgerCommand.Credit(Points.Domain.Ledger.EntryType.Purchase, 200, Points.Domain.Ledger.LotKind.Purchased, null),
            accepted => new { seq = accepted.Entries[^1].Seq }));
        Assert.IsType<OperationResult.Applied>(purchase);
        var lots = (await HistoryAsync(client, member)).OrderBy(e => e.Seq).Select(e => e.Lots.Single().LotId).ToList();
        var summary = await client.GetMemberAsync(member);
        Assert.Equal((350L, "regular 100, special 50, purchased 200"), (summary.Long("balance"), ByKind(summary)));
        Assert.Equal("2026-12-31 50, 2027-03-31 100", Expiring(summary));
        return (member, lots[0], lots[1], lots[2]);
    }

    /// <summary>Lot movements as text sorted by lot id: which lot got how many points, whatever order they were listed in.</summary>
    internal static string Portions(params (string LotId, long Points)[] lots) =>
        string.Join(", ", lots.OrderBy(l => l.LotId, StringComparer.Ordinal).Select(l => $"{l.LotId} {l.Points}"));

    internal static string Portions(IEnumerable<HistoryLot> lots) => Portions(lots.Select(l => (l.LotId, l.Points)).ToArray());

    internal static string RedemptionId(Reply redemption) =>
        redemption.Body.GetProperty("redemptionId").GetString() ?? throw new InvalidOperationException(redemption.Text);

    internal static IEnumerable<(string LotId, string Kind, long Points)> Consumed(Reply redemption) =>
        redemption.Body.GetProperty("consumed").EnumerateArray()
            .Select(l => (l.GetProperty("lotId").GetString()!, l.GetProperty("kind").GetString()!, l.GetProperty("points").GetInt64()));

    internal static string ByKind(Reply summary)
    {
        var byKind = summary.Body.GetProperty("byKind");
        return string.Join(", ", new[] { "regular", "special", "purchased" }.Select(k => $"{k} {byKind.GetProperty(k).GetInt64()}"));
    }

    internal static string Expiring(Reply summary) =>
        string.Join(", ", summary.Body.GetProperty("expiring").EnumerateArray()
            .Select(e => $"{e.GetProperty("date").GetString()} {e.GetProperty("points").GetInt64()}"));

    /// <summary>A member's whole history, newest first.</summary>
    internal static async Task<List<HistoryEntry>> HistoryAsync(HttpClient client, string member)
    {
        var entries = new List<HistoryEntry>();
        long? before = null;
        do
        {
            var page = await client.TransactionsAsync(member, limit: 200, before: before);
            Assert.Equal(HttpStatusCode.OK, page.Status);
            entries.AddRange(page.Body.GetProperty("items").EnumerateArray().Select(e => new HistoryEntry(
                e.GetProperty("seq").GetInt64(), e.GetProperty("type").GetString()!, e.GetProperty("points").GetInt64(),
                e.GetProperty("kind").GetString(), e.GetProperty("limitedTime").GetBoolean(), e.GetProperty("balanceAfter").GetInt64(),
                e.GetProperty("reference").GetString(),
                e.GetProperty("lots").EnumerateArray().Select(l => new HistoryLot(l.GetProperty("lotId").GetString()!, l.GetProperty("points").GetInt64())).ToList())));
            before = page.Body.GetProperty("next") is { ValueKind: JsonValueKind.Number } next ? next.GetInt64() : null;
        }
        while (before is not null);
        return entries;
    }

    /// <summary>Runs <paramref name="count"/> calls, 8 at a time (enough to batch, modest for the local Cosmos server).</summary>
    internal static async Task<T[]> ConcurrentlyAsync<T>(int count, Func<int, Task<T>> call)
    {
        var results = new T[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, _) => results[i] = await call(i));
        return results;
    }

    /// <summary>Invokes the ExpirePoints timer function exactly as the Functions host does: POST /ExpirePoints with the timer payload.</summary>
    internal static Task<Reply> InvokeExpirePointsAsync(AppFixture fixture) => Ranks.PeriodicJobsKit.InvokeTimerAsync(fixture, "ExpirePoints");

    /// <summary>
    /// A 2xx reply with Outputs, Logs and ReturnValue. The host reads it with case-insensitive Newtonsoft, so the
    /// keys' casing is checked separately (PlatformTests), not here.
    /// </summary>
    internal static void AssertInvocationReply(Reply reply)
    {
        Assert.True(reply.Status == HttpStatusCode.OK, $"{reply.Status}: {reply.Text}");
        var keys = reply.Body.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(JsonValueKind.Object, keys.GetValueOrDefault("Outputs"));
        Assert.Equal(JsonValueKind.Array, keys.GetValueOrDefault("Logs"));
        Assert.True(keys.ContainsKey("ReturnValue"), reply.Text);
    }

    internal static async Task<byte[]> RawAccountAsync(AppFixture fixture, string member)
    {
        using var response = await fixture.Service<CosmosStorage>().Ledger.ReadItemStreamAsync(AccountDocument.DocumentId, new PartitionKey(member));
        response.EnsureSuccessStatusCode();
        using var copy = new MemoryStream();
        await response.Content.CopyToAsync(copy);
        return copy.ToArray();
    }

    internal static async Task<string> AccountETagAsync(AppFixture fixture, string member)
    {
        using var response = await fixture.Service<CosmosStorage>().Ledger.ReadItemStreamAsync(AccountDocument.DocumentId, new PartitionKey(member));
        response.EnsureSuccessStatusCode();
        return response.Headers.ETag;
    }
}

using System.Net;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;
using Points.Functions.Ledger;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Ledger;

/// <summary>Counts the reads of spilled idempotency records (documents <c>idem-…</c>) that the app sends to Cosmos.</summary>
public sealed class SpillReadCounter : RequestHandler
{
    private long _reads;

    public long Reads => Interlocked.Read(ref _reads);

    public override Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Get && request.RequestUri.OriginalString.Contains("/docs/idem-", StringComparison.Ordinal)) Interlocked.Increment(ref _reads);
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>An app whose Cosmos client counts spilled-record reads.</summary>
public class SpillCountingFixture : AppFixture
{
    public SpillReadCounter SpillReads { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<RequestHandler>(SpillReads);
}

/// <summary>A one-byte filter: every key is a "maybe", so every new key reads its spill document — and answers stay right.</summary>
public sealed class TinySpilledKeyFilterFixture : SpillCountingFixture
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Ledger:SpilledKeyFilterBytes"] = "1";
}

/// <summary>Issue 18: a member with spilled idempotency records pays no read for a new key, and a false "maybe" costs only a read.</summary>
public sealed class SpilledKeyFilterTests(SpillCountingFixture app) : IClassFixture<SpillCountingFixture>
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public void EveryKeyAdded_IsAMaybe_AndFewAbsentKeysAre()
    {
        var added = Enumerable.Range(0, 2_000).Select(i => $"key-{i}").ToList();
        var filter = SpilledKeyFilter.Start(Now).With(added, Now);
        Assert.All(added, k => Assert.True(filter.MightContain(k), k));
        var falseMaybes = Enumerable.Range(0, 10_000).Count(i => filter.MightContain($"absent-{i}"));
        Assert.InRange(falseMaybes, 0, 500); // about 2 in 100 at 2,000 keys in 2 KiB
    }

    [Fact]
    public void AKeyStays_ForTheGenerationAfterItsOwn_ThenGoes()
    {
        var filter = SpilledKeyFilter.Start(Now).With(["old"], Now);
        var next = filter.With(["newer"], Now + LedgerLimits.IdempotencyRetention);
        Assert.True(next.MightContain("old") && next.MightContain("newer"));
        var after = next.With(["newest"], Now + 2 * LedgerLimits.IdempotencyRetention);
        Assert.False(after.MightContain("old")); // its record expired a generation ago
        Assert.True(after.MightContain("newer") && after.MightContain("newest"));
    }

    [Fact]
    public async Task AHotMember_PaysNoSpillReadForANewKey_AndSpilledKeysStillReplay()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync(points: 500);
        for (var i = 0; i < 80; i++) Assert.Equal(HttpStatusCode.Created, (await client.RedeemAsync(member, 1, key: $"hot-{i:D3}")).Status);

        var before = app.SpillReads.Reads;
        const int fresh = 20;
        for (var i = 0; i < fresh; i++) Assert.Equal(HttpStatusCode.Created, (await client.RedeemAsync(member, 1, key: $"fresh-{i:D3}")).Status);
        Assert.Equal(0, app.SpillReads.Reads - before); // before the filter: a read per new key (bench 2: 1,967 for 2,000 redemptions)

        var replay = await client.RedeemAsync(member, 1, key: "hot-000"); // long spilled
        Assert.Equal("true", replay.Header("Idempotent-Replayed"));
        Assert.Equal(500 - 80 - fresh, (await client.GetMemberAsync(member)).Long("balance"));
    }
}

public sealed class ForcedCollisionTests(TinySpilledKeyFilterFixture app) : IClassFixture<TinySpilledKeyFilterFixture>
{
    [Fact]
    public async Task WithEveryKeyAMaybe_NewKeysApplyOnce_AndSpilledKeysReplay()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync(points: 300);
        var replies = new List<Points.Functions.Tests.Infrastructure.Api.Reply>();
        for (var i = 0; i < 100; i++) replies.Add(await client.RedeemAsync(member, 1, key: $"k-{i:D3}"));
        Assert.All(replies, r => Assert.Equal(HttpStatusCode.Created, r.Status));

        var before = app.SpillReads.Reads;
        for (var i = 0; i < 20; i++) Assert.Equal(HttpStatusCode.Created, (await client.RedeemAsync(member, 1, key: $"f-{i:D3}")).Status);
        Assert.True(app.SpillReads.Reads - before >= 20, "every new key is a maybe, and is read"); // the false maybes cost reads, no more
        var replayed = await client.RedeemAsync(member, 1, key: "k-000");
        Assert.Equal((replies[0].Text, "true"), (replayed.Text, replayed.Header("Idempotent-Replayed")));
        Assert.Equal(180, (await client.GetMemberAsync(member)).Long("balance"));
        var account = System.Text.Encoding.UTF8.GetString(await WorkedExamplesApiTests.RawAccountAsync(app, member));
        Assert.Contains("idempotencySpilledKeys", account, StringComparison.Ordinal);
    }
}

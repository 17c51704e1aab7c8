using System.Net;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;

namespace Points.Functions.Tests.Ledger;

public sealed class ConcurrencyTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task TwoHundredConcurrentRedemptions_On150Points_Exactly150Succeed()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync(points: 150);

        var replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => client.RedeemAsync(member, 1, key: $"r-{i}")));

        Assert.Equal(150, replies.Count(r => r.Status == HttpStatusCode.Created));
        var refused = replies.Where(r => r.Status != HttpStatusCode.Created).ToList();
        Assert.Equal(50, refused.Count);
        Assert.All(refused, r => Assert.Equal((HttpStatusCode.UnprocessableEntity, "insufficient_points"), (r.Status, r.Code)));
        Assert.Equal(0, (await client.GetMemberAsync(member)).Long("balance"));

        var spends = await HistoryAsync(client, member);
        var spendSeqs = spends.Where(e => e.Type == "spend").Select(e => e.Seq).Order().ToList();
        Assert.Equal(150, spendSeqs.Count);
        Assert.Equal(Enumerable.Range((int)spendSeqs[0], 150).Select(i => (long)i), spendSeqs);
        Assert.Equal(Enumerable.Range(1, spends.Count).Select(i => (long)i).Reverse(), spends.Select(e => e.Seq));
    }

    [Fact]
    public async Task FiftyConcurrentIdenticalRequests_WithOneKey_ApplyOnce_AndReplayTheSameBody()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync(points: 100);

        var replies = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.RedeemAsync(member, 7, key: "same-key-1")));

        Assert.All(replies, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Single(replies.Select(r => r.Text).Distinct());
        Assert.Equal(49, replies.Count(r => r.Header("Idempotent-Replayed") == "true"));
        Assert.Equal(93, (await client.GetMemberAsync(member)).Long("balance"));

        var reused = await client.RedeemAsync(member, 8, key: "same-key-1");
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "idempotency_key_reused"), (reused.Status, reused.Code));
        Assert.Equal(93, (await client.GetMemberAsync(member)).Long("balance"));
    }
}

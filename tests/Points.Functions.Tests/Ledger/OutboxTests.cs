using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Hosting;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;
using Reply = Points.Functions.Tests.Infrastructure.Api.Reply;

namespace Points.Functions.Tests.Ledger;

/// <summary>
/// A feature defined only here, plugged in like any feature folder (<see cref="AppFixture.ExtraFeatures"/>): a route
/// whose member decision emits an outbox item, and the item's handler, which counts what it carried out.
/// </summary>
public sealed class ProbeFeature : Feature
{
    public sealed record Probe(string ProbeId) : OutboxItem
    {
        public override string Id => "probe|" + ProbeId;
    }

    public sealed record Probed(string ProbeId);

    /// <summary>How often each probe was carried out, by member and id.</summary>
    public sealed class Counts : IOutboxHandler<Probe>
    {
        public ConcurrentDictionary<(string Member, string Probe), int> Done { get; } = new();

        public Task HandleAsync(MemberId memberId, Probe item, CancellationToken cancellationToken)
        {
            Done.AddOrUpdate((memberId.Value, item.ProbeId), 1, (_, n) => n + 1);
            return Task.CompletedTask;
        }

        public int Of(string member, string probe) => Done.GetValueOrDefault((member, probe));
    }

    public override void AddServices(IServiceCollection services, IConfiguration configuration) =>
        services.AddOutboxHandler<Probe, Counts>("test-probe");

    public override void MapRoutes(IEndpointRouteBuilder api) =>
        api.MapPost("/v1/test/members/{memberId}/probes/{probeId}", async (string memberId, string probeId, MemberLedger ledger, HttpContext http) =>
            (await ledger.ExecuteAsync(MemberId.Parse(memberId), new MemberOperation("test", null, "",
                input => probeId.StartsWith("bug", StringComparison.Ordinal)
                    ? throw new InvalidOperationException("A bug in one decision.")
                    : new MemberDecision.Accepted(input.Member, [], new Probed(probeId)) { Outbox = [new Probe(probeId)] })))
            .ToHttp(http, StatusCodes.Status200OK));
}

public sealed class OutboxFixture : AppFixture
{
    protected override Feature[] ExtraFeatures => [new ProbeFeature()];
}

/// <summary>The transactional outbox: items written in the member's commit, carried out after it, once, and never lost.</summary>
public sealed class OutboxTests(OutboxFixture app) : IClassFixture<OutboxFixture>
{
    private ProbeFeature.Counts Counts => app.Service<ProbeFeature.Counts>();

    private async Task<Reply> ProbeAsync(string member, string probe) =>
        await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/test/members/{member}/probes/{probe}");

    private async Task<string[]> OutboxIdsAsync(string member)
    {
        using var account = JsonDocument.Parse(await RawAccountAsync(app, member));
        return [.. account.RootElement.GetProperty("outbox").EnumerateArray().Select(r => r.GetProperty("id").GetString()!)];
    }

    [Fact]
    public async Task AFeatureFromElsewhere_PlugsIn_ItsItemIsCarriedOutOnceAfterTheCommit_AndLeavesWithTheNextCommit()
    {
        var member = await app.Client().NewMemberAsync();

        var reply = await ProbeAsync(member, "p1");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(1, Counts.Of(member, "p1"));
        Assert.Contains("probe|p1", await OutboxIdsAsync(member)); // written with the commit; known done here
        await app.Client().AdjustAsync(member, 5);
        Assert.DoesNotContain("probe|p1", await OutboxIdsAsync(member));
        Assert.Equal(1, Counts.Of(member, "p1"));
    }

    /// <summary>
    /// The instance dies between the commit and the dispatch: the item stays in the document, and the change feed's
    /// delivery of that document carries it out — once, however often the feed delivers it. Then a later commit drops it.
    /// </summary>
    [Fact]
    public async Task DispatchKilledAfterTheCommit_TheChangeFeedCarriesTheItemOutOnce()
    {
        var member = await app.Client().NewMemberAsync();
        Assert.Equal(HttpStatusCode.OK, (await app.OutboxFaults.KillingDispatchAfterCommitAsync(member, () => ProbeAsync(member, "p2"))).Status);
        Assert.Contains((MemberId.Parse(member), "probe|p2"), app.OutboxFaults.Killed);
        Assert.Equal(0, Counts.Of(member, "p2"));
        Assert.Contains("probe|p2", await OutboxIdsAsync(member));

        var document = Encoding.UTF8.GetString(await RawAccountAsync(app, member));
        foreach (var delivery in Enumerable.Range(1, 3)) // the feed may deliver a version more than once
        {
            AssertInvocationReply(await InvokeDispatchOutboxAsync(document));
        }

        Assert.Equal(1, Counts.Of(member, "p2"));
        await app.Client().AdjustAsync(member, 5);
        Assert.DoesNotContain("probe|p2", await OutboxIdsAsync(member));
        Assert.Equal(1, Counts.Of(member, "p2"));
    }

    [Fact]
    public async Task ChangeFeedBatch_OfOtherDocuments_OrEncodedAsAString_IsUnderstood()
    {
        var member = await app.Client().NewMemberAsync();
        await app.OutboxFaults.KillingDispatchAfterCommitAsync(member, () => ProbeAsync(member, "p3"));
        var documents = $"[{{\"id\":\"journal-0000000000\",\"memberId\":\"{member}\",\"docType\":\"journal\"}},{Encoding.UTF8.GetString(await RawAccountAsync(app, member))}]";

        // As the Functions host sends them: a JSON string whose text is a JSON string of the array.
        var reply = await app.Client().SendRawAsync(HttpMethod.Post, "/" + DispatchOutboxFunction.FunctionName,
            new StringContent(JsonSerializer.Serialize(new { Data = new { documents = JsonSerializer.Serialize(documents) }, Metadata = new { } }),
                Encoding.UTF8, "application/json"));

        AssertInvocationReply(reply);
        Assert.Equal(1, Counts.Of(member, "p3"));
    }

    [Fact]
    public async Task ADecisionThatThrows_FailsOnlyItsOwnRequest_ItsBatchCommitsTheRest()
    {
        var member = await app.Client().NewMemberAsync();
        var probes = Enumerable.Range(0, 40).Select(i => i == 20 ? "bug-20" : $"ok-{i}").ToList();

        var replies = await Task.WhenAll(probes.Select(p => ProbeAsync(member, p)));

        Assert.All(replies.Zip(probes), r => Assert.Equal(r.Second.StartsWith("bug", StringComparison.Ordinal)
            ? HttpStatusCode.InternalServerError : HttpStatusCode.OK, r.First.Status));
        Assert.All(probes.Where(p => p.StartsWith("ok", StringComparison.Ordinal)), p => Assert.Equal(1, Counts.Of(member, p)));
        Assert.Equal(0, Counts.Of(member, "bug-20"));
    }

    private Task<Reply> InvokeDispatchOutboxAsync(string accountDocument) =>
        app.Client().SendRawAsync(HttpMethod.Post, "/" + DispatchOutboxFunction.FunctionName,
            new StringContent($"{{\"Data\":{{\"documents\":[{accountDocument}]}},\"Metadata\":{{}}}}", Encoding.UTF8, "application/json"));
}

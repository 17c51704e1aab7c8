using System.Net;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Hosting;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;

namespace Points.Functions.Tests.Ledger;

/// <summary>
/// The app with the probe feature and the local trigger runner following the ledger's change feed with the real
/// <c>DispatchOutbox</c> declaration (and nothing else), as the Functions host would.
/// </summary>
public sealed class ChangeFeedOutboxFixture : AppFixture
{
    public string Declarations { get; } = Directory.CreateTempSubdirectory("points-outbox-declarations-").FullName;

    protected override Feature[] ExtraFeatures => [new ProbeFeature()];

    protected override void Configure(Dictionary<string, string?> settings)
    {
        var declaration = Path.Combine(Declarations, DispatchOutboxFunction.FunctionName);
        Directory.CreateDirectory(declaration);
        File.Copy(Path.Combine(FunctionDeclarations.DefaultDirectory, DispatchOutboxFunction.FunctionName, "function.json"),
            Path.Combine(declaration, "function.json"));
        settings["LocalTriggers:Enabled"] = "true";
        settings["LocalTriggers:ChangeFeedPollMilliseconds"] = "100";
        settings["LocalTriggers:DeclarationsPath"] = Declarations;
    }
}

/// <summary>
/// Fault injection end to end: the instance dies between the commit and the dispatch (the after-commit dispatch is
/// killed), and the change feed carries the items out — exactly once — through the runner and <c>DispatchOutbox</c>.
/// </summary>
public sealed class OutboxChangeFeedTests(ChangeFeedOutboxFixture app) : IClassFixture<ChangeFeedOutboxFixture>
{
    private ProbeFeature.Counts Counts => app.Service<ProbeFeature.Counts>();

    private Task<Infrastructure.Api.Reply> ProbeAsync(string member, string probe) =>
        app.Client().SendAsync(HttpMethod.Post, $"/api/v1/test/members/{member}/probes/{probe}");

    [Fact]
    public async Task DispatchKilledAfterTheCommit_TheChangeFeedCarriesTheItemOut_Once()
    {
        var member = await app.Client().NewMemberAsync();
        Assert.Equal(HttpStatusCode.OK, (await app.OutboxFaults.KillingDispatchAfterCommitAsync(member, () => ProbeAsync(member, "killed"))).Status);
        Assert.Contains((MemberId.Parse(member), "probe|killed"), app.OutboxFaults.Killed);

        await Eventually.WaitForAsync(() => Counts.Of(member, "killed") == 1, "the change feed to carry out the killed item");

        // Later commits: the feed delivers every new version (the next one still holds the item until a commit drops
        // it); a probe committed after them, once carried out by the feed's path too, shows the feed went past them all.
        await app.Client().AdjustAsync(member, 5);
        await app.Client().AdjustAsync(member, 5);
        await app.OutboxFaults.KillingDispatchAfterCommitAsync(member, () => ProbeAsync(member, "marker"));
        await Eventually.WaitForAsync(() => Counts.Of(member, "marker") == 1, "the feed to reach the last commit");
        Assert.Equal(1, Counts.Of(member, "killed"));
    }

    /// <summary>
    /// The due-index listing of a new expiry date is an outbox item: with the instance dead after the commit, the
    /// change feed lists the member, and ExpirePoints finds and expires them on the due day.
    /// </summary>
    [Fact]
    public async Task DueListingOfADeadInstance_ComesThroughTheChangeFeed_AndExpirePointsFindsTheMember()
    {
        var member = await app.Client().NewMemberAsync();
        var today = DateOnly.FromDateTime(app.Clock.GetUtcNow().ToOffset(TimeSpan.FromHours(9)).DateTime);
        var adjusted = await app.OutboxFaults.KillingDispatchAfterCommitAsync(member,
            () => app.Client().AdjustAsync(member, 50, kind: "special", expiresOn: today.ToString("yyyy-MM-dd")));
        Assert.Equal(HttpStatusCode.Created, adjusted.Status);
        Assert.Contains((MemberId.Parse(member), $"due|expiry|{today.AddDays(1):yyyy-MM-dd}"), app.OutboxFaults.Killed);

        await Eventually.WaitForAsync(async () => await ListedAsync(member, today.AddDays(1)), "the change feed to list the member");

        app.Clock.SetUtcNow(new DateTimeOffset(today.AddDays(1).ToDateTime(new TimeOnly(0, 5)), TimeSpan.FromHours(9)));
        AssertInvocationReply(await InvokeExpirePointsAsync(app));
        var summary = await app.Client().GetMemberAsync(member);
        Assert.Equal(0, summary.Long("balance"));
        var history = await app.Client().TransactionsAsync(member, limit: 1);
        Assert.Equal("expire", history.Body.GetProperty("items")[0].GetProperty("type").GetString());
    }

    private async Task<bool> ListedAsync(string member, DateOnly dueOn)
    {
        await foreach (var chunk in app.Service<DueIndex>().ReadChunksAsync(DueListings.ExpiryKind, dueOn, CancellationToken.None))
        {
            if (chunk.Members.Contains(member)) return true;
        }
        return false;
    }
}

using Points.Domain.Members;
using Points.Functions.Api;
using Points.Functions.Hosting;
using Points.Functions.Ledger.Outbox;

namespace Points.Functions.Ledger;

/// <summary>
/// The member commit path every feature writes through, its outbox (carried out after each commit and by
/// <c>DispatchOutbox</c> on the change feed), and the due-date listings the expiry and activation jobs read.
/// </summary>
public sealed class LedgerFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<LedgerStore>();
        services.AddSingleton<AccountCache>();
        services.AddSingleton<MemberLedger>();
        services.AddSingleton<OutboxItemTypes>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<DueIndex>();
        services.AddSingleton<MemberCommitStep>(change => DueListings.Derive(change.Before, change.After, change.Today));
        services.AddOutboxHandler<ListForDueDate, DueListingHandler>("due-listing", OutboxTiming.AfterTheAnswer);
        services.AddOutboxHandler<LeaveDueDate, DueLeavingHandler>("due-leaving", OutboxTiming.AfterTheAnswer);
    }

    public override void MapFunctions(WebApplication app) =>
        app.MapFunction(DispatchOutboxFunction.FunctionName, DispatchOutboxFunction.HandleAsync);

    public override IEnumerable<RejectionProblem> Rejections => LedgerProblems.Rows;
}

using Points.Domain.Ranks;
using Points.Functions.Hosting;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;

namespace Points.Functions.Ranks;

/// <summary>
/// Ranks and periodic grants (F18, F19): the monthly evaluation and rank points, anniversary points, the lists they read,
/// and the queue of shards they fan out to.
/// </summary>
public sealed class RanksFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<LedgerJobQueue>();
        services.AddOutboxHandler<ListUnderRank, RankIndex>("rank-listing");
        services.AddOutboxHandler<ListForAnniversary, AnniversaryIndex>("anniversary-listing");
        services.AddSingleton<MemberCommitStep>(RankRules.DeriveListing);
        services.AddSingleton<MemberCommitStep>(Anniversaries.DeriveListing);
        AddJob<EvaluateRanksJob>(services);
        AddJob<AllocateRankPointsJob>(services);
        AddJob<GrantAnniversaryPointsJob>(services);
        services.AddSingleton<LedgerJobProcessor>();
    }

    /// <summary>A fan-out job: its timer function resolves it by type, <see cref="LedgerJobProcessor"/> finds it by name.</summary>
    private static void AddJob<TJob>(IServiceCollection services) where TJob : FanOutJob
    {
        services.AddSingleton<TJob>();
        services.AddSingleton<FanOutJob>(sp => sp.GetRequiredService<TJob>());
    }

    public override void MapFunctions(WebApplication app)
    {
        app.MapTimerFunction<EvaluateRanksJob>(EvaluateRanksJob.FunctionName, LedgerJobFunctions.RunTimerAsync);
        app.MapTimerFunction<AllocateRankPointsJob>(AllocateRankPointsJob.FunctionName, LedgerJobFunctions.RunTimerAsync);
        app.MapTimerFunction<GrantAnniversaryPointsJob>(GrantAnniversaryPointsJob.FunctionName, LedgerJobFunctions.RunTimerAsync);
        app.MapFunction(LedgerJobProcessor.FunctionName, (HttpContext http, LedgerJobProcessor processor) => LedgerJobFunctions.ProcessShardAsync(http, processor));
    }
}

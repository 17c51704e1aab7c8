using System.Globalization;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Hosting;
using Points.Functions.Ledger;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Expiry;

/// <summary>Expires due lots (F16), daily at 00:05 program time.</summary>
public sealed class ExpirePointsJob(DueIndex dueIndex, MemberLedger ledger, JobCheckpoints checkpoints, ProgramSettingsStore settings,
    TimeProvider clock, ILogger<ExpirePointsJob> log)
    : DueMembersJob(FunctionName, DueIndex.Expiry, dueIndex, ledger, checkpoints, settings, clock, log)
{
    public const string FunctionName = "ExpirePoints";
}

/// <summary>Activates pending points whose day has come (F38), daily at 00:10 program time.</summary>
public sealed class ActivatePendingPointsJob(DueIndex dueIndex, MemberLedger ledger, JobCheckpoints checkpoints, ProgramSettingsStore settings,
    TimeProvider clock, ILogger<ActivatePendingPointsJob> log)
    : DueMembersJob(FunctionName, DueIndex.Pending, dueIndex, ledger, checkpoints, settings, clock, log)
{
    public const string FunctionName = "ActivatePendingPoints";
}

/// <summary>
/// A daily job over the members listed in one due index (partition <c>{kind}|{date}</c>), so its cost follows the
/// members with something due, not all members. It works through every due date since its last completed one up to
/// today (a missed or past-due run catches up), sweeps each member through the ledger (activation of due pending points,
/// expiry of due lots: what every ledger decision does first), removes the index chunk and records the date. A rerun
/// finds nothing due and writes nothing. A listed member that left the date (its lots moved under the rolling policy,
/// or were spent) is skipped without a read.
/// </summary>
public abstract partial class DueMembersJob(string name, string kind, DueIndex dueIndex, MemberLedger ledger, JobCheckpoints checkpoints,
    ProgramSettingsStore settingsStore, TimeProvider clock, ILogger log)
{
    /// <summary>How far back a first run (no checkpoint yet) looks for due dates.</summary>
    public const int FirstRunLookBackDays = 31;
    /// <summary>Members swept at once.</summary>
    public const int ParallelMembersMax = 8;

    public string Name { get; } = name;

    /// <param name="Skipped">Listed members not read because they left the date's list (their lots moved or were spent).</param>
    public sealed record Summary(int Dates, int Members, int EntriesWritten, int Skipped = 0);

    /// <summary>A run as the Functions host invokes it (past due or not, the job works out what is due itself).</summary>
    public static async Task<string> RunTimerAsync(DueMembersJob job, bool isPastDue, CancellationToken cancellationToken)
    {
        var summary = await job.RunAsync(cancellationToken);
        return $"{job.Name}: {summary.EntriesWritten} entries for {summary.Members} members over {summary.Dates} due dates, {summary.Skipped} skipped.";
    }

    public async Task<Summary> RunAsync(CancellationToken cancellationToken)
    {
        var settings = await settingsStore.GetAsync(cancellationToken);
        var today = settings.DateOf(clock.GetUtcNow());
        var from = await checkpoints.LastCompletedAsync(Name, cancellationToken) is { } last
            ? CalendarText.ParseDay(last).AddDays(1)
            : today.AddDays(-FirstRunLookBackDays);
        int dates = 0, members = 0, entries = 0, skipped = 0;
        for (var dueOn = from; dueOn <= today; dueOn = dueOn.AddDays(1))
        {
            var (left, moves) = await dueIndex.ReadLeftAsync(kind, dueOn, cancellationToken);
            await foreach (var chunk in dueIndex.ReadChunksAsync(kind, dueOn, cancellationToken))
            {
                var due = chunk.Members.Where(m => !left.Contains(m)).ToList();
                skipped += chunk.Members.Count - due.Count;
                await Parallel.ForEachAsync(due,
                    new ParallelOptions { MaxDegreeOfParallelism = ParallelMembersMax, CancellationToken = cancellationToken },
                    async (memberId, _) =>
                    {
                        Interlocked.Add(ref entries, await SweepAsync(MemberId.Parse(memberId)));
                        Interlocked.Increment(ref members);
                    });
                // Only once all its members are swept: a run cut short sweeps the chunk again (finding nothing left to do).
                await dueIndex.RemoveAsync(chunk, cancellationToken);
            }
            foreach (var chunk in moves) await dueIndex.RemoveAsync(chunk, cancellationToken);
            await checkpoints.CompleteAsync(Name, CalendarText.DayOf(dueOn), cancellationToken);
            dates++;
        }
        LogRun(log, Name, dates, members, entries, skipped);
        return new Summary(dates, members, entries, skipped);
    }

    private async Task<int> SweepAsync(MemberId memberId)
    {
        var result = await ledger.ExecuteAsync(memberId, MemberOperation.ForCommand(Name, null, "", new LedgerCommand.ExpireDue(),
            accepted => new Swept(accepted.Entries.Length)));
        return result is OperationResult.Applied applied ? applied.Entries.Length : 0;
    }

    /// <summary>A member swept: how many entries (expiries, activations) it wrote.</summary>
    public sealed record Swept(int Entries);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: {Dates} due dates, {Members} members, {Entries} entries, {Skipped} skipped (left the date)")]
    private static partial void LogRun(ILogger log, string function, int dates, int members, int entries, int skipped);
}

/// <summary>Daily expiry of due lots (F16), expiry reminders (F17) and activation of pending points (F38), through the due indexes.</summary>
public sealed class ExpiryFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ExpirePointsJob>();
        services.AddSingleton<ActivatePendingPointsJob>();
        services.AddSingleton<ExpiryRemindersJob>();
    }

    public override void MapFunctions(WebApplication app)
    {
        app.MapTimerFunction<ExpirePointsJob>(ExpirePointsJob.FunctionName, DueMembersJob.RunTimerAsync);
        app.MapTimerFunction<ActivatePendingPointsJob>(ActivatePendingPointsJob.FunctionName, DueMembersJob.RunTimerAsync);
        app.MapTimerFunction<ExpiryRemindersJob>(ExpiryRemindersJob.FunctionName, (job, _, cancellationToken) => job.RunDailyAsync(cancellationToken));
    }
}

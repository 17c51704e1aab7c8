using System.Text.Json.Serialization;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Expiry;

/// <summary>
/// Expires due lots (F16). Members are found through the due index (partition <c>expiry|{date}</c>), so the cost
/// follows the members with due lots, not all members. The job works through every due date since its last completed
/// one up to today (a missed or past-due run catches up), records each completed date, and is safe to rerun: expiring
/// a member twice finds nothing due the second time and writes nothing.
/// </summary>
public sealed partial class ExpirePointsJob(
    DueIndex dueIndex, MemberLedger ledger, CosmosStorage cosmos, ProgramSettingsStore settingsStore, TimeProvider clock,
    ILogger<ExpirePointsJob> log)
{
    public const string FunctionName = "ExpirePoints";
    /// <summary>How far back a first run (no checkpoint yet) looks for due dates.</summary>
    public const int FirstRunLookBackDays = 31;
    /// <summary>Members expired at once.</summary>
    public const int ParallelMembersMax = 8;

    private sealed record Checkpoint([property: JsonPropertyName("id")] string Id, string Pk, DateOnly LastCompletedDueOn);

    public sealed record Summary(int Dates, int Members, int EntriesWritten);

    public async Task<Summary> RunAsync(CancellationToken cancellationToken)
    {
        var settings = await settingsStore.GetAsync(cancellationToken);
        var today = ProgramCalendar.DateOf(clock.GetUtcNow(), settings.Zone);
        var (checkpoint, _) = await CosmosStorage.ReadOrNullAsync<Checkpoint>(cosmos.Jobs, FunctionName, "checkpoints", cancellationToken);
        var from = checkpoint?.LastCompletedDueOn.AddDays(1) ?? today.AddDays(-FirstRunLookBackDays);
        int dates = 0, members = 0, entries = 0;
        for (var dueOn = from; dueOn <= today; dueOn = dueOn.AddDays(1))
        {
            await foreach (var page in dueIndex.ReadPagesAsync(DueIndex.Expiry, dueOn, cancellationToken))
            {
                await Parallel.ForEachAsync(page, new ParallelOptions { MaxDegreeOfParallelism = ParallelMembersMax, CancellationToken = cancellationToken },
                    async (memberId, ct) =>
                    {
                        var written = await ExpireMemberAsync(memberId);
                        Interlocked.Add(ref entries, written);
                        Interlocked.Increment(ref members);
                        await dueIndex.RemoveAsync(DueIndex.Expiry, dueOn, memberId, ct);
                    });
            }
            await cosmos.Jobs.UpsertItemAsync(new Checkpoint(FunctionName, "checkpoints", dueOn), new Microsoft.Azure.Cosmos.PartitionKey("checkpoints"),
                cancellationToken: cancellationToken);
            dates++;
        }
        LogRun(dates, members, entries);
        return new Summary(dates, members, entries);
    }

    private async Task<int> ExpireMemberAsync(MemberId memberId)
    {
        var result = await ledger.ExecuteAsync(memberId, MemberOperation.ForCommand(FunctionName, null, "",
            _ => new LedgerCommand.ExpireDue(), accepted => new { expired = accepted.Entries.Length }, 200));
        return result is OperationResult.Applied applied ? applied.Entries.Length : 0;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ExpirePoints: {Dates} due dates, {Members} members, {Entries} expiry entries")]
    private partial void LogRun(int dates, int members, int entries);
}

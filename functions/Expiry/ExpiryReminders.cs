using System.Globalization;
using Azure.Storage.Blobs.Specialized;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Webhooks;
using Points.Functions.Imports.Csv;
using Points.Functions.Ledger;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Expiry;

/// <summary>
/// Expiry reminders (F17; admin settings API, section <c>reminders</c>): the daily file lists the members whose points
/// expire <see cref="OffsetsDays"/> days later, when at least <see cref="MinimumPoints"/> of them do.
/// </summary>
public sealed record ExpiryReminderSettings
{
    public const int OffsetsMax = 5;
    public const int OffsetDaysMax = 365;

    /// <summary>Days before the expiry date on which a member is listed (30 and 7: a month ahead and a week ahead). Empty: no reminders.</summary>
    public IReadOnlyList<int> OffsetsDays { get; init; } = [30, 7];
    public long MinimumPoints { get; init; } = 1;

    /// <summary>Field errors, named under <c>reminders.</c>.</summary>
    public void Validate(Dictionary<string, string[]> errors)
    {
        const string at = "reminders.";
        if (OffsetsDays is null || OffsetsDays.Count > OffsetsMax || OffsetsDays.Any(d => d is < 1 or > OffsetDaysMax) || OffsetsDays.Distinct().Count() != OffsetsDays.Count)
            errors[at + "offsetsDays"] = [$"At most {OffsetsMax} distinct offsets of 1..{OffsetDaysMax} days."];
        if (MinimumPoints is < 1 or > PointAmount.MaxMagnitude) errors[at + "minimumPoints"] = [$"1..{PointAmount.MaxMagnitude}."];
    }
}

/// <summary>
/// <c>SendExpiryReminders</c>, daily at 00:30 program time: for each day since its last completed one (catching up at
/// most <see cref="JobCheckpoints.CatchUpDaysMax"/>; a first run does today only), writes <c>exports/expiry-reminders/{day}.csv</c>
/// listing, for each offset, the members with points expiring on day + offset. Members are found through the expiry due
/// index (a lot expiring on D is listed under D + 1), never by reading all members; a member who left that date (their
/// lots moved or were spent) is passed over unread, and every listed member is read to list what expires now, so one who
/// spent the points is not reminded. A day's file is written whole and then the day is recorded: a rerun of a completed
/// day writes nothing, a run that stopped halfway writes the whole file again, so each member is listed once per expiry
/// date and offset. The partner sends the notices (the system sends no e-mail).
/// </summary>
public sealed partial class ExpiryRemindersJob(DueIndex dueIndex, LedgerStore store, BlobStorage blobs, JobCheckpoints checkpoints,
    ProgramSettingsStore settingsStore, MemberLedger ledger, Webhooks.WebhookSubscriptions subscriptions, TimeProvider clock, ILogger<ExpiryRemindersJob> log)
{
    /// <summary>Who announces <c>points.expiring</c> to partners: recorded as the actor, with the member's idempotency key per date and offset.</summary>
    public const string Actor = "system:reminders";

    public const string FunctionName = "SendExpiryReminders";
    public const string Folder = "expiry-reminders/";
    /// <summary>Members read at once.</summary>
    public const int ParallelMembersMax = 8;

    /// <summary>csv.md "Exports", expiry reminders, then the kinds expiring and the offset.</summary>
    public static readonly IReadOnlyList<CsvColumn> Columns =
        [new("member_id"), new("expires_on"), new("points", IsNumeric: true), new("newsletter_opt_in"), new("kind"), new("offset_days", IsNumeric: true)];

    public sealed record DayFile(string BlobName, DateOnly Day, long Rows);

    public async Task<string> RunDailyAsync(CancellationToken cancellationToken)
    {
        var settings = await settingsStore.GetAsync(cancellationToken);
        var today = settings.DateOf(clock.GetUtcNow());
        var written = new List<string>();
        foreach (var day in JobCheckpoints.DaysDue(await checkpoints.LastCompletedAsync(FunctionName, cancellationToken), today))
        {
            var file = await WriteDayAsync(day, settings.Reminders, cancellationToken);
            await checkpoints.CompleteAsync(FunctionName, CalendarText.DayOf(day), cancellationToken);
            written.Add($"{file.BlobName} ({file.Rows} rows)");
        }
        return $"{FunctionName}: {(written.Count == 0 ? "nothing due" : string.Join(", ", written))}.";
    }

    public async Task<DayFile> WriteDayAsync(DateOnly day, ExpiryReminderSettings reminders, CancellationToken cancellationToken)
    {
        var name = $"{Folder}{CalendarText.DayOf(day)}.csv";
        var blob = blobs.Container(BlobContainers.Exports).GetBlockBlobClient(name);
        long rows;
        // Staged, then committed in one go: a run that stops halfway leaves the day's earlier complete file, or none.
        await using (var output = new StagedBlockBlobStream(blob))
        {
            await using (var csv = CsvResultWriter.Create(output, Columns))
            {
                foreach (var offset in reminders.OffsetsDays.OrderDescending())
                {
                    await ListExpiringAsync(day.AddDays(offset), offset, reminders.MinimumPoints, csv, cancellationToken);
                }
                rows = csv.RowsWritten;
            }
            await output.CommitAsync(cancellationToken);
        }
        LogWritten(name, rows);
        return new DayFile($"{BlobContainers.Exports}/{name}", day, rows);
    }

    private async Task ListExpiringAsync(DateOnly expiresOn, int offset, long minimumPoints, CsvResultWriter csv, CancellationToken cancellationToken)
    {
        var dueOn = expiresOn.AddDays(1);
        var (left, _) = await dueIndex.ReadLeftAsync(DueIndex.Expiry, dueOn, cancellationToken);
        // A member may be listed in several chunks (listed again after a late listing): it is reminded once. The set
        // holds the members of one date's list, as the expiry job's does.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var chunk in dueIndex.ReadChunksAsync(DueIndex.Expiry, dueOn, cancellationToken))
        {
            var members = chunk.Members.Where(m => !left.Contains(m) && seen.Add(m) && MemberId.TryParse(m, out _)).ToList();
            var reminders = new Reminder?[members.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, members.Count),
                new ParallelOptions { MaxDegreeOfParallelism = ParallelMembersMax, CancellationToken = cancellationToken },
                async (i, ct) => reminders[i] = Expiring((await store.ReadAccountAsync(MemberId.Parse(members[i]), ct)).Account?.Member, expiresOn));
            var due = reminders.OfType<Reminder>().Where(r => r.Points >= minimumPoints).ToList();
            foreach (var reminder in due)
            {
                await csv.WriteRowAsync([reminder.MemberId, CalendarText.DayOf(expiresOn), Number(reminder.Points),
                    reminder.NewsletterOptIn ? "true" : "false", reminder.Kinds, Number(offset)], cancellationToken);
            }
            if (due.Count > 0 && (await subscriptions.ListAsync(cancellationToken)).Any(s => s.Wants(PartnerEventTypes.PointsExpiring)))
            {
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = ParallelMembersMax, CancellationToken = cancellationToken },
                    async (reminder, _) => await ledger.ExecuteAsync(MemberId.Parse(reminder.MemberId), AnnounceExpiring(expiresOn, offset)));
            }
        }
    }

    private sealed record Reminder(string MemberId, long Points, string Kinds, bool NewsletterOptIn);

    /// <summary>What announcing a reminder answered (recorded under its idempotency key, so a rerun announces nothing twice).</summary>
    public sealed record ExpiringAnnounced(DateOnly ExpiresOn, long Points, int DaysBefore);

    /// <summary>
    /// Tells partners (<c>points.expiring</c>) what of the member expires on <paramref name="expiresOn"/>, as the member is
    /// when the commit decides; once per member, date and offset (the operation's idempotency key), however often the day runs.
    /// </summary>
    public static MemberOperation AnnounceExpiring(DateOnly expiresOn, int offset)
    {
        var key = $"expiring:{CalendarText.DayOf(expiresOn)}:{Number(offset)}";
        return new MemberOperation(Actor, key, key, input =>
        {
            var points = input.Member.Ledger.Lots.Where(l => l.ExpiresOn == expiresOn).Sum(l => l.Remaining.Value);
            var told = new ExpiringAnnounced(expiresOn, points, offset);
            return new MemberDecision.Accepted(input.Member, [], told)
            {
                Announced = points == 0 ? [] : [new AnnouncedEvent(PartnerEventTypes.PointsExpiring, input.Context.Now, new PointsExpiring(expiresOn, points, offset))],
            };
        });
    }

    /// <summary>What of <paramref name="member"/> expires on <paramref name="expiresOn"/> (the last day it can be used), or null.</summary>
    private static Reminder? Expiring(Member? member, DateOnly expiresOn)
    {
        var lots = member?.Ledger.Lots.Where(l => l.ExpiresOn == expiresOn).ToList() ?? [];
        if (lots.Count == 0) return null;
        var kinds = string.Join(';', lots.Select(l => l.Kind).Distinct().Order().Select(k => k.ToString().ToLowerInvariant()));
        return new Reminder(member!.Id.Value, lots.Sum(l => l.Remaining.Value), kinds, member.Profile.NewsletterOptIn);
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "Expiry reminders {Blob}: {Rows} rows")]
    private partial void LogWritten(string blob, long rows);
}

using System.Collections.Immutable;
using Points.Domain.Primitives;

namespace Points.Domain.Members;

/// <summary>
/// The program-zone dates the member is listed under in the daily jobs' due indexes: expiry (a lot expiring on D is due
/// on D + 1) and activation of pending points. Kept so that a date is listed once, not on every commit. Past dates drop.
/// </summary>
/// <remarks>
/// An expiry date can stop being due before it comes: the lots on it moved (the <c>rolling</c> policy) or were spent.
/// The member then leaves that date's list (<see cref="LeaveDueDate"/>), so the expiry job skips it there without reading
/// it, and remembers the date in <see cref="Left"/>: should a lot fall due on it again, the listing says so, and the
/// later of the two (by the member's journal sequence) is what the job believes.
/// </remarks>
public sealed record DueListings(ImmutableArray<DateOnly> Expiry, ImmutableArray<DateOnly> Pending)
{
    public const string ExpiryKind = "expiry";
    public const string PendingKind = "pending";

    public static readonly DueListings None = new([], []);

    /// <summary>Future expiry dates the member left before they came (see remarks).</summary>
    public ImmutableArray<DateOnly> Left { get; init; } = [];

    /// <summary>
    /// The listings a commit needs: every due date of the member's lots and pending points not listed yet becomes an
    /// outbox item. A date that is not in the future (a lot restored after its expiry) is listed for tomorrow, so
    /// every listing names a day whose daily job has not run yet.
    /// </summary>
    public static (Member Member, IReadOnlyList<OutboxItem> Items) Derive(Member? before, Member after, DateOnly today)
    {
        var items = new List<OutboxItem>();
        var listings = after.Listings;
        var seq = after.Ledger.LastSeq;
        var expiryDue = after.Ledger.Lots.Where(l => l.ExpiresOn is not null).Select(l => Upcoming(l.ExpiresOn!.Value.AddDays(1), today)).ToHashSet();
        var left = listings.Left.Where(d => d > today).ToList();
        var expiry = Listed(ExpiryKind, listings.Expiry, expiryDue, today, items, dueOn => left.Remove(dueOn) ? seq : null);
        foreach (var gone in expiry.Where(d => !expiryDue.Contains(d)).ToList())
        {
            items.Add(new LeaveDueDate(ExpiryKind, gone, seq));
            expiry.Remove(gone);
            left.Add(gone);
        }
        var pending = Listed(PendingKind, listings.Pending, after.Ledger.Pending.Select(p => Upcoming(p.ActivatesOn, today)).ToHashSet(), today, items, _ => null);
        var next = new DueListings([.. expiry.Order()], [.. pending.Order()]) { Left = [.. left.Order()] };
        var changed = items.Count > 0 || !next.Expiry.SequenceEqual(listings.Expiry) || !next.Pending.SequenceEqual(listings.Pending)
            || !next.Left.SequenceEqual(listings.Left);
        return (changed ? after with { Listings = next } : after, items);
    }

    /// <summary>A due date as listed: one that is not in the future (a lot restored after its expiry) is listed for tomorrow.</summary>
    private static DateOnly Upcoming(DateOnly dueOn, DateOnly today) => dueOn > today ? dueOn : today.AddDays(1);

    /// <summary>The listed future dates plus every due date not listed yet, each with its listing item.</summary>
    private static List<DateOnly> Listed(string kind, ImmutableArray<DateOnly> listed, IReadOnlySet<DateOnly> dueDates, DateOnly today,
        List<OutboxItem> items, Func<DateOnly, long?> returningSeq)
    {
        var dates = listed.Where(d => d > today).ToList();
        foreach (var dueOn in dueDates.Where(d => !dates.Contains(d)).Order())
        {
            items.Add(new ListForDueDate(kind, dueOn) { ReturnsAtSeq = returningSeq(dueOn) });
            dates.Add(dueOn);
        }
        return dates;
    }
}

/// <summary>List the member in the due index of <paramref name="Kind"/> under <paramref name="DueOn"/> (program zone).</summary>
public sealed record ListForDueDate(string Kind, DateOnly DueOn) : OutboxItem
{
    /// <summary>Set when the member had left this date (<see cref="LeaveDueDate"/>): its journal sequence at the return.</summary>
    public long? ReturnsAtSeq { get; init; }

    public override string Id => ReturnsAtSeq is { } seq ? $"due|{Kind}|{CalendarText.DayOf(DueOn)}|{seq}" : $"due|{Kind}|{CalendarText.DayOf(DueOn)}";
}

/// <summary>
/// The member has nothing due under <paramref name="DueOn"/> any more (its lots there moved or were spent), as of its
/// journal sequence <paramref name="AtSeq"/>: the job may skip it on that date without reading it.
/// </summary>
public sealed record LeaveDueDate(string Kind, DateOnly DueOn, long AtSeq) : OutboxItem
{
    public override string Id => $"undue|{Kind}|{CalendarText.DayOf(DueOn)}|{AtSeq}";
}

using System.Collections.Immutable;
using Points.Domain.Primitives;

namespace Points.Domain.Members;

/// <summary>
/// The program-zone dates the member is listed under in the daily jobs' due indexes: expiry (a lot expiring on D is due
/// on D + 1) and activation of pending points. Kept so that a date is listed once, not on every commit. Past dates drop.
/// </summary>
public sealed record DueListings(ImmutableArray<DateOnly> Expiry, ImmutableArray<DateOnly> Pending)
{
    public const string ExpiryKind = "expiry";
    public const string PendingKind = "pending";

    public static readonly DueListings None = new([], []);

    /// <summary>
    /// The listings a commit needs: every due date of the member's lots and pending points not listed yet becomes an
    /// outbox item. A date that is not in the future (a lot restored after its expiry) is listed for tomorrow, so
    /// every listing names a day whose daily job has not run yet.
    /// </summary>
    public static (Member Member, IReadOnlyList<OutboxItem> Items) Derive(Member? before, Member after, DateOnly today)
    {
        var items = new List<OutboxItem>();
        var expiry = Listed(ExpiryKind, after.Listings.Expiry,
            after.Ledger.Lots.Where(l => l.ExpiresOn is not null).Select(l => l.ExpiresOn!.Value.AddDays(1)), today, items);
        var pending = Listed(PendingKind, after.Listings.Pending, after.Ledger.Pending.Select(p => p.ActivatesOn), today, items);
        // Dates are only ever added (with an item) or dropped (shortening the list).
        var changed = items.Count > 0 || expiry.Length != after.Listings.Expiry.Length || pending.Length != after.Listings.Pending.Length;
        return (changed ? after with { Listings = new DueListings(expiry, pending) } : after, items);
    }

    private static ImmutableArray<DateOnly> Listed(string kind, ImmutableArray<DateOnly> listed, IEnumerable<DateOnly> dueDates, DateOnly today,
        List<OutboxItem> items)
    {
        var dates = listed.Where(d => d > today).ToList();
        foreach (var dueOn in dueDates.Select(d => d > today ? d : today.AddDays(1)).Distinct().Where(d => !dates.Contains(d)).ToList())
        {
            items.Add(new ListForDueDate(kind, dueOn));
            dates.Add(dueOn);
        }
        return [.. dates.Order()];
    }
}

/// <summary>List the member in the due index of <paramref name="Kind"/> under <paramref name="DueOn"/> (program zone).</summary>
public sealed record ListForDueDate(string Kind, DateOnly DueOn) : OutboxItem
{
    public override string Id => $"due|{Kind}|{CalendarText.DayOf(DueOn)}";
}

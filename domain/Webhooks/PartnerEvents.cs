using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.SpecialPoints;
using Points.Domain.Withdrawals;

namespace Points.Domain.Webhooks;

/// <summary>The event types partners subscribe to (F37). A name is a contract: never rename one in use.</summary>
public static class PartnerEventTypes
{
    public const string PointsEarned = "points.earned";
    public const string PointsSpent = "points.spent";
    public const string PointsReversed = "points.reversed";
    public const string PointsExpiring = "points.expiring";
    public const string PointsExpired = "points.expired";
    public const string RankChanged = "rank.changed";
    public const string PurchaseCompleted = "purchase.completed";
    public const string PurchaseRefunded = "purchase.refunded";
    public const string WithdrawalStatusChanged = "withdrawal.status_changed";
    public const string SpecialPointsGranted = "special_points.granted";
    public const string MemberRegistered = "member.registered";

    public static readonly ImmutableArray<string> All =
    [
        PointsEarned, PointsSpent, PointsReversed, PointsExpiring, PointsExpired, RankChanged, PurchaseCompleted, PurchaseRefunded,
        WithdrawalStatusChanged, SpecialPointsGranted, MemberRegistered,
    ];
}

/// <summary>
/// Something that happened to a member, as partners are told: a stable <paramref name="Id"/> (the same on every
/// delivery and replay), the member's own <paramref name="Sequence"/> (consecutive over all of the member's events from
/// 1, so a partner sees order and gaps), and the type's <paramref name="Data"/>.
/// </summary>
public sealed record PartnerEvent(string Id, string Type, MemberId MemberId, long Sequence, DateTimeOffset OccurredAt, object Data);

/// <summary>An event a decision announces itself (e.g. points about to expire), where no entry or state change says it.</summary>
public sealed record AnnouncedEvent(string Type, DateTimeOffset OccurredAt, object Data);

/// <summary>Points credited or debited by one journal entry (points.earned, spent, reversed, expired).</summary>
/// <param name="Points">Signed as in the history: positive for a credit, negative for a debit.</param>
public sealed record PointsMoved(long EntrySeq, EntryType EntryType, long Points, LotKind? Kind, long BalanceAfter, string? Reference, string? Reason,
    string? StoreId, string? Channel);

public sealed record RankChanged(string From, string To);

public sealed record PurchaseMoved(long EntrySeq, long Points, string? Reference, long BalanceAfter);

public sealed record WithdrawalStatusChanged(string WithdrawalId, WithdrawalStatus? From, WithdrawalStatus To, long Points, long NetYen);

public sealed record SpecialPointsGranted(string CampaignId, long EntrySeq, long Points, DateOnly? ExpiresOn);

public sealed record MemberRegistered(DateOnly JoinedOn, string? StoreId);

/// <summary>Points of the member that expire after <paramref name="ExpiresOn"/> (the last day they can be used), <paramref name="DaysBefore"/> days ahead.</summary>
public sealed record PointsExpiring(DateOnly ExpiresOn, long Points, int DaysBefore);

/// <summary>The member's event numbering: the sequence of the last event told (0: none yet).</summary>
public sealed record MemberEvents(long Sequence)
{
    public static readonly MemberEvents None = new(0);
}

/// <summary>
/// What a commit tells partners: events read off the batch's journal entries and off the change of the member (rank,
/// withdrawals, registration), then those the decisions announced, numbered after the member's last one. Pure.
/// </summary>
public static class PartnerEvents
{
    /// <summary>The id of the member's event <paramref name="sequence"/>: stable, opaque, and free of the member id's characters.</summary>
    public static string IdOf(MemberId memberId, long sequence) =>
        $"evt_{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(memberId.Value)))[..20]}_{sequence}";

    public static (Member Member, ImmutableArray<PartnerEvent> Events) Derive(MemberChange change)
    {
        var drafts = new List<AnnouncedEvent>();
        if (change.Before is null) drafts.Add(new(PartnerEventTypes.MemberRegistered, change.Now, new MemberRegistered(change.After.Profile.JoinedOn, change.After.Profile.StoreId)));
        foreach (var entry in change.Entries) drafts.AddRange(OfEntry(entry));
        if (change.Before is { } before && before.Earning.Rank != change.After.Earning.Rank)
            drafts.Add(new(PartnerEventTypes.RankChanged, change.Now, new RankChanged(before.Earning.Rank, change.After.Earning.Rank)));
        drafts.AddRange(WithdrawalChanges(change.Before, change.After, change.Now));
        drafts.AddRange(change.Announced);
        if (drafts.Count == 0) return (change.After, []);

        var next = change.After.Events.Sequence;
        var events = drafts.Select(d => { next++; return new PartnerEvent(IdOf(change.After.Id, next), d.Type, change.After.Id, next, d.OccurredAt, d.Data); }).ToImmutableArray();
        return (change.After with { Events = new MemberEvents(next) }, events);
    }

    private static IEnumerable<AnnouncedEvent> OfEntry(JournalEntry entry)
    {
        // A pending earn promises points it has not given yet: partners hear of them when they activate.
        if (entry.Pending) yield break;
        var type = entry.Type switch
        {
            EntryType.Earn or EntryType.Activate => PartnerEventTypes.PointsEarned,
            EntryType.Adjust => entry.Points.IsPositive ? PartnerEventTypes.PointsEarned : PartnerEventTypes.PointsSpent,
            EntryType.Spend => PartnerEventTypes.PointsSpent,
            EntryType.Reverse => PartnerEventTypes.PointsReversed,
            EntryType.Expire or EntryType.Invalidate => PartnerEventTypes.PointsExpired,
            EntryType.Purchase => PartnerEventTypes.PurchaseCompleted,
            EntryType.Refund => PartnerEventTypes.PurchaseRefunded,
            _ => null, // holds, releases, withdraw settlements (told as withdrawal status) and extensions move no spendable points
        };
        if (type is null) yield break;
        yield return new(type, entry.OccurredAt, type is PartnerEventTypes.PurchaseCompleted or PartnerEventTypes.PurchaseRefunded
            ? new PurchaseMoved(entry.Seq, entry.Points.Value, entry.Reference, entry.BalanceAfter.Value)
            : new PointsMoved(entry.Seq, entry.Type, entry.Points.Value, entry.Kind, entry.BalanceAfter.Value, entry.Reference, entry.Reason, entry.StoreId, entry.Channel));
        if (entry.Type == EntryType.Earn)
        {
            foreach (var grant in entry.Lots.Where(l => l.Points.IsPositive && l.Source?.StartsWith(SpecialCampaign.SourcePrefix, StringComparison.Ordinal) == true).GroupBy(l => l.Source!))
            {
                yield return new(PartnerEventTypes.SpecialPointsGranted, entry.OccurredAt,
                    new SpecialPointsGranted(grant.Key[SpecialCampaign.SourcePrefix.Length..], entry.Seq, grant.Sum(l => l.Points.Value), grant.Min(l => l.ExpiresOn)));
            }
        }
    }

    private static IEnumerable<AnnouncedEvent> WithdrawalChanges(Member? before, Member after, DateTimeOffset now)
    {
        foreach (var withdrawal in after.Withdrawals.Open.Concat(after.Withdrawals.Closed))
        {
            var was = before?.Withdrawals.Find(withdrawal.WithdrawalId)?.Status;
            if (was == withdrawal.Status) continue;
            yield return new(PartnerEventTypes.WithdrawalStatusChanged, now,
                new WithdrawalStatusChanged(withdrawal.WithdrawalId, was, withdrawal.Status, withdrawal.Points.Value, withdrawal.Quote.Net));
        }
    }
}

using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Ledger;

namespace Points.Functions.Members;

public sealed record MemberSummary(
    string MemberId, long Balance, long Available, long Held, long Pending, long Debt, PointsByKind ByKind, string Rank,
    long LifetimeEarned, string ReferralCode, IReadOnlyList<ExpiringPoints> Expiring, DateOnly JoinedOn,
    IReadOnlyList<string> Tags, string? StoreId, bool NewsletterOptIn, DateOnly? BirthDate, ExpiringPoints? NextExpiry, long ExpiringWithin30Days);

public sealed record PointsByKind(long Regular, long Special, long Purchased);

public sealed record ExpiringPoints(DateOnly Date, long Points);

public sealed record HistoryPage(IReadOnlyList<HistoryItem> Items, long? Next);

public sealed record HistoryItem(
    long Seq, EntryType Type, long Points, LotKind? Kind, bool LimitedTime, long BalanceAfter, DateTimeOffset OccurredAt,
    string? Reference, string? Reason, IReadOnlyList<HistoryLot> Lots, string? StoreId, string? Channel, long? ReversalOf,
    string? RuleId, int? RuleVersion, bool Pending, DateOnly? ActivatesOn, string Actor);

/// <summary>A lot an entry moved points into (positive) or out of (negative), with the lot's kind and expiry date then.</summary>
public sealed record HistoryLot(string LotId, long Points, LotKind Kind, DateOnly? ExpiresOn);

/// <summary>Read models of a member: the summary as of now and history pages, newest first.</summary>
public sealed class MemberViews(LedgerStore store)
{
    private const int ExpiringDatesShown = 3;
    /// <summary>The window of <see cref="MemberSummary.ExpiringWithin30Days"/>: points whose last day is within it (today included).</summary>
    public const int ExpiringSoonDays = 30;

    /// <summary>
    /// The balance as of <paramref name="today"/>: lots whose expiry date has passed are left out even if the expiry
    /// job has not journaled them yet (domain.md: they are gone from 00:00 the next day).
    /// </summary>
    public static MemberSummary Summary(Member member, DateOnly today)
    {
        var ledger = member.Ledger;
        // Pending points whose day has come count as usable even before the activation job journals them.
        var live = ledger.Lots
            .Concat(ledger.Pending.Where(p => p.ActivatesOn <= today).Select(p => new Lot(p.LotId, p.CreatedSeq, p.Kind, p.ExpiresOn, p.ActivatesOn, p.Points)))
            .Where(l => !l.IsDueOn(today))
            .ToList();
        var pending = ledger.Pending.Where(p => p.ActivatesOn > today).Sum(p => p.Points.Value);
        long Of(LotKind kind) => live.Where(l => l.Kind == kind).Sum(l => l.Remaining.Value);
        var inLots = live.Sum(l => l.Remaining.Value);
        var balance = inLots - ledger.Debt.Value;
        var expiring = live.Where(l => l.ExpiresOn is not null)
            .GroupBy(l => l.ExpiresOn!.Value)
            .OrderBy(g => g.Key)
            .Take(ExpiringDatesShown)
            .Select(g => new ExpiringPoints(g.Key, g.Sum(l => l.Remaining.Value)))
            .ToList();
        var soon = live.Where(l => l.ExpiresOn < today.AddDays(ExpiringSoonDays)).Sum(l => l.Remaining.Value);
        var profile = member.Profile;
        return new MemberSummary(member.Id.Value, balance, Math.Max(balance, 0), ledger.Held.Value, pending, ledger.Debt.Value,
            new PointsByKind(Of(LotKind.Regular), Of(LotKind.Special), Of(LotKind.Purchased)), member.Earning.Rank,
            ledger.LifetimeEarned, profile.ReferralCode, expiring, profile.JoinedOn, profile.Tags, profile.StoreId,
            profile.NewsletterOptIn, profile.BirthDate, expiring.FirstOrDefault(), soon);
    }

    /// <summary>Entries with Seq &lt; <paramref name="before"/>, newest first: unsealed ones from the account, the rest by page point reads.</summary>
    public async Task<HistoryPage> HistoryAsync(AccountDocument account, int limit, long? before, TimeZoneInfo zone,
        CancellationToken cancellationToken)
    {
        var items = new List<HistoryItem>(limit);
        var seq = Math.Min(before is { } b ? b - 1 : long.MaxValue, account.Ledger.LastSeq);
        var memberId = MemberId.Parse(account.MemberId);
        // Every seq gives one entry, so the sealed pages this page of history needs are known: read them at once.
        var sealedFrom = Math.Max(1, seq - limit + 1);
        var sealedTo = Math.Min(seq, account.SealedThrough);
        var pageNos = sealedFrom > sealedTo ? []
            : Enumerable.Range(0, (int)((sealedTo - 1) / LedgerLimits.PageEntries - (sealedFrom - 1) / LedgerLimits.PageEntries + 1))
                .Select(i => (sealedFrom - 1) / LedgerLimits.PageEntries + i).ToList();
        var read = await Task.WhenAll(pageNos.Select(n => store.ReadPageAsync(memberId, n, cancellationToken)));
        var pages = pageNos.Zip(read).ToDictionary(p => p.First, p => p.Second);
        while (seq >= 1 && items.Count < limit)
        {
            JournalEntry? entry;
            if (seq > account.SealedThrough)
            {
                entry = account.Journal.FirstOrDefault(e => e.Seq == seq);
            }
            else
            {
                var pageNo = (seq - 1) / LedgerLimits.PageEntries;
                if (!pages.TryGetValue(pageNo, out var page))
                {
                    pages[pageNo] = page = await store.ReadPageAsync(memberId, pageNo, cancellationToken);
                }
                entry = page?.Entries.FirstOrDefault(e => e.Seq == seq)
                    ?? throw new InvalidOperationException($"History page {pageNo} of member {memberId} is missing entry {seq}.");
            }
            if (entry is not null)
            {
                items.Add(ToItem(entry, zone));
            }
            seq--;
        }
        return new HistoryPage(items, seq >= 1 && items.Count > 0 ? items[^1].Seq : null);
    }

    private static HistoryItem ToItem(JournalEntry e, TimeZoneInfo zone) => new(
        e.Seq, e.Type, e.Points.Value, e.Kind, e.LimitedTime, e.BalanceAfter.Value, TimeZoneInfo.ConvertTime(e.OccurredAt, zone),
        e.Reference, e.Reason, e.Lots.Select(l => new HistoryLot(l.LotId, l.Points.Value, l.Kind, l.ExpiresOn)).ToList(), e.StoreId, e.Channel, e.ReversalOf,
        e.RuleId, e.RuleVersion, e.Pending, e.Pending ? e.PendingLot?.ActivatesOn : null, e.Actor);
}

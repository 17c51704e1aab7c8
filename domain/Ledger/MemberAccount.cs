using System.Collections.Immutable;
using Points.Domain.Primitives;

namespace Points.Domain.Ledger;

/// <summary>
/// The ledger state of one member: open lots (kept in consumption order), holds and debt. Evolves only by applying
/// journal entries (<see cref="Evolve"/>), so the state is always what its history says.
/// Balance = points in open lots − debt; held points are out of the lots until settled or released.
/// </summary>
public sealed record MemberAccount
{
    public required MemberId MemberId { get; init; }
    public ImmutableArray<Lot> Lots { get; init; } = [];
    public ImmutableArray<Hold> Holds { get; init; } = [];
    /// <summary>Granted points waiting for their activation date; not part of the balance.</summary>
    public ImmutableArray<PendingLot> Pending { get; init; } = [];
    /// <summary>Points owed after a reversal or deduction ran past the lots; ≥ 0. Repaid first by any credit.</summary>
    public PointAmount Debt { get; init; }
    public long LastSeq { get; init; }
    /// <summary>
    /// Sum of all positive earn, adjust and purchase credits ever (not reduced by spending). A statistic that only grows,
    /// so a plain count rather than a <see cref="PointAmount"/> (whose bound a busy member could pass over the years).
    /// </summary>
    public long LifetimeEarned { get; init; }

    public static MemberAccount Open(MemberId memberId) => new() { MemberId = memberId };

    public PointAmount InLots => Lots.Sum(l => l.Remaining);
    public PointAmount Held => Holds.Sum(h => h.Points);
    public PointAmount PendingTotal => Pending.Sum(p => p.Points);
    public PointAmount Balance => InLots - Debt;

    /// <summary>
    /// Points that can still come in: the member's points in lots, held and pending stay within
    /// <see cref="PointAmount.MaxMagnitude"/>, so that no later move (an activation, a release) can pass the bound.
    /// </summary>
    public PointAmount Headroom => new(PointAmount.MaxMagnitude - InLots.Value - Held.Value - PendingTotal.Value);

    /// <summary>Applies one entry. Throws when the entry does not fit the state: that is a bug, never a business outcome.</summary>
    public MemberAccount Evolve(JournalEntry entry)
    {
        if (entry.Seq != LastSeq + 1)
        {
            throw new InvalidOperationException($"Entry {entry.Seq} does not follow {LastSeq} for member {MemberId}.");
        }
        var lots = Lots.ToBuilder();
        foreach (var portion in entry.Lots)
        {
            ApplyPortion(lots, portion);
        }
        lots.Sort(ConsumptionOrder.Instance);

        var holds = entry.Type switch
        {
            EntryType.Hold => Holds.Add(new Hold(entry.HoldId!, -entry.Points, entry.Lots)),
            EntryType.Release or EntryType.Withdraw => Holds.RemoveAll(h => h.HoldId == entry.HoldId),
            _ => Holds,
        };
        // Bought points are not earned: lifetime earned counts earns and grants only.
        var earned = entry.Type is EntryType.Earn or EntryType.Adjust && entry.Points.IsPositive && !entry.Pending
            ? checked(LifetimeEarned + entry.Points.Value)
            : LifetimeEarned;
        var pending = Pending;
        if (entry.PendingLot is { } moved)
        {
            var current = pending.FirstOrDefault(p => p.LotId == moved.LotId);
            var remaining = (current?.Points ?? PointAmount.Zero) + moved.Points;
            if (remaining.IsNegative) throw new InvalidOperationException($"Pending lot {moved.LotId} would go below zero.");
            pending = pending.RemoveAll(p => p.LotId == moved.LotId);
            if (remaining.IsPositive) pending = pending.Add((current ?? moved) with { Points = remaining });
        }
        var next = this with
        {
            Lots = lots.ToImmutable(),
            Holds = holds,
            Pending = pending,
            Debt = Debt + entry.DebtChange,
            LastSeq = entry.Seq,
            LifetimeEarned = earned,
        };
        if (next.Debt.IsNegative || next.Balance != entry.BalanceAfter || next.PendingTotal != entry.PendingAfter)
        {
            throw new InvalidOperationException($"Entry {entry.Seq} leaves member {MemberId} inconsistent.");
        }
        return next;
    }

    private static void ApplyPortion(ImmutableArray<Lot>.Builder lots, LotPortion portion)
    {
        var index = lots.FindIndex(l => l.LotId == portion.LotId);
        if (index < 0)
        {
            if (!portion.Points.IsPositive)
            {
                throw new InvalidOperationException($"Lot {portion.LotId} is not open.");
            }
            lots.Add(new Lot(portion.LotId, portion.CreatedSeq, portion.Kind, portion.ExpiresOn, portion.EarnedOn, portion.Points) { Source = portion.Source });
            return;
        }
        var remaining = lots[index].Remaining + portion.Points;
        if (remaining.IsNegative)
        {
            throw new InvalidOperationException($"Lot {portion.LotId} would go below zero.");
        }
        if (remaining.IsZero)
        {
            lots.RemoveAt(index);
        }
        else
        {
            lots[index] = lots[index] with { Remaining = remaining };
        }
    }
}

internal static class BuilderExtensions
{
    public static int FindIndex<T>(this ImmutableArray<T>.Builder builder, Func<T, bool> predicate)
    {
        for (var i = 0; i < builder.Count; i++)
        {
            if (predicate(builder[i])) return i;
        }
        return -1;
    }
}

using System.Collections.Immutable;
using Points.Domain.Primitives;

namespace Points.Domain.Ledger;

/// <summary>
/// Decides ledger commands: <c>Decide(state, command, context) → entries + new state | rejection</c>. Pure: time and
/// policy come in through <see cref="LedgerContext"/>. Before and after every command, lots whose expiry date has
/// passed are expired (journaled), so balances never include dead points and a lot restored after its expiry is
/// expired at once, both movements in the history.
/// </summary>
public static class LedgerDecider
{
    public static LedgerOutcome Decide(MemberAccount state, LedgerCommand command, LedgerContext context)
    {
        var journal = new PendingJournal(state, context, command.Details);
        journal.Sweep();
        var rejection = command switch
        {
            LedgerCommand.Credit credit => journal.Credit(credit),
            LedgerCommand.Debit debit => journal.Debit(debit),
            LedgerCommand.Reverse reverse => journal.Reverse(reverse),
            LedgerCommand.ExpireDue => null,
            LedgerCommand.PlaceHold hold => journal.PlaceHold(hold),
            LedgerCommand.ReleaseHold release => journal.ReleaseHold(release),
            LedgerCommand.SettleHold settle => journal.SettleHold(settle),
            LedgerCommand.Invalidate invalidate => journal.Invalidate(invalidate),
            LedgerCommand.Migrate migrate => journal.Migrate(migrate),
            _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "Unknown ledger command."),
        };
        if (rejection is { } r)
        {
            return r;
        }
        switch (command)
        {
            case LedgerCommand.Credit { Type: EntryType.Earn } or LedgerCommand.Debit { Type: EntryType.Spend }:
                journal.ExtendOpenLots(command is LedgerCommand.Credit ? EntryType.Earn : EntryType.Spend);
                break;
        }
        journal.Sweep();
        return new LedgerOutcome.Accepted(journal.Entries, journal.State);
    }

    /// <summary>The entries of one decision, applied to the state as they are written.</summary>
    private sealed class PendingJournal(MemberAccount state, LedgerContext context, EntryDetails details)
    {
        private readonly ImmutableArray<JournalEntry>.Builder _entries = ImmutableArray.CreateBuilder<JournalEntry>();

        public MemberAccount State { get; private set; } = state;
        public ImmutableArray<JournalEntry> Entries => _entries.ToImmutable();

        /// <summary>Activates due pending points, then expires due lots: what every decision does first and last.</summary>
        public void Sweep()
        {
            foreach (var pending in State.Pending.Where(p => p.ActivatesOn <= context.Today).ToList())
            {
                var (portions, repaid) = IntoLot(pending.Points,
                    new LotPortion(pending.LotId, pending.CreatedSeq, pending.Kind, pending.ExpiresOn, pending.ActivatesOn, pending.Points));
                Write(EntryType.Activate, pending.Points, portions, debtChange: -repaid, kind: pending.Kind, withDetails: false,
                    pendingLot: pending with { Points = -pending.Points });
            }
            ExpireDueLots();
        }

        /// <summary>
        /// Points arriving as <paramref name="newLot"/> (a credit, activated pending points): debt is repaid first, the
        /// rest merges into the open lot of the same kind and expiry, or opens <paramref name="newLot"/>.
        /// </summary>
        private (IReadOnlyList<LotPortion> Portions, PointAmount Repaid) IntoLot(PointAmount points, LotPortion newLot)
        {
            var repaid = PointAmount.Min(State.Debt, points);
            var intoLot = points - repaid;
            if (!intoLot.IsPositive) return ([], repaid);
            var existing = State.Lots.FirstOrDefault(l => l.Kind == newLot.Kind && l.ExpiresOn == newLot.ExpiresOn && l.Source == newLot.Source);
            return ([existing?.Portion(intoLot) ?? newLot with { Points = intoLot }], repaid);
        }

        private void ExpireDueLots()
        {
            foreach (var lot in State.Lots.Where(l => l.IsDueOn(context.Today)).ToList())
            {
                Write(EntryType.Expire, -lot.Remaining, [lot.Portion(-lot.Remaining)], withDetails: false);
            }
        }

        /// <summary>
        /// The <c>rolling</c> policy (domain.md): an activity moves every open lot of a kind under that policy to
        /// today + n months, never earlier than it was. Special points name their own expiry and never move. Moved lots
        /// and the lot already at the new date merge into the oldest of them, which keeps its id and takes the earliest
        /// earn date: one entry records it, so history (and a replay of it) says which lots moved where.
        /// </summary>
        public void ExtendOpenLots(EntryType activity)
        {
            // Every earn and spend comes here: most programs have no rolling policy, and cost nothing.
            if (context.RegularExpiry is not Expiry.ExpiryPolicy.Rolling && context.PurchasedExpiry is not Expiry.ExpiryPolicy.Rolling) return;
            var moves = new List<LotPortion>();
            foreach (var (kind, policy) in new[] { (LotKind.Regular, context.RegularExpiry), (LotKind.Purchased, context.PurchasedExpiry) })
            {
                if (policy is not Expiry.ExpiryPolicy.Rolling rolling || !rolling.ExtendsOn(activity)) continue;
                var target = rolling.ExpiryFor(context.Today)!.Value;
                if (!State.Lots.Any(l => l.Kind == kind && l.ExpiresOn < target)) continue;
                // The lots that move and the one already at the new date (often the credit just made) become one.
                var merging = State.Lots.Where(l => l.Kind == kind && l.ExpiresOn <= target).ToList();
                var survivor = merging.MinBy(l => l.CreatedSeq)! with { ExpiresOn = target, EarnedOn = merging.Min(l => l.EarnedOn) };
                moves.AddRange(merging.Select(l => l.Portion(-l.Remaining))); // out of the old dates first, so the survivor can re-open
                moves.Add(survivor.Portion(merging.Sum(l => l.Remaining)));
            }
            if (moves.Count > 0)
            {
                Write(EntryType.Extend, PointAmount.Zero, moves, withDetails: false);
            }
        }

        public LedgerOutcome.Rejected? Invalidate(LedgerCommand.Invalidate command)
        {
            if (command.Source is null && command.LotId is null)
            {
                throw new ArgumentException("An invalidation names a source or a lot; the edge validates it.", nameof(command));
            }
            var lots = State.Lots.Where(l => l.Kind == LotKind.Special && (command.Source is null || l.Source == command.Source)
                && (command.LotId is null || l.LotId == command.LotId)).ToList();
            if (lots.Count > 0)
            {
                Write(EntryType.Invalidate, -lots.Sum(l => l.Remaining), [.. lots.Select(l => l.Portion(-l.Remaining))], kind: LotKind.Special);
            }
            return null;
        }

        public LedgerOutcome.Rejected? Credit(LedgerCommand.Credit command)
        {
            if (!command.Points.IsPositive)
            {
                throw new ArgumentOutOfRangeException(nameof(command), "A credit must be positive; the edge validates it.");
            }
            if (TooLarge(command.Points) is { } tooLarge) return tooLarge;
            DateOnly? expiresOn;
            switch (command.Kind)
            {
                case LotKind.Special when command.ExpiresOn is null:
                    return Reject(LedgerRejection.ExpiryRequired, "Special points need an explicit expiry date.");
                case LotKind.Special when command.ExpiresOn < context.Today:
                    return Reject(LedgerRejection.ExpiryInPast, $"The expiry date {command.ExpiresOn:yyyy-MM-dd} has passed.");
                case LotKind.Special:
                    expiresOn = command.ExpiresOn;
                    break;
                case LotKind.Regular or LotKind.Purchased when command.ExpiresOn is not null:
                    return Reject(LedgerRejection.ExpiryNotAllowed,
                        $"{command.Kind} points take their expiry from the program's policy; only special points name one.");
                case LotKind.Regular:
                    expiresOn = context.RegularExpiry.ExpiryFor(context.Today);
                    break;
                default:
                    expiresOn = context.PurchasedExpiry.ExpiryFor(context.Today); // none unless the program says so (product.md F15)
                    break;
            }

            if (command.Points > State.Headroom)
            {
                return Reject(LedgerRejection.BalanceLimitExceeded,
                    $"{command.Points} more points would take the member past {PointAmount.MaxMagnitude} points.");
            }
            if (command.PendingUntil is { } activatesOn && activatesOn > context.Today)
            {
                var pendingSeq = State.LastSeq + 1;
                var pendingLot = new PendingLot($"P{pendingSeq}", pendingSeq, command.Kind, expiresOn, activatesOn, command.Points);
                Write(command.Type, command.Points, [], kind: command.Kind, pendingLot: pendingLot);
                return null;
            }
            var seq = State.LastSeq + 1;
            var (portions, repaid) = IntoLot(command.Points, new LotPortion($"L{seq}", seq, command.Kind, expiresOn, context.Today, command.Points) { Source = command.Source });
            Write(command.Type, command.Points, portions, debtChange: -repaid, kind: command.Kind);
            return null;
        }

        public LedgerOutcome.Rejected? Migrate(LedgerCommand.Migrate command)
        {
            if (!command.Points.IsPositive || command.EarnedOn > context.Today || command.ExpiresOn < command.EarnedOn)
            {
                throw new ArgumentOutOfRangeException(nameof(command), "Migrated points are positive, earned by today, expiring after that; the edge validates it.");
            }
            if (TooLarge(command.Points) is { } tooLarge) return tooLarge;
            if (command.ExpiresOn < context.Today)
            {
                return Reject(LedgerRejection.ExpiryInPast, $"The lot expired on {command.ExpiresOn:yyyy-MM-dd} in the old system; nothing is left to bring over.");
            }
            if (command.Points > State.Headroom)
            {
                return Reject(LedgerRejection.BalanceLimitExceeded, $"{command.Points} more points would take the member past {PointAmount.MaxMagnitude} points.");
            }
            var seq = State.LastSeq + 1;
            var (portions, repaid) = IntoLot(command.Points, new LotPortion($"L{seq}", seq, command.Kind, command.ExpiresOn, command.EarnedOn, command.Points));
            Write(EntryType.Migrate, command.Points, portions, debtChange: -repaid, kind: command.Kind);
            return null;
        }

        public LedgerOutcome.Rejected? Debit(LedgerCommand.Debit command)
        {
            if (!command.Points.IsPositive)
            {
                throw new ArgumentOutOfRangeException(nameof(command), "A debit amount must be positive; the edge validates it.");
            }
            if (TooLarge(command.Points) is { } tooLarge) return tooLarge;
            if (command.Type == EntryType.Spend && State.Debt.IsPositive)
            {
                return Reject(LedgerRejection.MemberInDebt, $"The member owes {State.Debt} points.");
            }
            if (command.Points > State.InLots)
            {
                return Reject(LedgerRejection.InsufficientPoints,
                    $"Requested {command.Points} points; {PointAmount.Max(State.Balance, PointAmount.Zero)} available.");
            }
            Write(command.Type, -command.Points, TakeFromLots(command.Points, static _ => true, preferred: []));
            return null;
        }

        public LedgerOutcome.Rejected? Reverse(LedgerCommand.Reverse command)
        {
            // One reference can name several entries: an event whose rules granted several awards. They are reversed
            // together, as one original, in the order they were written.
            var candidates = command.Related.Where(IsReversible).OrderBy(e => e.Seq).ToList();
            if (candidates.Count == 0)
            {
                return Reject(LedgerRejection.NothingToReverse, $"No earn, grant or spend is recorded under '{command.Reference}'.");
            }
            var first = candidates[0];
            var originals = candidates.Where(e => e.Points.IsNegative == first.Points.IsNegative).ToList();
            var originalSeqs = originals.Select(e => e.Seq).ToHashSet();
            var originalPoints = originals.Sum(e => e.Points.Abs());
            var earlier = command.Related.Where(e => e.Type == EntryType.Reverse && e.ReversalOf is { } of && originalSeqs.Contains(of)).ToList();
            var reversible = originalPoints - earlier.Sum(e => e.Points.Abs());
            if (!reversible.IsPositive)
            {
                return Reject(LedgerRejection.NothingToReverse, $"'{command.Reference}' has been reversed in full.");
            }
            var points = command.Points ?? reversible;
            if (points > reversible)
            {
                return Reject(LedgerRejection.ReversalExceedsRemaining,
                    $"Only {reversible} of the {originalPoints} points of '{command.Reference}' remain reversible.");
            }

            // Partial reversals walk the originals' lot movements in a fixed order, so the points reversed before
            // tell exactly which movements are still to undo (whatever lots have merged or emptied since).
            var reversedBefore = earlier.Sum(e => e.Points.Abs());
            var reversal = new ReversalLink(first.Seq, first.AllReferences(command.Reference));
            foreach (var granted in originals.Select(o => o.PendingLot).OfType<PendingLot>())
            {
                if (State.Pending.FirstOrDefault(p => p.LotId == granted.LotId) is not { } waiting) continue;
                // Still pending: the reversal cancels pending points first; whatever exceeds them was activated meanwhile.
                var cancelled = PointAmount.Min(points, waiting.Points);
                Write(EntryType.Reverse, -cancelled, [], kind: waiting.Kind, reversal: reversal, pendingLot: waiting with { Points = -cancelled });
                points -= cancelled;
                if (!points.IsPositive) return null;
            }
            var movements = originals.SelectMany(o => o.Lots).ToList();
            if (first.Points.IsNegative)
            {
                // A spend or a deduction: the points go back to the lots they came from.
                if (points - PointAmount.Min(State.Debt, points) > State.Headroom)
                {
                    return Reject(LedgerRejection.BalanceLimitExceeded, $"Giving back {points} points would take the member past {PointAmount.MaxMagnitude} points.");
                }
                CreditBack(points, movements, reversedBefore, EntryType.Reverse, reversal);
            }
            else
            {
                // An earn or grant is taken back from the lots it created first, then from other lots, then as debt.
                var fromLots = PointAmount.Min(points, State.InLots);
                if (points - fromLots > new PointAmount(PointAmount.MaxMagnitude) - State.Debt)
                {
                    return Reject(LedgerRejection.BalanceLimitExceeded, $"The member's debt would pass {PointAmount.MaxMagnitude} points.");
                }
                var preferred = Window(movements, reversedBefore, points);
                var portions = TakeFromLots(fromLots, static _ => true, preferred);
                Write(EntryType.Reverse, -points, portions, debtChange: points - fromLots, reversal: reversal);
            }
            return null;
        }

        public LedgerOutcome.Rejected? PlaceHold(LedgerCommand.PlaceHold command)
        {
            if (State.Debt.IsPositive)
            {
                return Reject(LedgerRejection.MemberInDebt, $"The member owes {State.Debt} points.");
            }
            var eligible = State.Lots.Where(l => command.Kinds.Contains(l.Kind)).Sum(l => l.Remaining);
            if (command.Points > eligible)
            {
                return Reject(LedgerRejection.InsufficientPoints, $"Requested {command.Points} points; {eligible} can be held.");
            }
            var portions = TakeFromLots(command.Points, l => command.Kinds.Contains(l.Kind), preferred: []);
            Write(EntryType.Hold, -command.Points, portions, holdId: command.HoldId);
            return null;
        }

        public LedgerOutcome.Rejected? ReleaseHold(LedgerCommand.ReleaseHold command)
        {
            if (State.Holds.FirstOrDefault(h => h.HoldId == command.HoldId) is not { } hold)
            {
                return Reject(LedgerRejection.HoldNotFound, $"No open hold '{command.HoldId}'.");
            }
            CreditBack(hold.Points, hold.Portions, PointAmount.Zero, EntryType.Release, null, hold.HoldId);
            return null;
        }

        public LedgerOutcome.Rejected? SettleHold(LedgerCommand.SettleHold command)
        {
            if (State.Holds.FirstOrDefault(h => h.HoldId == command.HoldId) is not { } hold)
            {
                return Reject(LedgerRejection.HoldNotFound, $"No open hold '{command.HoldId}'.");
            }
            Write(EntryType.Withdraw, -hold.Points, [], holdId: hold.HoldId);
            return null;
        }

        /// <summary>
        /// Returns points to the lots they were taken from, last taken first (a partial return gives back the
        /// longest-lived points first), skipping what earlier reversals returned; debt is repaid first.
        /// </summary>
        private void CreditBack(PointAmount points, IReadOnlyList<LotPortion> takenFrom, PointAmount returnedBefore,
            EntryType type, ReversalLink? reversal, string? holdId = null)
        {
            var repaid = PointAmount.Min(State.Debt, points);
            var window = Window([.. takenFrom.Reverse()], returnedBefore + repaid, points - repaid);
            if (window.Sum(w => w.Points) != points - repaid)
            {
                throw new InvalidOperationException("Credit back exceeds what was taken; the caller checked the amount.");
            }
            var portions = window.Select(w => OpenLotLike(w.Portion)?.Portion(w.Points) ?? w.Portion with { Points = w.Points }).ToList();
            Write(type, points, MergeByLot(portions), debtChange: -repaid, reversal: reversal, holdId: holdId);
        }

        /// <summary>The movements covering points [skip, skip + take) of <paramref name="movements"/>, in order, as positive amounts.</summary>
        private static List<(LotPortion Portion, PointAmount Points)> Window(IReadOnlyList<LotPortion> movements, PointAmount skip, PointAmount take)
        {
            var window = new List<(LotPortion, PointAmount)>();
            foreach (var movement in movements)
            {
                var size = movement.Points.Abs();
                var skipped = PointAmount.Min(skip, size);
                skip -= skipped;
                var taken = PointAmount.Min(size - skipped, take);
                take -= taken;
                if (taken.IsPositive) window.Add((movement, taken));
            }
            return window;
        }

        /// <summary>The open lot a movement belongs to now: the same lot, or the lot it would merge into (same kind and expiry).</summary>
        private Lot? OpenLotLike(LotPortion portion) =>
            State.Lots.FirstOrDefault(l => l.LotId == portion.LotId)
            ?? State.Lots.FirstOrDefault(l => l.Kind == portion.Kind && l.ExpiresOn == portion.ExpiresOn);

        /// <summary>Takes points from open lots: first the lots of the <paramref name="preferred"/> movements (up to each amount), then in consumption order.</summary>
        private List<LotPortion> TakeFromLots(PointAmount points, Func<Lot, bool> eligible, IReadOnlyList<(LotPortion Portion, PointAmount Points)> preferred)
        {
            var remaining = State.Lots.ToDictionary(l => l.LotId, l => l.Remaining);
            var taken = new List<LotPortion>();
            var left = points;
            void Take(Lot lot, PointAmount cap)
            {
                var take = PointAmount.Min(PointAmount.Min(cap, remaining[lot.LotId]), left);
                if (!take.IsPositive) return;
                taken.Add(lot.Portion(-take));
                remaining[lot.LotId] -= take;
                left -= take;
            }
            foreach (var (portion, cap) in preferred)
            {
                if (OpenLotLike(portion) is { } lot) Take(lot, cap);
            }
            foreach (var lot in State.Lots.Where(eligible))
            {
                if (!left.IsPositive) break;
                Take(lot, lot.Remaining);
            }
            return MergeByLot(taken);
        }

        private static List<LotPortion> MergeByLot(List<LotPortion> portions) =>
            portions.GroupBy(p => p.LotId)
                .Select(g => g.First() with { Points = g.Sum(p => p.Points) })
                .ToList();

        private void Write(EntryType type, PointAmount points, IReadOnlyList<LotPortion> portions,
            PointAmount debtChange = default, LotKind? kind = null, ReversalLink? reversal = null,
            string? holdId = null, bool withDetails = true, PendingLot? pendingLot = null)
        {
            // A pending grant or its cancellation moves pending points only; an activation moves them into the balance.
            var pending = pendingLot is not null && type != EntryType.Activate;
            var kinds = portions.Select(p => p.Kind).Distinct().ToList();
            var entryKind = kind ?? (kinds.Count == 1 ? kinds[0] : null);
            var held = type switch
            {
                EntryType.Hold => State.Held - points,
                EntryType.Release or EntryType.Withdraw => State.Held - points.Abs(),
                _ => State.Held,
            };
            var entry = new JournalEntry
            {
                Seq = State.LastSeq + 1,
                Type = type,
                Points = points,
                Kind = entryKind,
                LimitedTime = entryKind == LotKind.Special || kinds.Contains(LotKind.Special),
                BalanceAfter = type == EntryType.Withdraw || pending ? State.Balance : State.Balance + points,
                Pending = pending,
                PendingLot = pendingLot,
                PendingAfter = State.PendingTotal + (pendingLot?.Points ?? PointAmount.Zero),
                HeldAfter = held,
                DebtChange = debtChange,
                OccurredAt = context.Now,
                Reference = withDetails ? details.Reference : null,
                References = reversal?.References ?? (withDetails ? details.AllReferences : []),
                Reason = withDetails ? details.Reason : null,
                Actor = context.Actor,
                Lots = portions,
                ReversalOf = reversal?.OriginalSeq,
                HoldId = holdId,
                StoreId = withDetails ? details.StoreId : null,
                Channel = withDetails ? details.Channel : null,
                RuleId = withDetails ? details.RuleId : null,
                RuleVersion = withDetails ? details.RuleVersion : null,
                PurchaseYen = withDetails ? details.PurchaseYen : null,
                PurchaseOn = withDetails ? details.PurchaseOn : null,
                YenPerPoint = context.YenPerPoint,
            };
            State = State.Evolve(entry);
            _entries.Add(entry);
        }

        private static LedgerOutcome.Rejected Reject(LedgerRejection reason, string detail) => new(reason, detail);

        private static LedgerOutcome.Rejected? TooLarge(PointAmount points) => points.Value > PointAmount.PerRequestMax
            ? Reject(LedgerRejection.AmountTooLarge, $"{points} points in one go; at most {PointAmount.PerRequestMax}.")
            : null;

        private sealed record ReversalLink(long OriginalSeq, IReadOnlyList<string> References);
    }

    /// <summary>
    /// Earns, spends, purchases and admin grants or deductions made under a reference can be reversed; expiries, holds
    /// and reversals themselves cannot (a correction is a new entry). Who may reverse what is the deciders' business
    /// (a partner's reversal leaves purchases out: only a PayPal refund takes purchased points back).
    /// </summary>
    private static bool IsReversible(JournalEntry entry) =>
        entry.ReversalOf is null
        && (entry.Type is EntryType.Earn or EntryType.Spend or EntryType.Purchase || (entry.Type == EntryType.Adjust && entry.Reference is not null));

    private static IReadOnlyList<string> AllReferences(this JournalEntry entry, string alsoFoundBy) =>
        entry.References.Contains(alsoFoundBy) ? entry.References : [.. entry.References, alsoFoundBy];
}

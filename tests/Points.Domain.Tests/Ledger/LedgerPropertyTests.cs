using FsCheck;
using FsCheck.Xunit;
using Points.Domain.Ledger;
using static Points.Domain.Tests.Ledger.LedgerScenario;

namespace Points.Domain.Tests.Ledger;

/// <summary>Ledger invariants over random scripts of earns (some pending), spends, reversals, holds and the passing of days.</summary>
public sealed class LedgerPropertyTests
{
    [Property(MaxTest = 1000)]
    public bool AnyScript_KeepsTheLedgerConsistent(int[] script)
    {
        var ledger = new LedgerScenario();
        var references = new List<string>();
        var holds = new List<string>();
        foreach (var (step, i) in script.Select((s, i) => (s, i)))
        {
            var n = (int)((uint)step % 1000);
            var amount = n / 10 % 150 + 1;
            var debtBefore = ledger.State.Debt;
            var outcome = (n % 10) switch
            {
                0 or 1 => ledger.Run(Earn(amount, reference: Remember(references, $"E{i}"))),
                2 => ledger.Run(Earn(amount, LotKind.Special, ledger.Today.AddDays(amount % 40), Remember(references, $"S{i}"))),
                3 or 4 => ledger.Run(Spend(amount, Remember(references, $"R{i}"))),
                5 when references.Count > 0 => ledger.Run(ledger.Reverse(references[amount % references.Count], amount % 3 == 0 ? amount : null)),
                6 => ledger.Run(new LedgerCommand.PlaceHold(Remember(holds, $"H{i}"), amount, new HashSet<LotKind> { LotKind.Regular, LotKind.Special })),
                7 when holds.Count > 0 => ledger.Run(amount % 2 == 0 ? new LedgerCommand.ReleaseHold(holds[^1]) : new LedgerCommand.SettleHold(holds[^1])),
                8 => Advance(ledger, amount % 60),
                _ => ledger.Run(Earn(amount, reference: Remember(references, $"P{i}")) with { PendingUntil = ledger.Today.AddDays(amount % 20) }),
            };
            if (outcome is LedgerOutcome.Accepted accepted && accepted.Entries.Any(e => e.Type == EntryType.Spend) && debtBefore.IsPositive)
            {
                return false; // Spending is impossible while in debt.
            }
        }
        var state = ledger.State;
        var journal = ledger.Journal;
        var balanceFromEntries = journal.Where(e => e.Type != EntryType.Withdraw && !e.Pending).Sum(e => e.Points.Value);
        var pendingFromEntries = journal.Sum(e => e.PendingLot?.Points.Value ?? 0);
        var heldFromEntries = journal.Where(e => e.Type is EntryType.Hold or EntryType.Release).Sum(e => -e.Points.Value)
            + journal.Where(e => e.Type == EntryType.Withdraw).Sum(e => e.Points.Value);
        return journal.Select(e => e.Seq).SequenceEqual(Enumerable.Range(1, journal.Count).Select(x => (long)x))
            && state.Balance.Value == balanceFromEntries
            && state.Held.Value == heldFromEntries
            && state.PendingTotal.Value == pendingFromEntries
            && state.Pending.All(p => p.Points.IsPositive && p.ActivatesOn > ledger.Today)
            && state.Lots.All(l => l.Remaining.IsPositive && !l.IsDueOn(ledger.Today))
            && !state.Debt.IsNegative
            && (state.Debt.IsZero || state.Lots.IsEmpty)
            && state.Lots.SequenceEqual(state.Lots.Order(ConsumptionOrder.Instance))
            && state.Lots.GroupBy(l => (l.Kind, l.ExpiresOn)).All(g => g.Count() == 1);
    }
}

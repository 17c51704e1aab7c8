using System.Collections.Immutable;
using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Functions.Ledger;
using Points.Functions.Settings;

namespace Points.Functions.Earning;

public sealed record AwardedPoints(string RuleId, long Points, LotKind Kind, DateOnly? ExpiresOn, DateOnly? PendingUntil);

public sealed record EventResponse(string EventId, IReadOnlyList<AwardedPoints> Awarded, long Balance);

/// <summary>
/// One earning event against one member: purchases update the rank metric (an upgrade is immediate), the rules are
/// evaluated, and every award is credited. The event id is the idempotency key, so a replayed event awards nothing new,
/// and an event that awards nothing is still recorded.
/// </summary>
public static class EarningOperation
{
    public sealed record Input(
        string EventId, string Trigger, DateTimeOffset OccurredAt, long? AmountYen, string? StoreId, string? Channel, string? Reference)
    {
        /// <summary>SKUs of a purchase, recorded per month for targeting (F26).</summary>
        public IReadOnlyList<string> Skus { get; init; } = [];

        /// <summary>For a trigger that fires once in a member's life: it grants nothing if already fired.</summary>
        public bool OncePerMember { get; init; }
    }

    public static MemberOperation For(Input e, IReadOnlyList<EarningRule> rules, IReadOnlyList<Campaign> campaigns, ProgramSettings settings,
        string actor, string requestHash) =>
        new(actor, "event:" + e.EventId, requestHash, input => Decide(input, e, rules, campaigns, settings), SuccessStatus: 200);

    /// <summary>Decides the event against the account; composable (e.g. a store transaction spends, then earns).</summary>
    public static OperationDecision Decide(MemberOperationInput input, Input e, IReadOnlyList<EarningRule> rules,
        IReadOnlyList<Campaign> campaigns, ProgramSettings settings)
    {
        var account = input.Account;
        if (e.OncePerMember && account.Earning.OnceTriggersFired.Contains(e.Trigger))
        {
            return new OperationDecision.Accepted(account, [], new EventResponse(e.EventId, [], account.Ledger.Balance.Value));
        }
        var day = ProgramCalendar.DateOf(e.OccurredAt, settings.Zone);
        var earning = account.Earning;
        var rankBefore = settings.RankNamed(earning.Rank);
        var rankAfter = rankBefore;
        if (e.Trigger == "purchase" && e.AmountYen is > 0 and var amount)
        {
            earning = earning.WithPurchase(day, amount, e.Skus);
            var reached = RankDefinition.For(settings.Ranks, earning.TrailingYearYen(day));
            if (reached.ThresholdYen > rankBefore.ThresholdYen) rankAfter = reached; // Upgrades at once; downgrades only at the monthly evaluation.
        }

        var facts = new MemberFacts(rankBefore, rankAfter, account.Profile.Tags);
        var evaluation = EarningEngine.Evaluate(new EarningEvent(e.EventId, e.Trigger, e.OccurredAt, day, e.AmountYen, e.StoreId, e.Channel),
            facts, rules, campaigns, earning.Counters);

        var ledger = account.Ledger;
        var entries = ImmutableArray.CreateBuilder<JournalEntry>();
        var awarded = new List<AwardedPoints>();
        foreach (var award in evaluation.Awards)
        {
            var credit = new LedgerCommand.Credit(EntryType.Earn, award.Points, award.Kind, award.ExpiresOn)
            {
                PendingUntil = award.PendingUntil,
                Details = new EntryDetails(e.EventId, e.Reference is { } r ? [r] : [], $"{e.Trigger} rule {award.RuleId}", e.StoreId, e.Channel)
                {
                    RuleId = award.RuleId,
                    RuleVersion = award.RuleVersion,
                    // Recorded once per purchase (on its first award) so that a reversal can take it out of the rank metric.
                    PurchaseYen = e.Trigger == "purchase" && entries.Count == 0 ? e.AmountYen : null,
                    PurchaseOn = e.Trigger == "purchase" && entries.Count == 0 ? day : null,
                },
            };
            // A rule whose fixed special expiry has passed grants nothing rather than failing the whole event.
            if (LedgerDecider.Decide(ledger, credit, input.Context) is LedgerOutcome.Accepted accepted)
            {
                ledger = accepted.State;
                entries.AddRange(accepted.Entries);
                var earn = accepted.Entries.Last(x => x.Type == EntryType.Earn);
                awarded.Add(new AwardedPoints(award.RuleId, award.Points, award.Kind, earn.PendingLot?.ExpiresOn ?? earn.Lots.FirstOrDefault()?.ExpiresOn ?? award.ExpiresOn,
                    earn.PendingLot?.ActivatesOn));
            }
        }
        var next = account with
        {
            Ledger = ledger,
            Earning = earning with
            {
                Counters = evaluation.Counters,
                Rank = rankAfter.Name,
                OnceTriggersFired = e.OncePerMember ? earning.OnceTriggersFired.Add(e.Trigger) : earning.OnceTriggersFired,
            },
        };
        return new OperationDecision.Accepted(next, entries.ToImmutable(), new EventResponse(e.EventId, awarded, ledger.Balance.Value));
    }
}

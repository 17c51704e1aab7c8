using System.Collections.Immutable;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Ranks;

namespace Points.Domain.Earning;

/// <summary>The rules, campaigns and ranks in force when an event is decided (admin data, passed in).</summary>
public sealed record EarningConfig(IReadOnlyList<EarningRule> Rules, IReadOnlyList<Campaign> Campaigns, IReadOnlyList<RankDefinition> Ranks)
{
    public RankMetric RankMetric { get; init; } = RankMetric.Default;
}

/// <summary>
/// An earning event for one member. <see cref="EarningEvent.Day"/> is the program-zone day of the event; a purchase
/// carries its yen in <see cref="EarningEvent.AmountYen"/> and its SKUs in <see cref="Skus"/>.
/// </summary>
/// <param name="Reference">The partner's own reference (e.g. an order id): another key to reverse the awards by.</param>
public sealed record EarnCommand(EarningEvent Event, string? Reference)
{
    /// <summary>SKUs of a purchase, recorded per month for targeting (F26).</summary>
    public IReadOnlyList<string> Skus { get; init; } = [];

    /// <summary>For a trigger that fires once in a member's life: it grants nothing if it fired already.</summary>
    public bool OncePerMember { get; init; }
}

/// <summary>Points one rule awarded; pending until <paramref name="PendingUntil"/> when set.</summary>
public sealed record AwardedPoints(string RuleId, long Points, LotKind Kind, DateOnly? ExpiresOn, DateOnly? PendingUntil);

/// <summary>What an event did: the awards and the balance after them.</summary>
public sealed record EventResponse(string EventId, IReadOnlyList<AwardedPoints> Awarded, long Balance);

/// <summary>An event decided: earned (the member after it, the entries of its awards, what the caller is told) or refused.</summary>
public abstract record EarningOutcome
{
    private EarningOutcome() { }

    public sealed record Earned(Member Member, ImmutableArray<JournalEntry> Entries, EventResponse Response) : EarningOutcome
    {
        /// <summary>Side effects after the commit: the purchase recorded in the member's purchase history.</summary>
        public ImmutableArray<OutboxItem> Outbox { get; init; } = [];
    }

    /// <summary>An award the ledger cannot take (past the per-request bound, or the member's): the whole event is refused.</summary>
    public sealed record Refused(MemberDecision.Rejected Rejection) : EarningOutcome;

    public MemberDecision ToDecision() => this switch
    {
        Earned e => new MemberDecision.Accepted(e.Member, e.Entries, e.Response) { Outbox = e.Outbox },
        Refused r => r.Rejection,
        _ => throw new InvalidOperationException(),
    };
}

/// <summary>
/// Decides an earning event (domain.md "Earning"): a purchase adds to the month's totals and may raise the rank at once,
/// the rules are evaluated (<see cref="EarningEngine"/>), and every award is credited. An event that awards nothing is
/// still accepted (the caller records it, so its id cannot be reused). An award the ledger cannot take refuses the whole
/// event (<see cref="LedgerRejection.AmountTooLarge"/>, <see cref="LedgerRejection.BalanceLimitExceeded"/>); a rule whose
/// fixed special expiry has passed grants nothing instead.
/// </summary>
public static class EarningDecider
{
    public static MemberDecision Decide(Member member, EarnCommand command, EarningConfig config, LedgerContext context) =>
        Earn(member, command, config, context).ToDecision();

    /// <summary>The decision as a typed value, for deciders that earn as part of something else (a store purchase, an anniversary).</summary>
    public static EarningOutcome Earn(Member member, EarnCommand command, EarningConfig config, LedgerContext context)
    {
        var e = command.Event;
        if (command.OncePerMember && member.Earning.OnceTriggersFired.Contains(e.Trigger))
        {
            return new EarningOutcome.Earned(member, [], new EventResponse(e.EventId, [], member.Ledger.Balance.Value));
        }
        var earning = member.Earning;
        var rankBefore = RankRules.Named(config.Ranks, earning.Rank);
        var rankAfter = rankBefore;
        if (e.Trigger == Triggers.Purchase && e.AmountYen is { Value: > 0 } amount)
        {
            earning = earning.WithPurchase(e.Day, amount, command.Skus);
            if (config.RankMetric.Kind is not RankMetricKind.PointsEarned)
            {
                rankAfter = RankRules.AfterActivity(config.Ranks, rankBefore, earning.Trailing(config.RankMetric, e.Day));
            }
        }

        var evaluation = EarningEngine.Evaluate(e, new MemberFacts(rankBefore, rankAfter, member.Profile.Tags), config.Rules, config.Campaigns,
            earning.Counters);
        var ledger = member.Ledger;
        var entries = ImmutableArray.CreateBuilder<JournalEntry>();
        var awarded = new List<AwardedPoints>();
        foreach (var award in evaluation.Awards)
        {
            if (award.Points > PointAmount.PerRequestMax)
            {
                return new EarningOutcome.Refused(new MemberDecision.Rejected(LedgerRejection.AmountTooLarge,
                    $"Rule {award.RuleId} awards more than {PointAmount.PerRequestMax} points for this event."));
            }
            var firstOfPurchase = e.Trigger == Triggers.Purchase && entries.Count == 0;
            var credit = new LedgerCommand.Credit(EntryType.Earn, award.Points, award.Kind, award.ExpiresOn)
            {
                PendingUntil = award.PendingUntil,
                Details = new EntryDetails(e.EventId, command.Reference is { } r ? [r] : [], $"{e.Trigger} rule {award.RuleId}", e.StoreId, e.Channel)
                {
                    RuleId = award.RuleId,
                    RuleVersion = award.RuleVersion,
                    // Recorded once per purchase (on its first award) so that a reversal can take it out of the rank metric.
                    PurchaseYen = firstOfPurchase ? e.AmountYen : null,
                    PurchaseOn = firstOfPurchase ? e.Day : null,
                },
            };
            var outcome = LedgerDecider.Decide(ledger, credit, context);
            switch (outcome)
            {
                // A rule whose fixed special expiry has passed grants nothing rather than failing the whole event.
                case LedgerOutcome.Rejected { Reason: LedgerRejection.ExpiryInPast }:
                    continue;
                case LedgerOutcome.Rejected rejected:
                    return new EarningOutcome.Refused(MemberDecision.Rejected.Of(rejected));
            }
            if (outcome is LedgerOutcome.Accepted accepted)
            {
                ledger = accepted.State;
                entries.AddRange(accepted.Entries);
                var earn = accepted.Entries.Last(x => x.Type == EntryType.Earn);
                awarded.Add(new AwardedPoints(award.RuleId, award.Points, award.Kind,
                    earn.PendingLot?.ExpiresOn ?? earn.Lots.FirstOrDefault()?.ExpiresOn ?? award.ExpiresOn, earn.PendingLot?.ActivatesOn));
            }
        }
        // Points earned count toward the pointsEarned metric once earned: the event that crosses a threshold earns at
        // the rank it started at, and the rank rises with it.
        earning = earning.WithEarned(e.Day, awarded.Sum(a => a.Points));
        if (config.RankMetric.Kind is RankMetricKind.PointsEarned)
        {
            rankAfter = RankRules.AfterActivity(config.Ranks, rankBefore, earning.Trailing(config.RankMetric, e.Day));
        }
        var next = member with
        {
            Ledger = ledger,
            Earning = earning with
            {
                Counters = evaluation.Counters,
                Rank = rankAfter.Name,
                OnceTriggersFired = command.OncePerMember ? earning.OnceTriggersFired.Add(e.Trigger) : earning.OnceTriggersFired,
            },
        };
        return new EarningOutcome.Earned(next, entries.ToImmutable(), new EventResponse(e.EventId, awarded, ledger.Balance.Value))
        {
            Outbox = e.Trigger == Triggers.Purchase && e.AmountYen is { Value: > 0 } bought
                ? [new SpecialPoints.RecordPurchase(new SpecialPoints.PurchaseRecord(e.EventId, e.Day, bought, [.. command.Skus.Distinct(StringComparer.Ordinal).Take(MemberEarning.SkusPerMonthMax)]))]
                : [],
        };
    }
}

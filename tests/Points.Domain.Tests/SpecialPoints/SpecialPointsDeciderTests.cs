using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.SpecialPoints;
using static Points.Domain.Tests.Members.MemberScenario;

namespace Points.Domain.Tests.SpecialPoints;

/// <summary>F26–F28 in the domain: a campaign grants once, its lot stays apart, invalidation takes only special points, records are purged.</summary>
public sealed class SpecialPointsDeciderTests
{
    private static readonly SpecialCampaign November = new("nov", "November thanks", new PointAmount(300), new DateOnly(2026, 12, 31));

    private static Member Apply(Member member, MemberDecision decision) => Accepted(decision).Member;

    [Fact]
    public void AGrant_GivesItsOwnSpecialLotOnce_AndConsumptionTakesItFirst_ByEarliestExpiry()
    {
        var member = With(100); // regular, expiring 2027-11-30
        var first = Accepted(SpecialPointsDecider.Grant(member, November, 30, Context()));
        var again = Accepted(SpecialPointsDecider.Grant(first.Member, November, 30, Context()));
        var other = Accepted(SpecialPointsDecider.Grant(again.Member, November with { CampaignId = "dec", Name = "December" }, 30, Context()));

        Assert.Equal((true, false), (((SpecialGrantResponse)first.Result).GrantedNow, ((SpecialGrantResponse)again.Result).GrantedNow));
        Assert.Empty(again.Entries);
        // Same kind and expiry, two campaigns: two lots, so one can be invalidated alone.
        Assert.Equal(["campaign:nov", "campaign:dec", null], other.Member.Ledger.Lots.Select(l => l.Source));
        var entry = Assert.Single(first.Entries);
        Assert.Equal((EntryType.Adjust, 300L, true, "November thanks"), (entry.Type, entry.Points.Value, entry.LimitedTime, entry.Reason));

        var spent = LedgerDecider.Decide(other.Member.Ledger, new LedgerCommand.Debit(EntryType.Spend, 350), Context());
        var lots = ((LedgerOutcome.Accepted)spent).State.Lots;
        // 350: the special lots first (earliest expiry), the older of the two first (November: 300), then 50 of December's.
        Assert.Equal(["special 0", "special 250", "regular 100"], new[] { "nov", "dec", null }.Select(source =>
        {
            var lot = lots.FirstOrDefault(l => l.Source == (source is null ? null : $"campaign:{source}"));
            return $"{(source is null ? "regular" : "special")} {lot?.Remaining.Value ?? 0}";
        }));
    }

    [Fact]
    public void Invalidation_TakesOnlyTheCampaignsRemainingSpecialPoints_OnceAndNeverBelowZero()
    {
        var member = Apply(With(100), SpecialPointsDecider.Grant(With(100), November, 30, Context()));
        member = member with { Ledger = ((LedgerOutcome.Accepted)LedgerDecider.Decide(member.Ledger, new LedgerCommand.Debit(EntryType.Spend, 120), Context())).State };

        var invalidated = Accepted(SpecialPointsDecider.Invalidate(member, "nov", null, "fraud check", Context()));
        var again = Accepted(SpecialPointsDecider.Invalidate(invalidated.Member, "nov", null, null, Context()));
        var regularLot = invalidated.Member.Ledger.Lots.Single().LotId;
        var notSpecial = Accepted(SpecialPointsDecider.Invalidate(invalidated.Member, null, regularLot, null, Context()));

        Assert.Equal((180L, 100L), (((InvalidationResponse)invalidated.Result).Points, invalidated.Member.Ledger.Balance.Value)); // the 120 spent stay spent
        var entry = Assert.Single(invalidated.Entries);
        Assert.Equal((EntryType.Invalidate, -180L, "fraud check"), (entry.Type, entry.Points.Value, entry.Reason));
        Assert.Equal((0L, 100L), (((InvalidationResponse)again.Result).Points, again.Member.Ledger.Balance.Value));
        Assert.Equal((0L, 100L), (((InvalidationResponse)notSpecial.Result).Points, notSpecial.Member.Ledger.Balance.Value)); // regular points are never taken
        Assert.True(invalidated.Member.Ledger.Balance.Value >= 0);
    }

    [Fact]
    public void GrantRecords_ArePurgedDaysAfterTheirPointsExpired_HistoryStays()
    {
        var granted = Accepted(SpecialPointsDecider.Grant(With(), November, 30, Context()));
        var later = Context(new DateTimeOffset(2027, 2, 15, 12, 0, 0, Jst)); // 2026-12-31 + 30 days has passed
        var next = Accepted(SpecialPointsDecider.Grant(granted.Member, November with { CampaignId = "feb", ExpiresOn = new DateOnly(2027, 3, 31) }, 30, later));

        Assert.Equal(["feb"], next.Member.SpecialGrants.Granted.Select(g => g.CampaignId));
        Assert.Equal(["special-campaign:nov", "special-campaign:feb"], granted.Entries.Concat(next.Entries).Where(e => e.Type == EntryType.Adjust).Select(e => e.Reference));
        Assert.Equal([EntryType.Expire, EntryType.Adjust], next.Entries.Select(e => e.Type)); // November's points expired first; its grant stays in history
        Assert.Equal(3, next.Member.Ledger.LastSeq);
    }
}

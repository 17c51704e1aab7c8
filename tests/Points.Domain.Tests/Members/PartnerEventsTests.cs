using System.Collections.Immutable;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.SpecialPoints;
using Points.Domain.Webhooks;
using Points.Domain.Withdrawals;
using static Points.Domain.Tests.Members.MemberScenario;

namespace Points.Domain.Tests.Members;

/// <summary>What a commit tells partners (F37): read off its entries and the change of the member, numbered per member.</summary>
public sealed class PartnerEventsTests
{
    private static JournalEntry Entry(EntryType type, long points, bool pending = false, string? source = null) => new()
    {
        Seq = 7, Type = type, Points = new PointAmount(points), BalanceAfter = new PointAmount(100), OccurredAt = Now, Actor = "test", Pending = pending,
        Reference = "ref-1", Lots = source is null ? [] : [new LotPortion("l1", 7, LotKind.Special, Today.AddDays(30), Today, new PointAmount(points)) { Source = source }],
    };

    private static ImmutableArray<PartnerEvent> Told(Member? before, Member after, params JournalEntry[] entries) =>
        PartnerEvents.Derive(new MemberChange(before, after, [.. entries], [], Today, Now)).Events;

    public static TheoryData<EntryType, long, bool, string?, string[]> Entries => new()
    {
        // type, points, pending, lot source → event types
        { EntryType.Earn, 10, false, null, [PartnerEventTypes.PointsEarned] },
        { EntryType.Earn, 10, true, null, [] }, // pending points are told when they activate
        { EntryType.Activate, 10, false, null, [PartnerEventTypes.PointsEarned] },
        { EntryType.Adjust, 5, false, null, [PartnerEventTypes.PointsEarned] },
        { EntryType.Adjust, -5, false, null, [PartnerEventTypes.PointsSpent] },
        { EntryType.Spend, -10, false, null, [PartnerEventTypes.PointsSpent] },
        { EntryType.Reverse, -10, false, null, [PartnerEventTypes.PointsReversed] },
        { EntryType.Expire, -10, false, null, [PartnerEventTypes.PointsExpired] },
        { EntryType.Invalidate, -10, false, null, [PartnerEventTypes.PointsExpired] },
        { EntryType.Purchase, 500, false, null, [PartnerEventTypes.PurchaseCompleted] },
        { EntryType.Refund, -500, false, null, [PartnerEventTypes.PurchaseRefunded] },
        { EntryType.Earn, 300, false, SpecialCampaign.SourcePrefix + "xmas", [PartnerEventTypes.PointsEarned, PartnerEventTypes.SpecialPointsGranted] },
        { EntryType.Hold, -10, false, null, [] },
        { EntryType.Release, 10, false, null, [] },
        { EntryType.Extend, 0, false, null, [] },
    };

    [Theory]
    [MemberData(nameof(Entries))]
    public void EachEntry_IsToldAsItsType(EntryType type, long points, bool pending, string? source, string[] expected)
    {
        var member = With(100);
        Assert.Equal(expected, Told(member, member, Entry(type, points, pending, source)).Select(e => e.Type));
    }

    [Fact]
    public void Registration_ComesFirst_AndEventsAreNumberedFromTheMembersLast()
    {
        var registered = With();
        var (after, events) = PartnerEvents.Derive(new MemberChange(null, registered, [Entry(EntryType.Earn, 10)], [], Today, Now));
        Assert.Equal([(PartnerEventTypes.MemberRegistered, 1L), (PartnerEventTypes.PointsEarned, 2L)], events.Select(e => (e.Type, e.Sequence)));
        Assert.Equal(2, after.Events.Sequence);

        var (later, more) = PartnerEvents.Derive(new MemberChange(after, after, [Entry(EntryType.Spend, -3)], [], Today, Now));
        Assert.Equal(3, Assert.Single(more).Sequence);
        Assert.Equal(3, later.Events.Sequence);
        Assert.NotEqual(events[0].Id, more[0].Id);
        Assert.Equal(PartnerEvents.IdOf(registered.Id, 3), more[0].Id); // stable: the same member and number, the same id
    }

    [Fact]
    public void NothingTold_LeavesTheMemberAsItWas()
    {
        var member = With(100);
        var (after, events) = PartnerEvents.Derive(new MemberChange(member, member, [], [], Today, Now));
        Assert.Empty(events);
        Assert.Same(member, after);
    }

    [Fact]
    public void ARankChange_AndAWithdrawalMove_AreTold_ThenWhatTheDecisionsAnnounced()
    {
        var before = With(100) with { Withdrawals = MemberWithdrawals.None with { Open = [Withdrawal(WithdrawalStatus.Requested)] } };
        var after = before with
        {
            Earning = before.Earning with { Rank = "silver" },
            Withdrawals = MemberWithdrawals.None with { Open = [Withdrawal(WithdrawalStatus.Approved)] },
        };
        var announced = new AnnouncedEvent(PartnerEventTypes.PointsExpiring, Now, new PointsExpiring(Today.AddDays(7), 40, 7));
        var events = PartnerEvents.Derive(new MemberChange(before, after, [], [announced], Today, Now)).Events;

        Assert.Equal([PartnerEventTypes.RankChanged, PartnerEventTypes.WithdrawalStatusChanged, PartnerEventTypes.PointsExpiring], events.Select(e => e.Type));
        Assert.Equal(new RankChanged("bronze", "silver"), events[0].Data);
        Assert.Equal(new WithdrawalStatusChanged("W1", WithdrawalStatus.Requested, WithdrawalStatus.Approved, 50, 4_600), events[1].Data);
    }

    private static OpenWithdrawal Withdrawal(WithdrawalStatus status) =>
        new("W1", new PointAmount(50), new WithdrawalQuote(new Yen(5_000), new Yen(400), Yen.Zero, 4_600), status, Now, Today);
}

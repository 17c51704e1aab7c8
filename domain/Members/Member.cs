using Points.Domain.Catalog;
using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Domain.Purchases;
using Points.Domain.Ranks;
using Points.Domain.Withdrawals;

namespace Points.Domain.Members;

/// <summary>
/// One member as the deciders see it: the aggregate every member command is decided against and committed as one
/// write. It is made of slices, each owned by a feature: the ledger (lots, holds, debt), earning (rank, caps, monthly
/// purchases), spending (catalog uses, QR tokens), the periods the periodic jobs are done for, the due dates the
/// member is listed under, open withdrawals and recent purchases. the special points campaigns that granted to it. Features that come later add their slice here;
/// documents that grow with activity live beside the member, not in it.
/// </summary>
public sealed record Member
{
    public required MemberId Id { get; init; }
    public required MemberProfile Profile { get; init; }
    public required MemberAccount Ledger { get; init; }
    public MemberEarning Earning { get; init; } = MemberEarning.New;
    public MemberSpending Spending { get; init; } = MemberSpending.None;
    public PeriodBookkeeping Periods { get; init; } = PeriodBookkeeping.New;
    public DueListings Listings { get; init; } = DueListings.None;
    public MemberWithdrawals Withdrawals { get; init; } = MemberWithdrawals.None;
    public MemberPurchases Purchases { get; init; } = MemberPurchases.None;
    public SpecialPoints.MemberSpecialGrants SpecialGrants { get; init; } = SpecialPoints.MemberSpecialGrants.None;
    /// <summary>How many events partners were told of this member (F37): the next one is numbered after it.</summary>
    public Webhooks.MemberEvents Events { get; init; } = Webhooks.MemberEvents.None;
    /// <summary>Set when the member's opening balance was brought over from the old system (issue 17).</summary>
    public MemberMigration? Migration { get; init; }
    /// <summary>The version of the member's listing in the admins' directory (0: not listed yet).</summary>
    public long DirectoryVersion { get; init; }

    /// <summary>A member as registration creates them: no points, the base rank, nothing done yet.</summary>
    public static Member Register(MemberId id, MemberProfile profile) => new() { Id = id, Profile = profile, Ledger = MemberAccount.Open(id) };
}

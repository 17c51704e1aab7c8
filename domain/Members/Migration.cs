using Points.Domain.Ledger;
using Points.Domain.Primitives;

namespace Points.Domain.Members;

/// <summary>That the member's balance was brought over from the old system, and by which file (issue 17).</summary>
/// <param name="FileKey">The migration file's content hash: its rows may all apply, another file's may not.</param>
public sealed record MemberMigration(string FileKey, DateOnly MigratedOn);

/// <summary>Why a migrated lot was not taken.</summary>
public enum MigrationRejection
{
    /// <summary>Another migration file brought this member's balance over already: a member migrates once.</summary>
    AlreadyMigrated,
}

/// <summary>One lot of a member's opening balance as the old system had it.</summary>
/// <param name="Reference">The old system's reference (a migration batch, a lot number), kept on the entry.</param>
public sealed record MigratedLot(LotKind Kind, PointAmount Points, DateOnly EarnedOn, DateOnly? ExpiresOn, string? Reference);

/// <summary>What the migration of one lot answered.</summary>
public sealed record MigrationResponse(long Points, long Balance);

/// <summary>
/// Opening balances (issue 17): each lot of a member from the migration file becomes a <c>migrate</c> entry that keeps
/// the lot's original earn and expiry dates. A member migrates once: the lots of one file all apply (each once, by the
/// row's idempotency key), and a later file for the same member is refused.
/// </summary>
public static class Migration
{
    public const string Reason = "migration";

    public static MemberDecision Decide(Member member, MigratedLot lot, string fileKey, LedgerContext context)
    {
        if (member.Migration is { } done && done.FileKey != fileKey)
        {
            return new MemberDecision.Rejected(MigrationRejection.AlreadyMigrated, $"The member's balance was brought over by another file on {done.MigratedOn:yyyy-MM-dd}.");
        }
        var command = new LedgerCommand.Migrate(lot.Kind, lot.Points, lot.EarnedOn, lot.ExpiresOn)
        {
            Details = new EntryDetails(lot.Reference, [], Reason, null, null),
        };
        return MemberDecision.Of(LedgerDecider.Decide(member.Ledger, command, context), member with { Migration = member.Migration ?? new(fileKey, context.Today) },
            accepted => new MigrationResponse(lot.Points.Value, accepted.State.Balance.Value));
    }
}

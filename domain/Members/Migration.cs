using System.Collections.Immutable;
using Points.Domain.Ledger;
using Points.Domain.Primitives;

namespace Points.Domain.Members;

/// <summary>That the member's balance was brought over from the old system, by which file and which of its rows (issue 17).</summary>
/// <param name="FileKey">The migration file's content hash: its rows may all apply, another file's may not.</param>
/// <param name="Rows">The file's rows applied to the member: the same file again, however much later, adds nothing.</param>
public sealed record MemberMigration(string FileKey, DateOnly MigratedOn, ImmutableArray<long> Rows)
{
    /// <summary>Lots one member may bring over (rows of the file); their lots merge by kind and expiry.</summary>
    public const int RowsMax = 1_000;
}

/// <summary>Why a migrated lot was not taken.</summary>
public enum MigrationRejection
{
    /// <summary>Another migration file brought this member's balance over already, or this row of the file: a member migrates once.</summary>
    AlreadyMigrated,
    /// <summary>The file has more than <see cref="MemberMigration.RowsMax"/> lots for the member.</summary>
    TooManyLots,
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

    /// <param name="row">The lot's row in the file: each applies once, however often the file comes.</param>
    public static MemberDecision Decide(Member member, MigratedLot lot, string fileKey, long row, LedgerContext context)
    {
        var done = member.Migration ?? new MemberMigration(fileKey, context.Today, []);
        if (done.FileKey != fileKey)
        {
            return new MemberDecision.Rejected(MigrationRejection.AlreadyMigrated, $"The member's balance was brought over by another file on {done.MigratedOn:yyyy-MM-dd}.");
        }
        if (done.Rows.Contains(row))
        {
            return new MemberDecision.Rejected(MigrationRejection.AlreadyMigrated, $"Row {row} of this file was brought over on {done.MigratedOn:yyyy-MM-dd}.");
        }
        if (done.Rows.Length >= MemberMigration.RowsMax)
        {
            return new MemberDecision.Rejected(MigrationRejection.TooManyLots, $"At most {MemberMigration.RowsMax} lots per member; merge lots of the same kind and expiry.");
        }
        var command = new LedgerCommand.Migrate(lot.Kind, lot.Points, lot.EarnedOn, lot.ExpiresOn)
        {
            Details = new EntryDetails(lot.Reference, [], Reason, null, null),
        };
        return MemberDecision.Of(LedgerDecider.Decide(member.Ledger, command, context), member with { Migration = done with { Rows = done.Rows.Add(row) } },
            accepted => new MigrationResponse(lot.Points.Value, accepted.State.Balance.Value));
    }
}

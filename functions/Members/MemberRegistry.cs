using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Ledger;

namespace Points.Functions.Members;

/// <summary>Registers members and updates their profile: the account document is created once, then replaced with If-Match.</summary>
public sealed class MemberRegistry(LedgerStore store)
{
    public sealed record Outcome(bool Created, AccountDocument Account);

    /// <param name="alreadyRead">The account as the caller just read it, to spare a second read; (null, null) tries to create first.</param>
    public async Task<Outcome> RegisterOrUpdateAsync(MemberId memberId, (AccountDocument? Account, string? ETag) alreadyRead,
        Func<MemberProfile?, MemberProfile> apply, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= LedgerLimits.ConflictRetriesMax; attempt++)
        {
            var (account, etag) = attempt == 1 ? alreadyRead : await store.ReadAccountAsync(memberId, cancellationToken);
            if (account is null)
            {
                var created = new AccountDocument
                {
                    MemberId = memberId.Value,
                    Profile = apply(null),
                    Ledger = MemberAccount.Open(memberId),
                    CreatedAt = now,
                    UpdatedAt = now,
                };
                if (await store.TryCreateAccountAsync(created, cancellationToken))
                {
                    return new Outcome(true, created);
                }
                continue; // Registered concurrently: update it instead.
            }
            var updated = account with { Profile = apply(account.Profile), UpdatedAt = now };
            if (updated.Profile == account.Profile || await store.TryReplaceAccountAsync(updated, etag!, cancellationToken) is not null)
            {
                return new Outcome(false, updated);
            }
        }
        throw new LedgerContentionException(memberId);
    }
}

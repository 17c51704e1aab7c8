using System.Collections.Immutable;

namespace Points.Domain.Members;

/// <summary>
/// What spending needs to remember per member, inside the account document so that it changes in the same atomic
/// write as the points: how often the member redeemed each limited catalog item (per-member limits are exact under
/// concurrency because they are decided against this) and the in-store QR tokens already used (a token pays for one
/// transaction). Bounded: uses of at most <see cref="CatalogUsesMax"/> items, tokens only until they expire.
/// </summary>
public sealed record MemberSpending
{
    /// <summary>Far above the catalog's 200 live items: the oldest uses beyond it belong to items long gone.</summary>
    public const int CatalogUsesMax = 500;
    /// <summary>Unexpired tokens one member may have used at once; far above any real visit rate (tokens live minutes).</summary>
    public const int QrTokensUsedMax = 64;

    public static readonly MemberSpending None = new();

    public ImmutableArray<CatalogUse> CatalogUses { get; init; } = [];
    public ImmutableArray<UsedQrToken> QrTokensUsed { get; init; } = [];

    public int RedeemedOf(string itemId) => CatalogUses.FirstOrDefault(u => u.ItemId == itemId)?.Redeemed ?? 0;

    public MemberSpending WithRedeemed(string itemId, DateTimeOffset at)
    {
        var use = new CatalogUse(itemId, RedeemedOf(itemId) + 1, at);
        return this with
        {
            CatalogUses = [.. CatalogUses.Where(u => u.ItemId != itemId).Append(use).OrderByDescending(u => u.LastAt).Take(CatalogUsesMax)],
        };
    }

    public bool HasUsedQrToken(string nonce) => QrTokensUsed.Any(t => t.Nonce == nonce);

    /// <summary>Records a used token and forgets the expired ones (an expired token is refused anyway).</summary>
    public MemberSpending WithQrTokenUsed(string nonce, DateTimeOffset expiresAt, DateTimeOffset now) => this with
    {
        QrTokensUsed = [.. QrTokensUsed.Where(t => t.ExpiresAt > now).Append(new UsedQrToken(nonce, expiresAt))],
    };
}

/// <summary>How many units of one catalog item the member redeemed (reversals do not give them back), and when last.</summary>
public sealed record CatalogUse(string ItemId, int Redeemed, DateTimeOffset LastAt);

/// <summary>The nonce of an in-store QR token that paid for a transaction, kept until the token expires.</summary>
public sealed record UsedQrToken(string Nonce, DateTimeOffset ExpiresAt);

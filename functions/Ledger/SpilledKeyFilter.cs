using System.IO.Hashing;
using System.Text;

namespace Points.Functions.Ledger;

/// <summary>
/// Which idempotency keys may have spilled from the account to their own documents (issue 18): a Bloom filter kept in
/// the account, so a new key is known absent without a read. It answers "maybe" or "no"; "maybe" costs the read it
/// always cost, "no" is certain, because a key enters the filter in the same replace that takes its record out of the
/// account. Two generations of <see cref="LedgerLimits.IdempotencyRetention"/> each: a key spilled before the current
/// generation began is in the previous one, and a generation older than that only holds keys whose records expired.
/// </summary>
/// <param name="CurrentSince">When the current generation began.</param>
/// <param name="Current">The current generation's bits (base64).</param>
/// <param name="Previous">The previous generation's bits (base64), or null.</param>
public sealed record SpilledKeyFilter(DateTimeOffset CurrentSince, string Current, string? Previous)
{
    /// <summary>
    /// Bytes of one generation: 2 KiB hold 2,000 keys (a very busy member's week) at about 2 false "maybe"s in 100, and
    /// cost the account at most 5.5 KiB of base64 — only members with spilled records carry a filter.
    /// </summary>
    public const int BytesDefault = 2_048;
    private const int Probes = 4;

    /// <summary>A filter that has seen every spill from <paramref name="now"/> on (none before).</summary>
    public static SpilledKeyFilter Start(DateTimeOffset now, int bytes = BytesDefault) => new(now, Convert.ToBase64String(new byte[bytes]), null);

    public bool MightContain(string key) => Contains(Current, key) || (Previous is { } previous && Contains(previous, key));

    /// <summary>The filter with <paramref name="keys"/> added at <paramref name="now"/>, a new generation begun when the current one is old enough.</summary>
    public SpilledKeyFilter With(IEnumerable<string> keys, DateTimeOffset now)
    {
        var filter = now - CurrentSince >= LedgerLimits.IdempotencyRetention
            ? new SpilledKeyFilter(now, Convert.ToBase64String(new byte[Convert.FromBase64String(Current).Length]), Current)
            : this;
        var bits = Convert.FromBase64String(filter.Current);
        foreach (var key in keys)
        {
            foreach (var position in Positions(key, bits.Length * 8)) bits[position / 8] |= (byte)(1 << (position % 8));
        }
        return filter with { Current = Convert.ToBase64String(bits) };
    }

    private static bool Contains(string generation, string key)
    {
        var bits = Convert.FromBase64String(generation);
        return Positions(key, bits.Length * 8).All(p => (bits[p / 8] & (1 << (p % 8))) != 0);
    }

    /// <summary>Double hashing over two 32-bit halves of one 64-bit hash of the key.</summary>
    private static IEnumerable<int> Positions(string key, int bitCount)
    {
        var hash = XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(key));
        var (h1, h2) = ((uint)hash, (uint)(hash >> 32) | 1);
        for (var i = 0u; i < Probes; i++) yield return (int)((h1 + i * h2) % (uint)bitCount);
    }
}

using Points.Domain.Primitives;

namespace Points.Functions.Ledger;

/// <summary>
/// The account versions this instance last read or wrote, so that a member's next commit can write without reading
/// first (issue 18). A cached version may be stale — another instance may have written the member since — and is used
/// only where staleness is caught: a write made on it carries its ETag as If-Match, so a stale one fails with 412 and
/// the batch is decided again on a fresh read (<see cref="MemberLedger"/> says what else it re-reads for). An entry is
/// dropped on any doubt (a conflict, a failed or unanswered write, a member not found).
/// <para>
/// Bounded twice, least recently used evicted first: by members (<see cref="MembersMax"/>) and by the bytes of the
/// documents' JSON (<see cref="BytesMax"/>). Measured on this app, a document's objects take about 1.5 times its JSON:
/// a member with a few events about 4.3 KiB of JSON (6.3 KB of objects), one with a full set of idempotency records
/// and unsealed entries about 25 KiB (39 KB).
/// </para>
/// <para>
/// A member another instance is writing (a conflict, or a fresh read that found a newer version than the cached one)
/// is read before each commit for <see cref="ContendedFor"/>: there the cached version is almost always stale, and
/// trying it first would add a failed write to the read (bench 2 with two instances on one member, one run each:
/// 15 conflicts and p99 1.4 s without the mark, 5 and 0.5 s with it).
/// </para>
/// </summary>
public sealed class AccountCache
{
    /// <summary>Members kept by default (<c>Ledger:AccountCacheMembers</c>; 0 turns the cache off): bench 1's 10,000 fit.</summary>
    public const int MembersDefault = 10_000;

    /// <summary>
    /// JSON bytes kept by default (<c>Ledger:AccountCacheBytes</c>): 64 MiB, about 100 MiB of objects, a twentieth of
    /// a 2 GB Flex Consumption instance; 10,000 members of a few events each (about 42 MiB) fit, or about 2,600 of the
    /// busiest.
    /// </summary>
    public const long BytesDefault = 64L << 20;

    /// <summary>How long a member another instance was found writing is read before each commit.</summary>
    public static readonly TimeSpan ContendedFor = TimeSpan.FromSeconds(10);

    private readonly Dictionary<MemberId, LinkedListNode<Entry>> _entries = [];
    /// <summary>Most recently used first.</summary>
    private readonly LinkedList<Entry> _recency = new();
    private readonly Lock _lock = new();
    private readonly TimeProvider _clock;
    private long _bytes;

    public AccountCache(IConfiguration configuration, TimeProvider clock)
    {
        MembersMax = configuration.GetValue("Ledger:AccountCacheMembers", MembersDefault);
        BytesMax = configuration.GetValue("Ledger:AccountCacheBytes", BytesDefault);
        if (MembersMax < 0 || BytesMax < 0)
        {
            throw new InvalidOperationException(
                $"Ledger:AccountCacheMembers ({MembersMax}) and Ledger:AccountCacheBytes ({BytesMax}) must be 0 (off) or more.");
        }
        _clock = clock;
    }

    /// <summary>Members kept at most (0: off).</summary>
    public int MembersMax { get; }

    /// <summary>Bytes of JSON of the documents kept at most (0: off); a document larger than this is not kept.</summary>
    public long BytesMax { get; }

    /// <summary>Members known (their version, or only that another instance writes them).</summary>
    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>Bytes of JSON of the versions kept.</summary>
    public long Bytes
    {
        get { lock (_lock) return _bytes; }
    }

    /// <summary>The member's account as this instance last saw it; null when unknown, or another instance is writing it now.</summary>
    public AccountVersion? Find(MemberId memberId)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(memberId, out var node)) return null;
            Touch(node);
            return IsContended(node.Value) ? null : node.Value.Version;
        }
    }

    /// <summary>Keeps the version of the member's account just read or written.</summary>
    public void Keep(MemberId memberId, AccountVersion version) => Set(memberId, version, contended: false);

    /// <summary>Keeps the version only when the member is known already (a bulk job's write; <see cref="MemberOperation.Bulk"/>).</summary>
    public void Refresh(MemberId memberId, AccountVersion version) => Set(memberId, version, contended: false, onlyIfKnown: true);

    /// <summary>Another instance wrote the member: forgets its version, and reads it before each commit for <see cref="ContendedFor"/>.</summary>
    public void Contended(MemberId memberId) => Set(memberId, null, contended: true);

    /// <summary>Forgets the member's account (it may have changed, or no longer exist); a contention mark stays.</summary>
    public void Drop(MemberId memberId) => Set(memberId, null, contended: false);

    private void Set(MemberId memberId, AccountVersion? version, bool contended, bool onlyIfKnown = false)
    {
        if (MembersMax == 0 || BytesMax == 0) return;
        if (version is not null && version.Bytes > BytesMax) version = null;
        lock (_lock)
        {
            if (onlyIfKnown && !(_entries.TryGetValue(memberId, out var known) && known.Value.Version is not null)) return;
            var until = contended ? _clock.GetUtcNow() + ContendedFor : (DateTimeOffset?)null;
            if (_entries.Remove(memberId, out var old))
            {
                _recency.Remove(old);
                _bytes -= old.Value.Version?.Bytes ?? 0;
                if (until is null && IsContended(old.Value)) until = old.Value.ContendedUntil;
            }
            if (version is null && until is null) return;
            _entries[memberId] = _recency.AddFirst(new Entry(memberId, version, until));
            _bytes += version?.Bytes ?? 0;
            while (_entries.Count > MembersMax || _bytes > BytesMax)
            {
                var last = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(last.Value.MemberId);
                _bytes -= last.Value.Version?.Bytes ?? 0;
            }
        }
    }

    private void Touch(LinkedListNode<Entry> node)
    {
        _recency.Remove(node);
        _recency.AddFirst(node);
    }

    private bool IsContended(Entry entry) => entry.ContendedUntil is { } until && _clock.GetUtcNow() < until;

    /// <param name="Version">Null while only the contention mark is kept.</param>
    private sealed record Entry(MemberId MemberId, AccountVersion? Version, DateTimeOffset? ContendedUntil);
}

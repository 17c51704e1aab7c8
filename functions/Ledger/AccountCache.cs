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
/// Bulk jobs (<see cref="MemberOperation.Bulk"/>: CSV imports) keep their members in a small segment of their own, a
/// fortieth of the limits (250 members, 1.6 MiB), least recently used first too: a job's next commit on a member it
/// just wrote writes without reading — an import's rows of one member usually take two commits, the first row alone
/// and the rest queued behind it, moments apart — and a file of a million members neither grows the cache beyond
/// that nor pushes out a member the API keeps. Small, because what it keeps is garbage soon after it reached the
/// older generations: with a tenth (1,000 members), bench 3's peak working set grew from 55 to 83 and 132 MiB. A bulk
/// write of a member the API keeps updates it where it is; an API commit of a member a job keeps moves it to the main
/// segment.
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

    /// <summary>The bulk jobs' segment's share of each limit, on top of them (a fortieth: enough for 64 rows in flight).</summary>
    public const int BulkShareDivisor = 40;

    /// <summary>How long a member another instance was found writing is read before each commit.</summary>
    public static readonly TimeSpan ContendedFor = TimeSpan.FromSeconds(10);

    private readonly Dictionary<MemberId, LinkedListNode<Entry>> _entries = [];
    private readonly Segment _main;
    private readonly Segment _bulk;
    private readonly Lock _lock = new();
    private readonly TimeProvider _clock;

    public AccountCache(IConfiguration configuration, TimeProvider clock)
    {
        MembersMax = configuration.GetValue("Ledger:AccountCacheMembers", MembersDefault);
        BytesMax = configuration.GetValue("Ledger:AccountCacheBytes", BytesDefault);
        if (MembersMax < 0 || BytesMax < 0)
        {
            throw new InvalidOperationException(
                $"Ledger:AccountCacheMembers ({MembersMax}) and Ledger:AccountCacheBytes ({BytesMax}) must be 0 (off) or more.");
        }
        _main = new Segment(MembersMax, BytesMax);
        _bulk = new Segment(MembersMax / BulkShareDivisor, BytesMax / BulkShareDivisor);
        _clock = clock;
    }

    /// <summary>Members kept at most in the main segment (0: off); bulk jobs keep up to a fortieth of that more.</summary>
    public int MembersMax { get; }

    /// <summary>Bytes of JSON of the documents kept at most in the main segment (0: off); a document larger is not kept.</summary>
    public long BytesMax { get; }

    /// <summary>Members known (their version, or only that another instance writes them), both segments.</summary>
    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>Bytes of JSON of the versions kept, both segments.</summary>
    public long Bytes
    {
        get { lock (_lock) return _main.Bytes + _bulk.Bytes; }
    }

    /// <summary>The member's account as this instance last saw it; null when unknown, or another instance is writing it now.</summary>
    public AccountVersion? Find(MemberId memberId)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(memberId, out var node)) return null;
            node.Value.Segment.Touch(node);
            return IsContended(node.Value) ? null : node.Value.Version;
        }
    }

    /// <summary>Keeps the version of the member's account just read or written (in the main segment).</summary>
    public void Keep(MemberId memberId, AccountVersion version) => Set(memberId, version, contended: false, Placement.Main);

    /// <summary>Keeps the version a bulk job read or wrote: where the member is kept already, else in the bulk segment.</summary>
    public void KeepBulk(MemberId memberId, AccountVersion version) => Set(memberId, version, contended: false, Placement.Bulk);

    /// <summary>Another instance wrote the member: forgets its version, and reads it before each commit for <see cref="ContendedFor"/>.</summary>
    public void Contended(MemberId memberId) => Set(memberId, null, contended: true, Placement.AsBefore);

    /// <summary>Forgets the member's account (it may have changed, or no longer exist); a contention mark stays.</summary>
    public void Drop(MemberId memberId) => Set(memberId, null, contended: false, Placement.AsBefore);

    private enum Placement { Main, Bulk, AsBefore }

    private void Set(MemberId memberId, AccountVersion? version, bool contended, Placement placement)
    {
        if (MembersMax == 0 || BytesMax == 0) return;
        lock (_lock)
        {
            var until = contended ? _clock.GetUtcNow() + ContendedFor : (DateTimeOffset?)null;
            var segment = placement == Placement.Bulk ? _bulk : _main;
            if (_entries.Remove(memberId, out var old))
            {
                old.Value.Segment.Remove(old);
                // A bulk job never moves the API's member out of the main segment; only a keep names the segment.
                if (placement == Placement.AsBefore || old.Value.Segment == _main) segment = old.Value.Segment;
                if (until is null && IsContended(old.Value)) until = old.Value.ContendedUntil;
            }
            if (version is not null && version.Bytes > segment.BytesMax) version = null;
            if (version is null && until is null) return;
            _entries[memberId] = segment.AddFirst(new Entry(memberId, version, until, segment));
            while (segment.IsOver)
            {
                _entries.Remove(segment.RemoveLast().MemberId);
            }
        }
    }

    private bool IsContended(Entry entry) => entry.ContendedUntil is { } until && _clock.GetUtcNow() < until;

    /// <param name="Version">Null while only the contention mark is kept.</param>
    private sealed record Entry(MemberId MemberId, AccountVersion? Version, DateTimeOffset? ContendedUntil, Segment Segment);

    /// <summary>One least-recently-used list with its own limits (the caller holds the cache's lock).</summary>
    private sealed class Segment(int membersMax, long bytesMax)
    {
        /// <summary>Most recently used first.</summary>
        private readonly LinkedList<Entry> _recency = new();

        public long BytesMax => bytesMax;
        public long Bytes { get; private set; }
        public bool IsOver => _recency.Count > membersMax || Bytes > bytesMax;

        public LinkedListNode<Entry> AddFirst(Entry entry)
        {
            Bytes += entry.Version?.Bytes ?? 0;
            return _recency.AddFirst(entry);
        }

        public void Remove(LinkedListNode<Entry> node)
        {
            _recency.Remove(node);
            Bytes -= node.Value.Version?.Bytes ?? 0;
        }

        public Entry RemoveLast()
        {
            var last = _recency.Last!;
            Remove(last);
            return last.Value;
        }

        public void Touch(LinkedListNode<Entry> node)
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
        }
    }
}

using Microsoft.Azure.Cosmos;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Ledger;

/// <summary>
/// The members with something due on a date, so the daily jobs read exactly the members concerned. One partition of
/// the <c>indexes</c> container per kind and date (<c>pk = {kind}|{yyyy-MM-dd}</c>) holding immutable chunk documents,
/// each a list of members.
/// <para>
/// Most members list a date when they first earn in a month (month-end expiry), so at busy times many commits list
/// members under the same date at once. Those listings are grouped (<see cref="GroupCommit{TKey,TItem,TResult}"/>):
/// while one chunk is being created, the next members queue and go in the next chunk, so listing costs a fraction of
/// a request per member under load and adds no delay when quiet. The caller's answer does not wait for the listing
/// (<see cref="OutboxTiming.AfterTheAnswer"/>); a reading of a list here first waits for this process's outbox items in
/// flight, listings among them. The job sweeps a chunk's members, then deletes the chunk. A member listed twice costs
/// one more check later, never a wrong entry: the job decides against the member.
/// </para>
/// </summary>
public sealed class DueIndex
{
    public const string Expiry = DueListings.ExpiryKind;
    public const string Pending = DueListings.PendingKind;
    /// <summary>Members per chunk document (about 40 bytes each, far below the item size limit).</summary>
    public const int MembersPerChunkMax = 500;
    /// <summary>Chunks per query page: at most 5,000 members in memory at once.</summary>
    public const int ChunksPerPage = 10;

    /// <summary>Members whose moves off and back onto one date the expiry job keeps in memory (about 60 bytes each); beyond, it reads them.</summary>
    public const int MovesPerDateMax = 1_000_000;

    private readonly CosmosStorage _cosmos;
    private readonly OutboxDispatcher _outbox;
    private readonly GroupCommit<string, string, bool> _listings;

    public DueIndex(CosmosStorage cosmos, OutboxDispatcher outbox)
    {
        _cosmos = cosmos;
        _outbox = outbox;
        _listings = new GroupCommit<string, string, bool>(MembersPerChunkMax, CreateChunkAsync);
    }

    /// <summary>A chunk of a list: member ids, or in a moves list <c>{member} {seq} {left|back}</c> lines.</summary>
    public sealed record Chunk(string Id, string Pk, IReadOnlyList<string> Members);

    public static string ListOf(string kind, DateOnly dueOn) => $"{kind}|{CalendarText.DayOf(dueOn)}";

    /// <summary>The members who left the date's list (or came back), in a partition of its own so the list's reading stays as it is.</summary>
    public static string MovesOf(string kind, DateOnly dueOn) => $"{ListOf(kind, dueOn)}|moves";

    /// <summary>Lists the member under the date; completes once the chunk holding it is durable.</summary>
    public Task AddAsync(string kind, DateOnly dueOn, MemberId memberId) => _listings.EnqueueAsync(ListOf(kind, dueOn), memberId.Value);

    /// <summary>Records that the member left the date's list (nothing due there) or came back to it, as of its journal sequence.</summary>
    public Task AddMoveAsync(string kind, DateOnly dueOn, MemberId memberId, long seq, bool back) =>
        _listings.EnqueueAsync(MovesOf(kind, dueOn), string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{memberId.Value} {seq} {(back ? "back" : "left")}"));

    private async Task<bool[]> CreateChunkAsync(string list, IReadOnlyList<string> members)
    {
        var chunk = new Chunk(Guid.NewGuid().ToString("N"), list, [.. members.Distinct(StringComparer.Ordinal)]);
        await _cosmos.Indexes.CreateItemAsync(chunk, new PartitionKey(list));
        return new bool[members.Count];
    }

    public IAsyncEnumerable<Chunk> ReadChunksAsync(string kind, DateOnly dueOn, CancellationToken cancellationToken) =>
        ReadListAsync(ListOf(kind, dueOn), cancellationToken);

    /// <summary>
    /// The members who left the date's list for good: their last move (by journal sequence; a return wins a tie) is a
    /// leave. At most <see cref="MovesPerDateMax"/> members are remembered; the job reads any other listed member.
    /// </summary>
    public async Task<(IReadOnlySet<string> Members, IReadOnlyList<Chunk> Chunks)> ReadLeftAsync(string kind, DateOnly dueOn, CancellationToken cancellationToken)
    {
        var last = new Dictionary<string, (long Seq, bool Back)>(StringComparer.Ordinal);
        var chunks = new List<Chunk>();
        await foreach (var chunk in ReadListAsync(MovesOf(kind, dueOn), cancellationToken))
        {
            chunks.Add(chunk with { Members = [] });
            foreach (var line in chunk.Members)
            {
                var parts = line.Split(' ');
                if (parts.Length != 3 || !long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var seq)) continue;
                var move = (Seq: seq, Back: parts[2] == "back");
                if (last.TryGetValue(parts[0], out var known) ? move.CompareTo(known) > 0 : last.Count < MovesPerDateMax)
                {
                    last[parts[0]] = move;
                }
            }
        }
        return (last.Where(m => !m.Value.Back).Select(m => m.Key).ToHashSet(StringComparer.Ordinal), chunks);
    }

    private async IAsyncEnumerable<Chunk> ReadListAsync(string list, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Listings are carried out after the commit's answer (OutboxTiming.AfterTheAnswer): a list read here includes
        // every listing of the commits this process answered before the read.
        await _outbox.ItemsInFlightDoneAsync(cancellationToken);
        await foreach (var page in CosmosStorage.ReadPartitionPagesAsync<Chunk>(_cosmos.Indexes, list, "true", ChunksPerPage, cancellationToken))
        {
            foreach (var chunk in page) yield return chunk;
        }
    }

    public Task RemoveAsync(Chunk chunk, CancellationToken cancellationToken) =>
        CosmosStorage.DeleteIfExistsAsync(_cosmos.Indexes, chunk.Id, chunk.Pk, cancellationToken);
}

/// <summary>
/// Carries out <see cref="ListForDueDate"/> after the commit that needs it. Why the daily job never misses a due member
/// although the listing follows the commit: every listing names a day that has not begun (tomorrow or later), and the
/// job reads that day's list only after 00:05 on it. A listing that completes before 23:50 the day before is therefore
/// read. One that completes later (a slow or crashed instance whose item the change feed carried out) might land after
/// the job read the day, so it is also listed under the next day whose job surely has not run. The member is then
/// swept that day, and meanwhile no balance counts the dead points: every decision expires due lots first, and the
/// summary leaves them out.
/// </summary>
public sealed class DueListingHandler(DueIndex index, ProgramSettingsStore settingsStore, TimeProvider clock) : IOutboxHandler<ListForDueDate>
{
    /// <summary>How close to the start of the due day a completed listing counts as possibly late (the job runs at 00:05).</summary>
    public static readonly TimeSpan LateMargin = TimeSpan.FromMinutes(10);

    public async Task HandleAsync(MemberId memberId, ListForDueDate item, CancellationToken cancellationToken)
    {
        await index.AddAsync(item.Kind, item.DueOn, memberId);
        if (item.ReturnsAtSeq is { } seq)
        {
            await index.AddMoveAsync(item.Kind, item.DueOn, memberId, seq, back: true);
        }
        // The day the job may have reached by now, with the margin; the day after it has surely not run.
        var reached = ProgramCalendar.DateOf(clock.GetUtcNow() + LateMargin, (await settingsStore.GetAsync(cancellationToken)).Zone);
        if (reached >= item.DueOn)
        {
            await index.AddAsync(item.Kind, reached.AddDays(1), memberId);
        }
    }
}

/// <summary>
/// Carries out <see cref="LeaveDueDate"/>: the member is recorded as gone from the date's list, so the job skips it
/// there. Late or never (a lost item) costs only a read of the member on that date, never a missed expiry: the job
/// skips a member only on a leave later than any return.
/// </summary>
public sealed class DueLeavingHandler(DueIndex index) : IOutboxHandler<LeaveDueDate>
{
    public Task HandleAsync(MemberId memberId, LeaveDueDate item, CancellationToken cancellationToken) =>
        index.AddMoveAsync(item.Kind, item.DueOn, memberId, item.AtSeq, back: false);
}

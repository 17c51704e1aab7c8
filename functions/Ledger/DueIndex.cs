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
/// a request per member under load and adds no delay when quiet. The job sweeps a chunk's members, then deletes the
/// chunk. A member listed twice costs one more check later, never a wrong entry: the job decides against the member.
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

    private readonly CosmosStorage _cosmos;
    private readonly GroupCommit<string, MemberId, bool> _listings;

    public DueIndex(CosmosStorage cosmos)
    {
        _cosmos = cosmos;
        _listings = new GroupCommit<string, MemberId, bool>(MembersPerChunkMax, CreateChunkAsync);
    }

    public sealed record Chunk(string Id, string Pk, IReadOnlyList<string> Members);

    public static string ListOf(string kind, DateOnly dueOn) => $"{kind}|{CalendarText.DayOf(dueOn)}";

    /// <summary>Lists the member under the date; completes once the chunk holding it is durable.</summary>
    public Task AddAsync(string kind, DateOnly dueOn, MemberId memberId) => _listings.EnqueueAsync(ListOf(kind, dueOn), memberId);

    private async Task<bool[]> CreateChunkAsync(string list, IReadOnlyList<MemberId> members)
    {
        var chunk = new Chunk(Guid.NewGuid().ToString("N"), list, [.. members.Select(m => m.Value).Distinct(StringComparer.Ordinal)]);
        await _cosmos.Indexes.CreateItemAsync(chunk, new PartitionKey(list));
        return new bool[members.Count];
    }

    public async IAsyncEnumerable<Chunk> ReadChunksAsync(string kind, DateOnly dueOn,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in CosmosStorage.ReadPartitionPagesAsync<Chunk>(_cosmos.Indexes, ListOf(kind, dueOn), "true", ChunksPerPage, cancellationToken))
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
        // The day the job may have reached by now, with the margin; the day after it has surely not run.
        var reached = ProgramCalendar.DateOf(clock.GetUtcNow() + LateMargin, (await settingsStore.GetAsync(cancellationToken)).Zone);
        if (reached >= item.DueOn)
        {
            await index.AddAsync(item.Kind, reached.AddDays(1), memberId);
        }
    }
}

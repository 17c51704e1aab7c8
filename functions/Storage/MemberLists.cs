using System.Net;
using Microsoft.Azure.Cosmos;
using Points.Domain.Primitives;

namespace Points.Functions.Storage;

/// <summary>
/// Small index documents that list members under a name (one partition of the <c>indexes</c> container per list, one
/// document per member: <c>pk = {list}</c>, <c>id = memberId</c>), so a job reads exactly the members concerned, page by
/// page, with single-partition queries. Adding and removing are idempotent; a stale entry costs one check later, never
/// a wrong grant, because every job decides against the member's account, not against the list.
/// </summary>
public sealed class MemberLists(CosmosStorage cosmos)
{
    /// <summary>Members read per query page: bounded memory, and a page is a few shards.</summary>
    public const int PageSize = 500;

    private sealed record Listing(string Id, string Pk, string MemberId);

    public Task AddAsync(string list, MemberId memberId, CancellationToken cancellationToken) =>
        cosmos.Indexes.UpsertItemAsync(new Listing(memberId.Value, list, memberId.Value), new PartitionKey(list), cancellationToken: cancellationToken);

    public Task RemoveAsync(string list, MemberId memberId, CancellationToken cancellationToken) =>
        CosmosStorage.DeleteIfExistsAsync(cosmos.Indexes, memberId.Value, list, cancellationToken);

    public async IAsyncEnumerable<IReadOnlyList<MemberId>> ReadPagesAsync(string list,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in CosmosStorage.ReadPartitionPagesAsync<Listing>(cosmos.Indexes, list, "true", PageSize, cancellationToken))
        {
            yield return [.. page.Select(l => MemberId.Parse(l.MemberId))];
        }
    }
}

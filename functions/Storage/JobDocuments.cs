namespace Points.Functions.Storage;

/// <summary>
/// Documents of one kind in one partition of the <c>jobs</c> container (campaigns, exports): read with their ETag,
/// created once, replaced only in the version read.
/// </summary>
public abstract class JobDocuments<T>(CosmosStorage cosmos, string partition, Func<T, string> idOf) where T : class
{
    public async Task<(T? Document, string? ETag)> ReadAsync(string id, CancellationToken cancellationToken) =>
        await CosmosStorage.ReadOrNullAsync<T>(cosmos.Jobs, id, partition, cancellationToken);

    /// <summary>The documents created since <paramref name="since"/> (their <c>createdAt</c>).</summary>
    public Task<IReadOnlyList<T>> CreatedSinceAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        CosmosStorage.ReadPartitionAsync<T>(cosmos.Jobs, partition, CosmosStorage.SinceFilter("c.createdAt", since), cancellationToken);

    /// <summary>Creates the document; false when one with its id exists.</summary>
    public Task<bool> CreateAsync(T document, CancellationToken cancellationToken) =>
        CosmosStorage.TryWriteAsync(cosmos.Jobs, document, idOf(document), partition, null, cancellationToken);

    /// <summary>Replaces that version of the document; false when another writer came first.</summary>
    public Task<bool> TryReplaceAsync(T document, string etag, CancellationToken cancellationToken) =>
        CosmosStorage.TryWriteAsync(cosmos.Jobs, document, idOf(document), partition, etag, cancellationToken);
}

using System.Net;
using System.Text.Json;
using Azure.Identity;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Points.Functions.Storage;

/// <summary>The Cosmos client and the app's containers. One per process (the client is thread-safe and pools connections).</summary>
public sealed class CosmosStorage : IDisposable
{
    private readonly CosmosClient _client;
    private readonly CosmosOptions _options;

    /// <param name="extraHandlers">
    /// <see cref="RequestHandler"/>s registered in DI, put in the client's pipeline after the request counter (above
    /// the SDK's own retries). Production registers none; the fault-injection harness and benchmarks register theirs.
    /// </param>
    public CosmosStorage(IOptions<CosmosOptions> options, CosmosRequestCounter counter, IEnumerable<RequestHandler> extraHandlers)
    {
        _options = options.Value;
        var clientOptions = ClientOptions(_options);
        clientOptions.CustomHandlers.Add(counter);
        foreach (var handler in extraHandlers) clientOptions.CustomHandlers.Add(handler);
        _client = Connect(_options, clientOptions);
        var database = _client.GetDatabase(_options.Database);
        Ledger = database.GetContainer(Containers.Ledger);
        Indexes = database.GetContainer(Containers.Indexes);
        Config = database.GetContainer(Containers.Config);
        Jobs = database.GetContainer(Containers.Jobs);
        Webhooks = database.GetContainer(Containers.Webhooks);
    }

    /// <summary>
    /// The options of every client of the app's data — the app's own, and those of the local trigger runner, the
    /// benchmarks, the fault harness and the tests — so that all write the same JSON (<see cref="JsonDefaults.Documents"/>),
    /// ask for no document back on writes, and reach the local server the same way.
    /// </summary>
    public static CosmosClientOptions ClientOptions(CosmosOptions options)
    {
        var clientOptions = new CosmosClientOptions
        {
            UseSystemTextJsonSerializerWithOptions = JsonDefaults.Documents,
            ConsistencyLevel = null,
            EnableContentResponseOnWrite = false,
        };
        // Unset: the SDK's defaults (9 retries of a throttled request within 30 s).
        if (options.RateLimitedRetriesMax is { } retries) clientOptions.MaxRetryAttemptsOnRateLimitedRequests = retries;
        if (options.RateLimitedRetryWaitMaxMilliseconds is { } waitMs) clientOptions.MaxRetryWaitTimeOnRateLimitedRequests = TimeSpan.FromMilliseconds(waitMs);
        if (options.LocalEmulator)
        {
            // The local Cosmos server speaks only the gateway protocol on one endpoint, with a self-signed
            // certificate when TLS is on. Certificates are accepted blindly only in this local mode.
            clientOptions.ConnectionMode = ConnectionMode.Gateway;
            clientOptions.LimitToEndpoint = true;
            clientOptions.HttpClientFactory = () => new HttpClient(new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
            });
        }
        return clientOptions;
    }

    /// <summary>
    /// A client of the account <paramref name="options"/> name (configuration section <paramref name="section"/>): by its
    /// connection string, else by its endpoint with the managed identity.
    /// </summary>
    public static CosmosClient Connect(CosmosOptions options, CosmosClientOptions clientOptions, string section = "Cosmos") =>
        options.ConnectionString is { Length: > 0 } connectionString
            ? new CosmosClient(connectionString, clientOptions)
            : new CosmosClient(options.AccountEndpoint ?? throw new InvalidOperationException($"{section}:AccountEndpoint or {section}:ConnectionString is required."),
                new DefaultAzureCredential(), clientOptions);

    /// <summary>A client of the local Cosmos server configured as the app's (without the app's handlers): for tools and tests.</summary>
    public static CosmosClient ConnectLocal(string connectionString)
    {
        var options = new CosmosOptions { ConnectionString = connectionString, LocalEmulator = true };
        return Connect(options, ClientOptions(options));
    }

    public Container Ledger { get; }
    public Container Indexes { get; }
    public Container Config { get; }
    public Container Jobs { get; }
    public Container Webhooks { get; }

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (!_options.CreateIfMissing)
        {
            return;
        }
        var database = (await _client.CreateDatabaseIfNotExistsAsync(_options.Database, cancellationToken: cancellationToken)).Database;
        foreach (var (name, partitionKeyPath) in Containers.All)
        {
            await database.CreateContainerIfNotExistsAsync(new ContainerProperties(name, partitionKeyPath), cancellationToken: cancellationToken);
        }
    }

    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.GetDatabase(_options.Database).ReadAsync(cancellationToken: cancellationToken);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable)
        {
            return false;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// A filter (for <see cref="ReadPartitionAsync{T}"/>) on a time this app wrote at <paramref name="path"/> (<c>c.createdAt</c>):
    /// on or after <paramref name="since"/>. The app writes UTC times in one ISO 8601 format, so they compare as text.
    /// </summary>
    public static string SinceFilter(string path, DateTimeOffset since) => $"{path} >= '{since.ToUniversalTime():yyyy-MM-ddTHH:mm:ss}'";

    /// <summary>Every item of one partition matching <paramref name="filter"/> (a condition on <c>c</c>), for small partitions.</summary>
    public static async Task<IReadOnlyList<T>> ReadPartitionAsync<T>(Container container, string partitionKey, string filter,
        CancellationToken cancellationToken)
    {
        var items = new List<T>();
        await foreach (var page in ReadPartitionPagesAsync<T>(container, partitionKey, filter, null, cancellationToken))
        {
            items.AddRange(page);
        }
        return items;
    }

    /// <summary>The items of one partition matching <paramref name="filter"/>, a query page at a time (memory bounded by the page).</summary>
    public static async IAsyncEnumerable<IReadOnlyList<T>> ReadPartitionPagesAsync<T>(Container container, string partitionKey, string filter,
        int? pageSize, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var iterator = container.GetItemQueryIterator<T>(
            new QueryDefinition($"SELECT * FROM c WHERE c.pk = @pk AND ({filter})").WithParameter("@pk", partitionKey),
            // Index partitions index only /pk: a filter on another path scans the one partition, which Cosmos refuses unless asked.
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(partitionKey), MaxItemCount = pageSize, EnableScanInQuery = filter != "true" });
        while (iterator.HasMoreResults)
        {
            var page = await iterator.ReadNextAsync(cancellationToken);
            if (page.Count > 0) yield return [.. page];
        }
    }

    /// <summary>Deletes one item; false when it did not exist.</summary>
    public static async Task<bool> DeleteIfExistsAsync(Container container, string id, string partitionKey, CancellationToken cancellationToken)
    {
        using var response = await container.DeleteItemStreamAsync(id, new PartitionKey(partitionKey), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        response.EnsureSuccessStatusCode();
        return true;
    }

    /// <summary>
    /// Writes <paramref name="item"/> unless the stored one <paramref name="storedWins"/> (is as far along or further):
    /// for records that several deliveries may write in any order. Answers the item that stands after the call.
    /// </summary>
    public static Task<T> WriteForwardAsync<T>(Container container, T item, string id, string partitionKey, Func<T, bool> storedWins,
        Action<int> onConflict, Func<ContentionException> exhausted, CancellationToken cancellationToken) where T : class =>
        ConflictRetry.RunAsync(async _ =>
        {
            var (stored, etag) = await ReadOrNullAsync<T>(container, id, partitionKey, cancellationToken);
            if (stored is not null && storedWins(stored)) return (true, stored);
            return (await TryWriteAsync(container, item, id, partitionKey, etag, cancellationToken), item);
        }, onConflict, exhausted, cancellationToken);

    /// <summary>Creates (no <paramref name="etag"/>) or replaces (that version only) an item; false when another writer came first.</summary>
    public static async Task<bool> TryWriteAsync<T>(Container container, T item, string id, string partitionKey, string? etag, CancellationToken cancellationToken) =>
        await TryWriteForETagAsync(container, item, id, partitionKey, etag, cancellationToken) is not null;

    /// <summary>
    /// As <see cref="TryWriteAsync{T}"/>, answering the ETag of the version written (null when another writer came
    /// first), so a writer that goes on with the item needs no read to know its version.
    /// </summary>
    public static async Task<string?> TryWriteForETagAsync<T>(Container container, T item, string id, string partitionKey, string? etag, CancellationToken cancellationToken)
    {
        try
        {
            var written = etag is null
                ? await container.CreateItemAsync(item, new PartitionKey(partitionKey), cancellationToken: cancellationToken)
                : await container.ReplaceItemAsync(item, id, new PartitionKey(partitionKey), new ItemRequestOptions { IfMatchEtag = etag }, cancellationToken);
            return written.ETag;
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
        {
            return null;
        }
    }

    /// <summary>Reads one item or null when it does not exist.</summary>
    public static async Task<(T? Item, string? ETag)> ReadOrNullAsync<T>(Container container, string id, string partitionKey, CancellationToken cancellationToken)
    {
        using var response = await container.ReadItemStreamAsync(id, new PartitionKey(partitionKey), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return (default, null);
        }
        response.EnsureSuccessStatusCode();
        var item = await JsonSerializer.DeserializeAsync<T>(response.Content, JsonDefaults.Documents, cancellationToken);
        return (item, response.Headers.ETag);
    }
}

/// <summary>Counts requests sent to Cosmos (for the benchmarks' requests-per-operation figures).</summary>
public sealed class CosmosRequestCounter : RequestHandler
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        return base.SendAsync(request, cancellationToken);
    }
}

using System.Collections.Concurrent;
using Microsoft.Azure.Cosmos;
using Points.Functions.Storage;

namespace Points.Benchmarks.Infrastructure;

/// <summary>
/// Counts the app's Cosmos requests by container, operation and status code. It is spliced into the app's own client
/// pipeline right behind the app's <see cref="CosmosRequestCounter"/> (so it sees exactly the requests that counter
/// counts, before the SDK's retry handler), through the public <see cref="RequestHandler.InnerHandler"/> property
/// once the client has built its pipeline. No production code is changed: 412 Precondition Failed responses on the
/// ledger container are the commit conflicts that make <c>MemberLedger</c> decide a batch again.
/// </summary>
public sealed class CosmosTraffic : RequestHandler
{
    private readonly ConcurrentDictionary<(string Container, string Operation, int Status), long> _counts = new();

    /// <summary>
    /// The SDK knows each request's operation (create, upsert, query, ...) in an internal property; the header that
    /// tells an upsert from a create is only added later, in the transport. Read by reflection when present,
    /// otherwise the operation is inferred from the method and path ("post" then means create, upsert or query).
    /// </summary>
    private static readonly System.Reflection.PropertyInfo? OperationTypeProperty =
        typeof(RequestMessage).GetProperty("OperationType", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic);

    private CosmosTraffic() { }

    /// <summary>Inserts a counter after <paramref name="appCounter"/>; call after the app built its CosmosClient.</summary>
    public static CosmosTraffic Attach(CosmosRequestCounter appCounter)
    {
        var next = appCounter.InnerHandler
            ?? throw new InvalidOperationException("The app's CosmosClient has not built its pipeline yet (resolve CosmosStorage first).");
        var traffic = new CosmosTraffic { InnerHandler = next };
        appCounter.InnerHandler = traffic;
        return traffic;
    }

    public override async Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        var (container, operation) = Classify(request);
        ResponseMessage? response = null;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
            return response;
        }
        finally
        {
            _counts.AddOrUpdate((container, operation, response is null ? 0 : (int)response.StatusCode), 1, static (_, n) => n + 1);
        }
    }

    public TrafficSnapshot Snapshot() => new(_counts.ToDictionary(p => p.Key, p => p.Value));

    private static (string Container, string Operation) Classify(RequestMessage request)
    {
        // Gateway paths: dbs/{db}/colls/{container}[/docs/{id}], dbs/{db}, ...
        var path = request.RequestUri?.OriginalString ?? "";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var colls = Array.IndexOf(segments, "colls");
        var container = colls >= 0 && colls + 1 < segments.Length ? segments[colls + 1] : "(account)";
        var known = OperationTypeProperty?.GetValue(request)?.ToString();
        if (known is { Length: > 0 } && known != "Invalid")
        {
            return (container, known.ToLowerInvariant());
        }
        var onDocument = colls >= 0 && colls + 3 < segments.Length && segments[colls + 2] == "docs";
        var operation = request.Method.Method switch
        {
            "GET" when onDocument => "read",
            "PUT" when onDocument => "replace",
            "DELETE" when onDocument => "delete",
            "POST" when IsSet(request, "x-ms-documentdb-isquery") => "query",
            var method => method.ToLowerInvariant(),
        };
        return (container, operation);
    }

    private static bool IsSet(RequestMessage request, string header) =>
        string.Equals(request.Headers[header], "true", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Request counts at one instant; subtract two to get the requests of a phase.</summary>
public sealed record TrafficSnapshot(IReadOnlyDictionary<(string Container, string Operation, int Status), long> Counts)
{
    public long Total => Counts.Values.Sum();

    public long Count(string? container = null, string? operation = null, int? status = null) =>
        Counts.Where(p => (container is null || p.Key.Container == container)
                          && (operation is null || p.Key.Operation == operation)
                          && (status is null || p.Key.Status == status))
            .Sum(p => p.Value);

    public static TrafficSnapshot operator -(TrafficSnapshot after, TrafficSnapshot before) =>
        new(after.Counts.Select(p => (p.Key, Value: p.Value - before.Counts.GetValueOrDefault(p.Key)))
            .Where(p => p.Value != 0)
            .ToDictionary(p => p.Key, p => p.Value));

    public static TrafficSnapshot operator +(TrafficSnapshot a, TrafficSnapshot b) =>
        new(a.Counts.Keys.Union(b.Counts.Keys)
            .ToDictionary(k => k, k => a.Counts.GetValueOrDefault(k) + b.Counts.GetValueOrDefault(k)));

    /// <summary>"ledger read 200: 63, ledger replace 200: 62, ..." for notes and the JSON.</summary>
    public IReadOnlyDictionary<string, long> Breakdown() =>
        Counts.OrderBy(p => p.Key.Container, StringComparer.Ordinal).ThenBy(p => p.Key.Operation, StringComparer.Ordinal).ThenBy(p => p.Key.Status)
            .ToDictionary(p => $"{p.Key.Container} {p.Key.Operation} {p.Key.Status}", p => p.Value);
}

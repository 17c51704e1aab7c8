using System.Net;
using System.Reflection;
using Microsoft.Azure.Cosmos;

namespace Points.Tools.FaultHarness;

/// <summary>
/// Faults of the app's Cosmos requests, in the client's pipeline where the app's DI seam puts extra handlers: after the
/// request counter, above the SDK's retries, so the app sees each fault itself. 412 storms on conditional replaces
/// (answered without sending, as if another writer had won), 503 (without sending), and timeouts after a write reached
/// the server (sent and done, then answered 408 as a lost answer is). 429s go below the SDK's retries instead
/// (<see cref="CosmosThrottle"/>).
/// </summary>
public sealed class CosmosFaults(FaultBook book) : RequestHandler
{
    public override async Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        var (plan, operation, signature) = CosmosRequests.Attribute(book, request);
        if (plan is null) return await base.SendAsync(request, cancellationToken);
        if (request.Headers["If-Match"] is { Length: > 0 } && plan.Storm(FaultKind.Conflict412, signature))
        {
            return new ResponseMessage(HttpStatusCode.PreconditionFailed, request, "Injected: another writer changed the document first.");
        }
        if (plan.Roll(FaultKind.Unavailable503, signature))
        {
            return new ResponseMessage(HttpStatusCode.ServiceUnavailable, request, "Injected: the service is unavailable.");
        }
        if (CosmosRequests.IsWrite(operation) && plan.Roll(FaultKind.TimeoutAfterWrite, signature))
        {
            using var done = await base.SendAsync(request, cancellationToken);
            return new ResponseMessage(HttpStatusCode.RequestTimeout, request, "Injected: the write reached the server; its answer was lost.");
        }
        var response = await base.SendAsync(request, cancellationToken);
        if ((int)response.StatusCode == 429) plan.Note("Cosmos 429s that outlasted the SDK's retries");
        return response;
    }
}

/// <summary>
/// 429 Too Many Requests with <c>x-ms-retry-after-ms</c>, below the SDK's retry handler, so the SDK's own throttling
/// retries (bounded by <c>Cosmos:RateLimitedRetriesMax</c> in the harness app) absorb short bursts and only longer ones
/// reach the app. The SDK offers no seam there: <see cref="PutBelowRetries"/> splices it into the pipeline the client built.
/// </summary>
public sealed class CosmosThrottle(FaultBook book) : RequestHandler
{
    /// <summary>Longest wait the injected 429s ask for.</summary>
    public const int RetryAfterMillisecondsMax = 20;

    public override async Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        var (plan, _, signature) = CosmosRequests.Attribute(book, request);
        if (plan is null || !plan.Storm(FaultKind.Throttle429, signature)) return await base.SendAsync(request, cancellationToken);
        var response = new ResponseMessage((HttpStatusCode)429, request, "Injected: request rate is large.");
        response.Headers["x-ms-retry-after-ms"] = plan.Pick("retry-after|" + signature, 1, RetryAfterMillisecondsMax + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["x-ms-substatus"] = "3200";
        return response;
    }

    /// <summary>
    /// Puts <paramref name="throttle"/> right below the SDK's retry handler, walking down from a handler of the app's
    /// pipeline (<see cref="RequestHandler.InnerHandler"/> is public; the SDK's handler types are not, hence the name).
    /// </summary>
    public static void PutBelowRetries(RequestHandler top, CosmosThrottle throttle)
    {
        for (var handler = top; handler is not null; handler = handler.InnerHandler)
        {
            if (handler.GetType().Name != "RetryHandler") continue;
            throttle.InnerHandler = handler.InnerHandler;
            handler.InnerHandler = throttle;
            return;
        }
        throw new InvalidOperationException("No RetryHandler below the app's request counter: the Cosmos SDK's pipeline changed; update CosmosThrottle.");
    }
}

/// <summary>What a Cosmos request is, for attributing it to a run and signing it.</summary>
internal static class CosmosRequests
{
    /// <summary>The SDK knows each request's operation in an internal property (also read by the benchmarks' traffic counter).</summary>
    private static readonly PropertyInfo? OperationTypeProperty =
        typeof(RequestMessage).GetProperty("OperationType", BindingFlags.Instance | BindingFlags.NonPublic);

    public static (FaultPlan? Plan, string Operation, string Signature) Attribute(FaultBook book, RequestMessage request)
    {
        var path = request.RequestUri?.OriginalString ?? "";
        var partitionKey = request.Headers["x-ms-documentdb-partitionkey"];
        var plan = book.Find(path) ?? book.Find(partitionKey) ?? book.Find(BodyOf(request));
        if (plan is null) return (null, "", "");
        var operation = OperationTypeProperty?.GetValue(request)?.ToString() ?? request.Method.Method;
        // dbs/{database}/colls/{container}/docs/{id}: the database differs per process.
        var colls = path.IndexOf("colls/", StringComparison.Ordinal);
        return (plan, operation, plan.Normalize($"cosmos {operation} {(colls >= 0 ? path[colls..] : path)} {partitionKey}"));
    }

    public static bool IsWrite(string operation) => operation is "Create" or "Upsert" or "Replace" or "Delete" or "Patch" or "Batch" or "PUT" or "DELETE";

    /// <summary>A create's or upsert's document, when the request names no run itself (index chunks, lists, receipts).</summary>
    private static string? BodyOf(RequestMessage request)
    {
        if (request.Content is not { CanSeek: true, CanRead: true } content) return null;
        var position = content.Position;
        try
        {
            content.Position = 0;
            using var reader = new StreamReader(content, leaveOpen: true);
            return reader.ReadToEnd();
        }
        finally
        {
            content.Position = position;
        }
    }
}

using System.Text.Json;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Hosting;
using Points.Functions.Storage;

namespace Points.Functions.Ledger.Outbox;

/// <summary>
/// <c>DispatchOutbox</c>: the Cosmos DB trigger on the <c>ledger</c> container (declarations/DispatchOutbox). Every
/// changed member document that still holds outbox items has them carried out; items this process carried out already
/// (or is carrying out) are not repeated. A failure answers non-2xx, so the host retries the same changes (the
/// declaration's retry policy) instead of moving past them: an item is never lost.
/// </summary>
public static partial class DispatchOutboxFunction
{
    public const string FunctionName = "DispatchOutbox";
    /// <summary>The trigger's binding name in the declaration.</summary>
    public const string DocumentsBinding = "documents";
    /// <summary>A change-feed batch (100 documents by default, each at most a few tens of KiB) stays far below this.</summary>
    public const long BodyBytesMax = 64L * 1024 * 1024;

    public static async Task<IResult> HandleAsync(HttpContext http, OutboxDispatcher dispatcher, ILogger<OutboxDispatcher> log)
    {
        RequestReader.AllowLargeBody(http, BodyBytesMax);
        using var payload = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
        var pending = Documents(payload.RootElement).Select(PendingItems).OfType<(MemberId Member, OutboxRecord[] Records)>().ToList();
        await Task.WhenAll(pending.Select(p => dispatcher.DispatchAsync(p.Member, p.Records, DispatchPath.ChangeFeed, http.RequestAborted)));
        var items = pending.Sum(p => p.Records.Length);
        LogBatch(log, pending.Count, items);
        return InvocationReply.Ok($"{FunctionName}: {items} outbox items of {pending.Count} members confirmed.");
    }

    /// <summary>How many times the host may wrap the documents in JSON strings (it encodes them twice: tools/LocalTriggers).</summary>
    private const int EncodingsMax = 3;

    /// <summary>
    /// The changed documents: <c>Data.documents</c>, an array, or a string holding it (the Functions host sends a string
    /// whose text is a JSON string of the array). Anything else is not a change-feed invocation: refused, so the host retries.
    /// </summary>
    private static IEnumerable<JsonElement> Documents(JsonElement payload)
    {
        if (!payload.TryGetProperty("Data", out var data) || !data.TryGetProperty(DocumentsBinding, out var documents))
            throw new InvalidDataException($"The invocation has no Data.{DocumentsBinding}.");
        for (var unwrapped = 0; documents.ValueKind == JsonValueKind.String && unwrapped < EncodingsMax; unwrapped++)
        {
            using var inner = JsonDocument.Parse(documents.GetString()!);
            documents = inner.RootElement.Clone();
        }
        return documents.ValueKind == JsonValueKind.Array
            ? documents.EnumerateArray()
            : throw new InvalidDataException($"Data.{DocumentsBinding} is not an array of documents.");
    }

    private static (MemberId, OutboxRecord[])? PendingItems(JsonElement document)
    {
        if (!document.TryGetProperty("docType", out var type) || type.GetString() != AccountDocument.Type
            || !document.TryGetProperty("outbox", out var outbox) || outbox.ValueKind != JsonValueKind.Array || outbox.GetArrayLength() == 0
            || !document.TryGetProperty("memberId", out var member) || !MemberId.TryParse(member.GetString(), out var memberId))
        {
            return null;
        }
        return (memberId, outbox.Deserialize<OutboxRecord[]>(JsonDefaults.Options)!);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DispatchOutbox: {Members} members with {Items} outbox items")]
    private static partial void LogBatch(ILogger log, int members, int items);
}

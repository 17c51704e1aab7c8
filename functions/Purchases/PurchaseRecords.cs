using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Domain.Primitives;
using Points.Domain.Purchases;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Storage;

namespace Points.Functions.Purchases;

/// <summary>
/// The record of a purchase beside the member document (partition = member): what the member's purchase list and a
/// purchase older than the member's recent ones read. Written after each commit that changed the purchase (outbox).
/// </summary>
public sealed record PurchaseDocument
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public required string MemberId { get; init; }
    public string DocType { get; init; } = "purchase";
    public required string PurchaseId { get; init; }
    public required long Points { get; init; }
    public required long AmountYen { get; init; }
    public required string PaypalOrderId { get; init; }
    public string? ApproveUrl { get; init; }
    public required PurchaseStatus Status { get; init; }
    public string? CaptureId { get; init; }
    public long RefundedYen { get; init; }
    public long RefundedPoints { get; init; }
    public IReadOnlyList<string> RefundIds { get; init; } = [];
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    public static string IdOf(string purchaseId) => "purchase-" + purchaseId;

    /// <summary>How far along: a later delivery of an earlier state never overwrites a later one.</summary>
    [JsonIgnore]
    public int Progress => PurchaseRecords.ProgressOf(Status, RefundIds.Count);

    public static PurchaseDocument Of(MemberId memberId, Purchase p, DateTimeOffset at) => new()
    {
        Id = IdOf(p.PurchaseId), MemberId = memberId.Value, PurchaseId = p.PurchaseId, Points = p.Points.Value, AmountYen = p.AmountYen.Value,
        PaypalOrderId = p.OrderId, ApproveUrl = p.ApproveUrl, Status = p.Status, CaptureId = p.CaptureId, RefundedYen = p.RefundedYen.Value,
        RefundedPoints = p.RefundedPoints.Value, RefundIds = p.RefundIds, CreatedAt = p.CreatedAt, UpdatedAt = at,
    };
}

/// <summary>
/// Whose purchase an id is, written before PayPal hears of it (index partition <c>purchases|owners</c>): PayPal's events
/// name only our purchase id (<c>custom_id</c>), and a crash between PayPal's answer and our commit must still find the
/// member and the order's terms.
/// </summary>
public sealed record PurchaseOwner([property: JsonPropertyName("id")] string Id, string Pk, string MemberId, long Points, long AmountYen, DateTimeOffset CreatedAt);

/// <summary>A purchase not yet settled (index partition <c>purchases|open</c>): what the hourly reconciliation looks up at PayPal.</summary>
public sealed record OpenPurchase([property: JsonPropertyName("id")] string Id, string Pk, string MemberId, DateTimeOffset CreatedAt);

/// <summary>
/// Purchases' records and indexes: the owner and open markers written before an order is created, and the outbox handler
/// of <see cref="RecordPurchase"/> that writes the purchase document and drops the open marker once it is settled.
/// </summary>
public sealed partial class PurchaseRecords(CosmosStorage cosmos, ILogger<PurchaseRecords> log) : IOutboxHandler<RecordPurchase>
{
    public const string OwnersList = "purchases|owners";
    public const string OpenList = "purchases|open";

    public static int ProgressOf(PurchaseStatus status, int refunds) => status switch
    {
        PurchaseStatus.Created => 0,
        PurchaseStatus.Pending => 1,
        PurchaseStatus.Refunded => 3 + refunds,
        _ => 2, // completed, failed
    };

    public async Task HandleAsync(MemberId memberId, RecordPurchase item, CancellationToken cancellationToken)
    {
        var document = PurchaseDocument.Of(memberId, item.Purchase, item.At);
        await CosmosStorage.WriteForwardAsync(cosmos.Ledger, document, document.Id, memberId.Value, stored => stored.Progress >= document.Progress,
            attempt => LogConflict(document.PurchaseId, attempt), () => new PurchaseRecordContentionException(document.PurchaseId), cancellationToken);
        if (!item.Purchase.IsOpen) await CosmosStorage.DeleteIfExistsAsync(cosmos.Indexes, item.Purchase.PurchaseId, OpenList, cancellationToken);
    }

    /// <summary>Marks the purchase as the member's and open, before its order is created (both idempotent).</summary>
    public async Task BeginAsync(MemberId memberId, string purchaseId, PointAmount points, Yen amount, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var owner = await OwnerAsync(purchaseId, cancellationToken);
        if (owner is not null && owner.MemberId != memberId.Value)
            throw new InvalidOperationException($"Purchase id {purchaseId} already belongs to another member."); // a hash collision: a bug, never an input
        if (owner is null)
            await cosmos.Indexes.UpsertItemAsync(new PurchaseOwner(purchaseId, OwnersList, memberId.Value, points.Value, amount.Value, now), new PartitionKey(OwnersList),
                cancellationToken: cancellationToken);
        await cosmos.Indexes.UpsertItemAsync(new OpenPurchase(purchaseId, OpenList, memberId.Value, owner?.CreatedAt ?? now), new PartitionKey(OpenList),
            cancellationToken: cancellationToken);
    }

    public async Task<PurchaseOwner?> OwnerAsync(string purchaseId, CancellationToken cancellationToken) =>
        (await CosmosStorage.ReadOrNullAsync<PurchaseOwner>(cosmos.Indexes, purchaseId, OwnersList, cancellationToken)).Item;

    public Task<bool> CloseAsync(string purchaseId, CancellationToken cancellationToken) =>
        CosmosStorage.DeleteIfExistsAsync(cosmos.Indexes, purchaseId, OpenList, cancellationToken);

    /// <summary>Open purchases created before <paramref name="before"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<OpenPurchase>> OpenBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        var found = new List<OpenPurchase>();
        await foreach (var page in CosmosStorage.ReadPartitionPagesAsync<OpenPurchase>(cosmos.Indexes, OpenList, "true", 500, cancellationToken))
            found.AddRange(page.Where(p => p.CreatedAt < before));
        return [.. found.OrderBy(p => p.CreatedAt).Take(limit)];
    }

    public async Task<PurchaseDocument?> ReadAsync(MemberId memberId, string purchaseId, CancellationToken cancellationToken) =>
        (await CosmosStorage.ReadOrNullAsync<PurchaseDocument>(cosmos.Ledger, PurchaseDocument.IdOf(purchaseId), memberId.Value, cancellationToken)).Item;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Purchase {PurchaseId}: record write conflict, attempt {Attempt}")]
    private partial void LogConflict(string purchaseId, int attempt);
}

/// <summary>Other writers kept changing a purchase's record.</summary>
public sealed class PurchaseRecordContentionException(string purchaseId)
    : ContentionException($"Purchase {purchaseId}'s record kept changing during {ConflictRetry.AttemptsMax} attempts.");

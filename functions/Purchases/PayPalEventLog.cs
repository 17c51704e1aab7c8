using System.Net;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Functions.Storage;

namespace Points.Functions.Purchases;

/// <summary>A verified PayPal webhook event as received (index partition <c>paypal-events</c>), kept for 35 days.</summary>
public sealed record PayPalEventRecord(
    [property: JsonPropertyName("id")] string Id, string Pk, string EventType, string Body, DateTimeOffset ReceivedAt,
    [property: JsonPropertyName("ttl")] int Ttl);

/// <summary>An event recorded and not yet applied (index partition <c>paypal-events|pending</c>).</summary>
public sealed record PendingPayPalEvent([property: JsonPropertyName("id")] string Id, string Pk, DateTimeOffset ReceivedAt);

/// <summary>
/// The events PayPal sent, each recorded once by its id before it is answered: a redelivery of an applied event is
/// answered at once, one whose application failed is applied again, and the hourly reconciliation applies what is still
/// pending. The pending marker is written first, so an event is never recorded without one until it is applied.
/// </summary>
public sealed class PayPalEventLog(CosmosStorage cosmos)
{
    public const string EventsList = "paypal-events";
    public const string PendingList = "paypal-events|pending";
    /// <summary>Long past PayPal's retries (3 days) and a person's resend from the dashboard within a month.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(35);

    /// <summary>Records the event; answers whether it still has to be applied (new, or recorded and not yet applied).</summary>
    public async Task<bool> RecordAsync(string eventId, string eventType, string body, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (recorded, _) = await CosmosStorage.ReadOrNullAsync<PayPalEventRecord>(cosmos.Indexes, eventId, EventsList, cancellationToken);
        if (recorded is not null)
            return (await CosmosStorage.ReadOrNullAsync<PendingPayPalEvent>(cosmos.Indexes, eventId, PendingList, cancellationToken)).Item is not null;
        await cosmos.Indexes.UpsertItemAsync(new PendingPayPalEvent(eventId, PendingList, now), new PartitionKey(PendingList), cancellationToken: cancellationToken);
        try
        {
            await cosmos.Indexes.CreateItemAsync(new PayPalEventRecord(eventId, EventsList, eventType, body, now, (int)Retention.TotalSeconds),
                new PartitionKey(EventsList), cancellationToken: cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // A concurrent delivery recorded it first; applying twice is harmless (every effect is once per capture and refund).
        }
        return true;
    }

    public Task AppliedAsync(string eventId, CancellationToken cancellationToken) =>
        CosmosStorage.DeleteIfExistsAsync(cosmos.Indexes, eventId, PendingList, cancellationToken);

    /// <summary>Events received before <paramref name="before"/> and still pending, oldest first, with their bodies (null: the record never made it).</summary>
    public async Task<IReadOnlyList<(string EventId, string? Body)>> PendingBeforeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        var pending = new List<PendingPayPalEvent>();
        await foreach (var page in CosmosStorage.ReadPartitionPagesAsync<PendingPayPalEvent>(cosmos.Indexes, PendingList, "true", 500, cancellationToken))
            pending.AddRange(page.Where(p => p.ReceivedAt < before));
        var found = new List<(string, string?)>();
        foreach (var marker in pending.OrderBy(p => p.ReceivedAt).Take(limit))
        {
            var (record, _) = await CosmosStorage.ReadOrNullAsync<PayPalEventRecord>(cosmos.Indexes, marker.Id, EventsList, cancellationToken);
            found.Add((marker.Id, record?.Body));
        }
        return found;
    }
}

using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Webhooks;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Storage;

namespace Points.Functions.Webhooks;

/// <summary>
/// An event as partners receive it: the body of every delivery and replay of it. <see cref="Data"/> is the type's data
/// record as the commit made it (serialized once, with the outbox record), and JSON once read back from the outbox.
/// </summary>
public sealed record WebhookEvent(string Id, string Type, string MemberId, long Sequence, DateTimeOffset OccurredAt, object Data)
{
    public static WebhookEvent Of(PartnerEvent e) => new(e.Id, e.Type, e.MemberId.Value, e.Sequence, e.OccurredAt, e.Data);
}

/// <summary>The events of one member commit, for the partners subscribed to them: an outbox item of that commit.</summary>
public sealed record PartnerEventsItem(ImmutableArray<WebhookEvent> Events) : OutboxItem
{
    public override string Id => "events:" + Events[0].Sequence.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One event to deliver in a stream, in the member's sequence order.</summary>
/// <param name="Day">The day of the event (UTC), which names its log partition.</param>
/// <param name="FirstAttemptAt">When the first attempt was made: 24 hours later a failing event is dead-lettered.</param>
public sealed record PendingDelivery(string EventId, long Sequence, string Day, int Attempts, DateTimeOffset? FirstAttemptAt, DateTimeOffset NextAttemptAt,
    bool Replay);

/// <summary>
/// The events one subscription still has to receive of one member, oldest first (partition <c>stream|{sub}|{member}</c>):
/// the head is delivered before anything after it. A sender holds <see cref="LeaseUntil"/> while it works the stream.
/// </summary>
public sealed record WebhookStreamDocument
{
    public const string DocumentId = "stream";

    [JsonPropertyName("id")]
    public string Id { get; init; } = DocumentId;
    public required string Pk { get; init; }
    public string DocType { get; init; } = "webhookStream";
    public required string SubscriptionId { get; init; }
    public required string MemberId { get; init; }
    /// <summary>The highest sequence delivered or dead-lettered: an event at or below it that comes again (outbox redelivery) is not queued again.</summary>
    public long DoneThrough { get; init; }
    public ImmutableArray<PendingDelivery> Pending { get; init; } = [];
    public DateTimeOffset? LeaseUntil { get; init; }
    public string? LeaseOwner { get; init; }
    /// <summary>A stream nobody wrote for this long is gone (a deleted subscription's, an idle member's); its events were delivered or dead-lettered long before.</summary>
    [JsonPropertyName("ttl")]
    public int Ttl { get; init; } = WebhookDeliveries.LogRetentionDays * 86_400;

    public static string PkOf(string subscriptionId, string memberId) => $"stream|{subscriptionId}|{memberId}";
}

public enum DeliveryStatus { Pending, Delivered, Dead }

/// <summary>One attempt: the endpoint's status code (null when it did not answer), how long it took, and what went wrong.</summary>
public sealed record DeliveryAttempt(DateTimeOffset At, int? StatusCode, long LatencyMs, string? Error, bool Replay);

/// <summary>
/// The delivery of one event to one subscription, in the log (partition <c>log|{sub}|{yyyy-MM-dd}</c> of the event's
/// UTC day): the body as sent, its status, and its last attempts. Kept <see cref="WebhookDeliveries.LogRetentionDays"/> days.
/// </summary>
public sealed record WebhookLogDocument
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public required string Pk { get; init; }
    public string DocType { get; init; } = "webhookDelivery";
    public required string SubscriptionId { get; init; }
    public required string MemberId { get; init; }
    public required string Type { get; init; }
    public required long Sequence { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required string Body { get; init; }
    public required DeliveryStatus Status { get; init; }
    public int AttemptCount { get; init; }
    public ImmutableArray<DeliveryAttempt> Attempts { get; init; } = [];
    public DateTimeOffset? DeliveredAt { get; init; }
    public string? DeadReason { get; init; }
    [JsonPropertyName("ttl")]
    public int Ttl { get; init; } = WebhookDeliveries.LogRetentionDays * 86_400;

    public static string PkOf(string subscriptionId, string day) => $"log|{subscriptionId}|{day}";
}

/// <summary>Options of the sender (section <c>Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>A delivery not answered 2xx within this is a failed attempt (10 s: F37).</summary>
    public int TimeoutSeconds { get; set; } = 10;
    /// <summary>
    /// Deliveries in flight at once to one subscription per instance: a slow endpoint holds at most these of the
    /// instance's queue workers (the host runs 24 messages at once by default: batch 16 + threshold 8).
    /// </summary>
    public int ConcurrentPerSubscription { get; set; } = 8;
    /// <summary>
    /// The longest a retry message waits invisible on the queue. Unset: until the retry is due. Tests that move a fake
    /// clock set 0, so the message comes back at once and the stream's own times decide.
    /// </summary>
    public int? RetryMessageDelayMaxSeconds { get; set; }
}

/// <summary>
/// Where events wait for delivery and what became of them: the streams (per subscription and member, in sequence
/// order) and the delivery log (per subscription and day), in the <c>webhooks</c> container; and the <c>webhooks</c>
/// queue, one message per stream with something to do, that <c>SendWebhooks</c> takes.
/// </summary>
public sealed partial class WebhookDeliveries(CosmosStorage cosmos, BlobStorage storage, IOptions<BlobOptions> blobOptions, IOptions<WebhookOptions> options,
    TimeProvider clock, ILogger<WebhookDeliveries> log)
{
    public const int LogRetentionDays = 30;
    /// <summary>Events one stream holds undelivered; beyond, the oldest is dead-lettered (still in the log, replayable).</summary>
    public const int StreamPendingMax = 1_000;
    /// <summary>Attempts kept in a log item (the count goes on).</summary>
    public const int AttemptsKept = 20;
    /// <summary>Events one replay request may queue again.</summary>
    public const int ReplayMax = 10_000;
    /// <summary>Log items per page of the delivery log.</summary>
    public const int PageSizeMax = 100;

    private Container Container => cosmos.Webhooks;

    public static string DayOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string BodyOf(WebhookEvent e) => JsonSerializer.Serialize(e, JsonDefaults.Options);

    /// <summary>
    /// Queues <paramref name="events"/> (one member's, in sequence order) for <paramref name="subscription"/>: their log
    /// items, their place in the stream, and a message to send them. Idempotent: an event queued before is not queued again.
    /// </summary>
    public async Task AcceptAsync(WebhookSubscriptionDocument subscription, string memberId, IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            var item = new WebhookLogDocument
            {
                Id = e.Id, Pk = WebhookLogDocument.PkOf(subscription.Id, DayOf(e.OccurredAt)), SubscriptionId = subscription.Id, MemberId = memberId,
                Type = e.Type, Sequence = e.Sequence, OccurredAt = e.OccurredAt, Body = BodyOf(e), Status = DeliveryStatus.Pending,
            };
            await CosmosStorage.TryWriteAsync(Container, item, item.Id, item.Pk, etag: null, cancellationToken); // false: logged before (a redelivery)
        }
        var now = clock.GetUtcNow();
        var dropped = await ChangeStreamAsync(subscription.Id, memberId, stream =>
        {
            var fresh = events.Where(e => e.Sequence > stream.DoneThrough && stream.Pending.All(p => p.EventId != e.Id))
                .Select(e => new PendingDelivery(e.Id, e.Sequence, DayOf(e.OccurredAt), 0, null, now, Replay: false));
            return Bounded(stream with { Pending = [.. stream.Pending.Concat(fresh).OrderBy(p => p.Sequence)] });
        }, cancellationToken);
        await DeadLetterAsync(subscription.Id, dropped, "stream_full", cancellationToken);
        await SendAsync(subscription.Id, memberId, TimeSpan.Zero, cancellationToken);
    }

    /// <summary>The stream cut to <see cref="StreamPendingMax"/>: the oldest beyond it leave as dead letters.</summary>
    private static (WebhookStreamDocument Stream, IReadOnlyList<PendingDelivery> Dropped) Bounded(WebhookStreamDocument stream)
    {
        var over = stream.Pending.Length - StreamPendingMax;
        if (over <= 0) return (stream, []);
        var dropped = stream.Pending[..over];
        return (stream with { Pending = stream.Pending[over..], DoneThrough = Math.Max(stream.DoneThrough, dropped.Max(p => p.Sequence)) }, dropped);
    }

    public async Task<(WebhookStreamDocument? Stream, string? ETag)> ReadStreamAsync(string subscriptionId, string memberId, CancellationToken cancellationToken) =>
        await CosmosStorage.ReadOrNullAsync<WebhookStreamDocument>(Container, WebhookStreamDocument.DocumentId,
            WebhookStreamDocument.PkOf(subscriptionId, memberId), cancellationToken);

    /// <summary>Changes a stream (created when missing) on its current version, deciding again when another writer came first.</summary>
    public Task<IReadOnlyList<PendingDelivery>> ChangeStreamAsync(string subscriptionId, string memberId,
        Func<WebhookStreamDocument, (WebhookStreamDocument Stream, IReadOnlyList<PendingDelivery> Dropped)> change, CancellationToken cancellationToken) =>
        ConflictRetry.RunAsync(async _ =>
        {
            var (stream, etag) = await ReadStreamAsync(subscriptionId, memberId, cancellationToken);
            stream ??= new WebhookStreamDocument { Pk = WebhookStreamDocument.PkOf(subscriptionId, memberId), SubscriptionId = subscriptionId, MemberId = memberId };
            var (next, dropped) = change(stream);
            if (next == stream) return (true, dropped);
            return (await CosmosStorage.TryWriteAsync(Container, next, next.Id, next.Pk, etag, cancellationToken), dropped);
        }, attempt => LogConflict(log, subscriptionId, memberId, attempt),
            () => new WebhookContentionException($"Webhook stream {subscriptionId}/{memberId} is being changed by others."), cancellationToken);

    /// <summary>Replaces the stream only if it is still the version read: the new version's ETag, or null when another writer came first.</summary>
    public Task<string?> TryWriteStreamAsync(WebhookStreamDocument stream, string etag, CancellationToken cancellationToken) =>
        CosmosStorage.TryWriteForETagAsync(Container, stream, stream.Id, stream.Pk, etag, cancellationToken);

    public async Task<(WebhookLogDocument? Item, string? ETag)> ReadLogAsync(string subscriptionId, string day, string eventId, CancellationToken cancellationToken) =>
        await CosmosStorage.ReadOrNullAsync<WebhookLogDocument>(Container, eventId, WebhookLogDocument.PkOf(subscriptionId, day), cancellationToken);

    /// <summary>
    /// Records an attempt (and the status it leads to) on the event's log item, as read for the attempt
    /// (<paramref name="read"/>, with its ETag); read again only when something else changed it since (a replay).
    /// </summary>
    public async Task RecordAsync(string subscriptionId, PendingDelivery delivery, (WebhookLogDocument Item, string ETag) read, DeliveryAttempt attempt,
        DeliveryStatus status, string? deadReason, CancellationToken cancellationToken)
    {
        WebhookLogDocument Change(WebhookLogDocument item) => item with
        {
            Status = status,
            AttemptCount = item.AttemptCount + 1,
            Attempts = [.. item.Attempts.Append(attempt).TakeLast(AttemptsKept)],
            DeliveredAt = status == DeliveryStatus.Delivered ? attempt.At : item.DeliveredAt,
            DeadReason = deadReason,
        };
        if (!await CosmosStorage.TryWriteAsync(Container, Change(read.Item), read.Item.Id, read.Item.Pk, read.ETag, cancellationToken))
            await ChangeLogAsync(subscriptionId, delivery.Day, delivery.EventId, Change, cancellationToken);
    }

    /// <summary>Marks deliveries that leave their stream without success as dead letters, with the reason.</summary>
    public async Task DeadLetterAsync(string subscriptionId, IEnumerable<PendingDelivery> deliveries, string reason, CancellationToken cancellationToken)
    {
        foreach (var delivery in deliveries)
        {
            await ChangeLogAsync(subscriptionId, delivery.Day, delivery.EventId, item => item with { Status = DeliveryStatus.Dead, DeadReason = reason }, cancellationToken);
            LogDeadLettered(log, subscriptionId, delivery.EventId, reason);
        }
    }

    private Task ChangeLogAsync(string subscriptionId, string day, string eventId, Func<WebhookLogDocument, WebhookLogDocument> change, CancellationToken cancellationToken) =>
        ConflictRetry.RunAsync(async _ =>
        {
            var pk = WebhookLogDocument.PkOf(subscriptionId, day);
            var (item, etag) = await CosmosStorage.ReadOrNullAsync<WebhookLogDocument>(Container, eventId, pk, cancellationToken);
            if (item is null) return (true, false); // past retention: nothing to record on
            return (await CosmosStorage.TryWriteAsync(Container, change(item), eventId, pk, etag, cancellationToken), true);
        }, attempt => LogConflict(log, subscriptionId, eventId, attempt),
            () => new WebhookContentionException($"Webhook log item {eventId} is being changed by others."), cancellationToken);

    /// <summary>A message for the stream, visible after <paramref name="delay"/> (capped by the queue's 7 days and the options).</summary>
    public async Task SendAsync(string subscriptionId, string memberId, TimeSpan delay, CancellationToken cancellationToken)
    {
        var cap = options.Value.RetryMessageDelayMaxSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);
        var visibility = delay <= TimeSpan.Zero ? (TimeSpan?)null : delay > cap ? cap : delay;
        var text = Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new WebhookStreamMessage(subscriptionId, memberId), JsonDefaults.Options)));
        await storage.Queues.GetQueueClient(blobOptions.Value.QueueName(QueueNames.Webhooks)).SendMessageAsync(text, visibility == TimeSpan.Zero ? null : visibility,
            cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Queues delivered or dead events again (same id and body): the one given, or those of a period. They go to the
    /// end of their streams, so a replay never jumps ahead of what a member's stream still waits for.
    /// </summary>
    public async Task<int> ReplayAsync(string subscriptionId, IReadOnlyList<WebhookLogDocument> items, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        foreach (var byMember in items.GroupBy(i => i.MemberId))
        {
            foreach (var item in byMember)
                await ChangeLogAsync(subscriptionId, DayOf(item.OccurredAt), item.Id, i => i with { Status = DeliveryStatus.Pending, DeadReason = null }, cancellationToken);
            await ChangeStreamAsync(subscriptionId, byMember.Key, stream =>
            {
                var again = byMember.Where(i => stream.Pending.All(p => p.EventId != i.Id)).OrderBy(i => i.Sequence)
                    .Select(i => new PendingDelivery(i.Id, i.Sequence, DayOf(i.OccurredAt), 0, null, now, Replay: true));
                return (stream with { Pending = [.. stream.Pending.Concat(again)] }, []);
            }, cancellationToken);
            await SendAsync(subscriptionId, byMember.Key, TimeSpan.Zero, cancellationToken);
        }
        return items.Count;
    }

    /// <summary>The log items of <paramref name="eventId"/> in the retention window (a point read per day, newest first).</summary>
    public async Task<WebhookLogDocument?> FindAsync(string subscriptionId, string eventId, CancellationToken cancellationToken)
    {
        var today = clock.GetUtcNow();
        for (var back = 0; back <= LogRetentionDays; back++)
        {
            if ((await ReadLogAsync(subscriptionId, DayOf(today.AddDays(-back)), eventId, cancellationToken)).Item is { } item) return item;
        }
        return null;
    }

    /// <summary>The log items of events that occurred in [<paramref name="from"/>, <paramref name="to"/>), day partition by day partition.</summary>
    public async Task<IReadOnlyList<WebhookLogDocument>> InPeriodAsync(string subscriptionId, DateTimeOffset from, DateTimeOffset to, int max,
        CancellationToken cancellationToken)
    {
        var found = new List<WebhookLogDocument>();
        for (var day = from.UtcDateTime.Date; day < to.UtcDateTime && found.Count <= max; day = day.AddDays(1))
        {
            var items = await CosmosStorage.ReadPartitionAsync<WebhookLogDocument>(Container, WebhookLogDocument.PkOf(subscriptionId, DayOf(day)), "true", cancellationToken);
            found.AddRange(items.Where(i => i.OccurredAt >= from && i.OccurredAt < to));
        }
        return found;
    }

    /// <summary>One page of the delivery log of <paramref name="day"/>, optionally of one status; the token for the rest of the day.</summary>
    public async Task<(IReadOnlyList<WebhookLogDocument> Items, string? Continuation)> PageAsync(string subscriptionId, string day, DeliveryStatus? status,
        string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk" + (status is null ? "" : " AND c.status = @status"))
            .WithParameter("@pk", WebhookLogDocument.PkOf(subscriptionId, day));
        if (status is { } s) query = query.WithParameter("@status", JsonSerializer.SerializeToElement(s, JsonDefaults.Options).GetString());
        using var iterator = Container.GetItemQueryIterator<WebhookLogDocument>(query, continuation,
            new QueryRequestOptions { PartitionKey = new PartitionKey(WebhookLogDocument.PkOf(subscriptionId, day)), MaxItemCount = pageSize, EnableScanInQuery = status is not null });
        if (!iterator.HasMoreResults) return ([], null);
        var page = await iterator.ReadNextAsync(cancellationToken);
        return ([.. page], iterator.HasMoreResults ? page.ContinuationToken : null);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Webhook {SubscriptionId}/{Item}: write conflict (attempt {Attempt})")]
    private static partial void LogConflict(ILogger log, string subscriptionId, string item, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {SubscriptionId}: event {EventId} dead-lettered ({Reason})")]
    private static partial void LogDeadLettered(ILogger log, string subscriptionId, string eventId, string reason);
}

/// <summary>A message on the <c>webhooks</c> queue: work the stream of this subscription and member.</summary>
public sealed record WebhookStreamMessage(string SubscriptionId, string MemberId);

/// <summary>The outbox handler of <see cref="PartnerEventsItem"/>: each event to every active subscription that wants its type.</summary>
public sealed class PartnerEventsHandler(WebhookSubscriptions subscriptions, WebhookDeliveries deliveries) : IOutboxHandler<PartnerEventsItem>
{
    public async Task HandleAsync(MemberId memberId, PartnerEventsItem item, CancellationToken cancellationToken)
    {
        foreach (var subscription in await subscriptions.ListAsync(cancellationToken))
        {
            var wanted = item.Events.Where(e => subscription.Wants(e.Type)).ToList();
            if (wanted.Count > 0) await deliveries.AcceptAsync(subscription, memberId.Value, wanted, cancellationToken);
        }
    }
}

/// <summary>Other writers kept changing one webhook document (a subscription, a stream, a log item) during every retry.</summary>
public sealed class WebhookContentionException(string message) : ContentionException(message);

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Options;

namespace Points.Functions.Webhooks;

/// <summary>
/// <c>SendWebhooks</c>: works one stream (a subscription and a member) from the <c>webhooks</c> queue. It takes the
/// stream's lease, then delivers the head event, and the next, in sequence order: a POST of the event with its
/// signature; a 2xx within the timeout is success. A failure keeps the event at the head (later ones wait) and retries
/// it with exponential backoff and jitter for <see cref="RetryWindow"/>, then dead-letters it and goes on; 410 Gone turns
/// the subscription off. Isolation: each subscription has its own few in-flight slots per instance, and a message
/// that finds them taken comes back a little later instead of waiting, so a slow or dead endpoint never holds the
/// workers that healthy ones need.
/// </summary>
public sealed partial class WebhookSender(WebhookSubscriptions subscriptions, WebhookDeliveries deliveries, IHttpClientFactory httpClients,
    IOptions<WebhookOptions> options, TimeProvider clock, ILogger<WebhookSender> log)
{
    public const string FunctionName = "SendWebhooks";
    public const string HttpClientName = "webhooks";
    /// <summary>How long a failing event is retried before it is dead-lettered (F37: 24 hours).</summary>
    public static readonly TimeSpan RetryWindow = TimeSpan.FromHours(24);
    /// <summary>The first retry's pause; each further one doubles, up to <see cref="BackoffMax"/>, with ±20 % jitter.</summary>
    public static readonly TimeSpan BackoffFirst = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan BackoffMax = TimeSpan.FromHours(1);
    /// <summary>How long a sender owns a stream; it renews with every write, and a crashed one's lease lapses.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    /// <summary>Events one message delivers before it hands the stream on to a new message (a bound on one invocation).</summary>
    public const int EventsPerMessageMax = 100;
    /// <summary>When the subscription's slots are taken: come back after this.</summary>
    public static readonly TimeSpan BusyRetry = TimeSpan.FromSeconds(2);
    /// <summary>The part of an endpoint's error answer kept in the log.</summary>
    private const int ErrorTextMax = 200;

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _slots = new(StringComparer.Ordinal);

    public sealed record Outcome(int Delivered, int Failed, int DeadLettered, string Note);

    public async Task<Outcome> ProcessAsync(WebhookStreamMessage message, CancellationToken cancellationToken)
    {
        var owner = Guid.NewGuid().ToString("N");
        // Take the stream: nobody else works it while the lease runs.
        var (stream, etag) = await deliveries.ReadStreamAsync(message.SubscriptionId, message.MemberId, cancellationToken);
        var now = clock.GetUtcNow();
        if (stream is null || stream.Pending.IsEmpty) return new(0, 0, 0, "nothing to deliver");
        if (stream.LeaseUntil is { } until && until > now && stream.LeaseOwner != owner)
        {
            await deliveries.SendAsync(message.SubscriptionId, message.MemberId, until - now + TimeSpan.FromSeconds(1), cancellationToken);
            return new(0, 0, 0, "another sender works the stream; looked at again after its lease");
        }
        var slots = _slots.GetOrAdd(message.SubscriptionId, _ => new SemaphoreSlim(Math.Max(1, options.Value.ConcurrentPerSubscription)));
        if (!await slots.WaitAsync(0, cancellationToken))
        {
            await deliveries.SendAsync(message.SubscriptionId, message.MemberId, BusyRetry, cancellationToken);
            return new(0, 0, 0, "the subscription's slots are taken; back in a moment");
        }
        try
        {
            var leased = stream with { LeaseUntil = now + Lease, LeaseOwner = owner };
            if (await deliveries.TryWriteStreamAsync(leased, etag!, cancellationToken) is not { } leasedETag)
            {
                await deliveries.SendAsync(message.SubscriptionId, message.MemberId, BusyRetry, cancellationToken);
                return new(0, 0, 0, "the stream changed while being taken; back in a moment");
            }
            return await WorkAsync(message, leased, leasedETag, cancellationToken);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// Delivers from the stream as leased (<paramref name="leased"/>, version <paramref name="leasedETag"/>): each write
    /// answers the stream's new version, so the stream is read again only when another writer (an appended event) came first.
    /// </summary>
    private async Task<Outcome> WorkAsync(WebhookStreamMessage message, WebhookStreamDocument leased, string leasedETag, CancellationToken cancellationToken)
    {
        int delivered = 0, failed = 0, dead = 0;
        // The cached list (a change on this instance applies at once, on others within seconds): no read per message.
        // A subscription missing or off there is read as stored before its stream is given up: another instance may
        // have created or turned it on a moment ago.
        var subscription = (await subscriptions.ListAsync(cancellationToken)).FirstOrDefault(s => s.Id == message.SubscriptionId);
        if (subscription is not { Active: true }) (subscription, _) = await subscriptions.ReadAsync(message.SubscriptionId, cancellationToken);
        WebhookStreamDocument? stream = leased;
        string? etag = leasedETag;
        for (var sent = 0; ; sent++)
        {
            if (etag is null) (stream, etag) = await deliveries.ReadStreamAsync(message.SubscriptionId, message.MemberId, cancellationToken);
            var now = clock.GetUtcNow();
            if (stream is null) return new(delivered, failed, dead, "stream gone");
            var head = stream.Pending.IsEmpty ? null : stream.Pending[0];
            if (head is null || head.NextAttemptAt > now || sent >= EventsPerMessageMax)
            {
                // Hand the stream back; what is left waits for its time (or for a new message, when the budget ran out).
                if ((etag = await deliveries.TryWriteStreamAsync(stream with { LeaseUntil = null, LeaseOwner = null }, etag!, cancellationToken)) is null) continue;
                if (head is not null) await deliveries.SendAsync(message.SubscriptionId, message.MemberId, head.NextAttemptAt - now, cancellationToken);
                return new(delivered, failed, dead, head is null ? "stream delivered" : $"next attempt due {head.NextAttemptAt:O}");
            }
            if (subscription is null || !subscription.Active)
            {
                // Deleted or turned off: what waits is dead-lettered (it stays in the log, replayable once it is on again).
                var reason = subscription is null ? "subscription_deleted" : "subscription_inactive";
                if ((etag = await deliveries.TryWriteStreamAsync(stream with { Pending = [], DoneThrough = Math.Max(stream.DoneThrough, stream.Pending.Max(p => p.Sequence)), LeaseUntil = null, LeaseOwner = null }, etag!, cancellationToken)) is null) continue;
                if (subscription is not null) await deliveries.DeadLetterAsync(message.SubscriptionId, stream.Pending, reason, cancellationToken);
                return new(delivered, failed, dead + stream.Pending.Length, reason);
            }

            var (item, itemETag) = await deliveries.ReadLogAsync(message.SubscriptionId, head.Day, head.EventId, cancellationToken);
            var attempt = item is null ? null : await PostAsync(subscription, item, head.Replay, cancellationToken);
            now = clock.GetUtcNow();
            var first = head.FirstAttemptAt ?? now;
            var (status, reasonDead) = attempt switch
            {
                null => (DeliveryStatus.Dead, "log_item_expired"),
                { StatusCode: >= 200 and < 300 } => (DeliveryStatus.Delivered, null),
                { StatusCode: 410 } => (DeliveryStatus.Dead, "endpoint_gone"),
                _ when now - first >= RetryWindow => (DeliveryStatus.Dead, "retries_exhausted"),
                _ => (DeliveryStatus.Pending, (string?)null),
            };
            var retried = head with { Attempts = head.Attempts + 1, FirstAttemptAt = first, NextAttemptAt = now + BackoffOf(head.Attempts + 1) };
            WebhookStreamDocument Step(WebhookStreamDocument s) => status == DeliveryStatus.Pending
                ? s with { Pending = [retried, .. s.Pending[1..]], LeaseUntil = now + Lease }
                : s with { Pending = s.Pending[1..], DoneThrough = Math.Max(s.DoneThrough, head.Replay ? 0 : head.Sequence), LeaseUntil = now + Lease };
            // The lease is ours, so only an appended event can have changed the stream: the same step applies to it.
            string? written;
            while ((written = await deliveries.TryWriteStreamAsync(Step(stream), etag!, cancellationToken)) is null)
            {
                (stream, etag) = await deliveries.ReadStreamAsync(message.SubscriptionId, message.MemberId, cancellationToken);
                if (stream is null || stream.Pending.IsEmpty || stream.Pending[0].EventId != head.EventId)
                    return new(delivered, failed, dead, "the stream was changed by another sender");
            }
            (stream, etag) = (Step(stream), written);
            if (attempt is not null) await deliveries.RecordAsync(message.SubscriptionId, head, (item!, itemETag!), attempt, status, reasonDead, cancellationToken);
            else await deliveries.DeadLetterAsync(message.SubscriptionId, [head], reasonDead!, cancellationToken);
            switch (status)
            {
                case DeliveryStatus.Delivered: delivered++; break;
                case DeliveryStatus.Dead: dead++; break;
                default: failed++; break;
            }
            if (attempt is { StatusCode: 410 })
            {
                await subscriptions.DeactivateAsync(message.SubscriptionId, $"The endpoint answered 410 Gone at {now:O}.", cancellationToken);
                subscription = subscription with { Active = false };
            }
        }
    }

    /// <summary>The pause before retry <paramref name="attempt"/> (1: after the first failure): doubling from 30 s, at most an hour, ±20 %.</summary>
    public static TimeSpan BackoffOf(int attempt)
    {
        var seconds = Math.Min(BackoffMax.TotalSeconds, BackoffFirst.TotalSeconds * Math.Pow(2, Math.Min(attempt - 1, 20)));
        return TimeSpan.FromSeconds(seconds * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }

    private async Task<DeliveryAttempt> PostAsync(WebhookSubscriptionDocument subscription, WebhookLogDocument item, bool replay, CancellationToken cancellationToken)
    {
        var at = clock.GetUtcNow();
        var body = Encoding.UTF8.GetBytes(item.Body);
        var timestamp = at.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        request.Headers.Add(WebhookSignature.IdHeader, item.Id);
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(subscriptions.SigningKeys(subscription, at), item.Id, timestamp, body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.TimeoutSeconds));
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var code = (int)response.StatusCode;
            string? error = null;
            if (code is < 200 or >= 300)
            {
                var text = await response.Content.ReadAsStringAsync(timeout.Token);
                error = text.Length > ErrorTextMax ? text[..ErrorTextMax] : text;
            }
            LogAttempt(log, subscription.Id, item.Id, code, watch.ElapsedMilliseconds);
            return new(at, code, watch.ElapsedMilliseconds, error, replay);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var error = e is HttpRequestException ? "connection failed: " + e.Message : $"no answer within {options.Value.TimeoutSeconds} s";
            LogAttemptFailed(log, subscription.Id, item.Id, error);
            return new(at, null, watch.ElapsedMilliseconds, error, replay);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {SubscriptionId}: event {EventId} answered {StatusCode} in {LatencyMs} ms")]
    private static partial void LogAttempt(ILogger log, string subscriptionId, string eventId, int statusCode, long latencyMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {SubscriptionId}: event {EventId} not delivered: {Error}")]
    private static partial void LogAttemptFailed(ILogger log, string subscriptionId, string eventId, string error);
}

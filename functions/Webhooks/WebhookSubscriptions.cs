using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Functions.Api;
using Points.Functions.Storage;
using Points.Functions.Withdrawals;

namespace Points.Functions.Webhooks;

/// <summary>A signing secret as stored: sealed (AES-GCM, <see cref="BankDataProtector"/>), and until when it still signs.</summary>
/// <param name="RetiresAt">Null for the current secret; after a rotation the previous one signs beside it until then.</param>
public sealed record WebhookSecret(SealedData Sealed, DateTimeOffset CreatedAt, DateTimeOffset? RetiresAt);

/// <summary>
/// A partner's subscription to events (F37), in the config container (partition <see cref="Partition"/>): where to
/// POST, which event types, whether it is active, and its secrets (newest first, sealed: the sender needs them).
/// </summary>
public sealed record WebhookSubscriptionDocument
{
    public const string Partition = "webhook-subscriptions";

    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public string Pk { get; init; } = Partition;
    public required string Partner { get; init; }
    public required string Url { get; init; }
    public required IReadOnlyList<string> EventTypes { get; init; }
    public required bool Active { get; init; }
    /// <summary>Why the sender turned the subscription off (e.g. the endpoint answered 410 Gone).</summary>
    public string? DeactivatedReason { get; init; }
    public required IReadOnlyList<WebhookSecret> Secrets { get; init; }
    /// <summary>Hash of the creating request, so a retry with the same Idempotency-Key and another body is told apart.</summary>
    public required string RequestHash { get; init; }
    public required string CreatedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required int Version { get; init; }

    public bool Wants(string eventType) => Active && EventTypes.Contains(eventType, StringComparer.Ordinal);

    /// <summary>Turned on or off by an admin: turning it on clears why the sender turned it off.</summary>
    public WebhookSubscriptionDocument WithActive(bool active) => this with { Active = active, DeactivatedReason = active ? null : DeactivatedReason };

    /// <summary>The secrets that sign a delivery at <paramref name="now"/>: the current one, and a retired one during its overlap.</summary>
    public IEnumerable<WebhookSecret> SigningAt(DateTimeOffset now) => Secrets.Where(s => s.RetiresAt is null || s.RetiresAt > now);

    /// <summary>The admin's view of the subscription as a strong ETag (secrets and timestamps apart).</summary>
    public string ETag() => Preconditions.ETagOf(new { Id, Partner, Url, EventTypes, Active, Version });

    /// <summary>What a subscription's secrets are bound to when sealed: a name no member id can take.</summary>
    public static string SecretOwnerOf(string id) => "webhook-secret/" + id;
}

/// <summary>
/// Subscriptions: created with a secret shown once, listed, changed (If-Match), rotated with an overlap, deleted; read
/// into a cache the outbox handler uses, so a change applies on every instance within <see cref="ConfigCache{T}.Lifetime"/>.
/// </summary>
public sealed partial class WebhookSubscriptions
{
    /// <summary>Subscriptions a program may have: far above any partner count, and each costs a write per event it wants.</summary>
    public const int SubscriptionsMax = 50;
    private const int SecretBytes = 32;

    private readonly CosmosStorage _cosmos;
    private readonly BankDataProtector _protector;
    private readonly TimeProvider _clock;
    private readonly ILogger<WebhookSubscriptions> _log;
    private readonly ConfigCache<IReadOnlyList<WebhookSubscriptionDocument>> _cache;

    public WebhookSubscriptions(CosmosStorage cosmos, BankDataProtector protector, TimeProvider clock, ILogger<WebhookSubscriptions> log)
    {
        (_cosmos, _protector, _clock, _log) = (cosmos, protector, clock, log);
        _cache = new(clock, async cancellationToken =>
            [.. (await CosmosStorage.ReadPartitionAsync<WebhookSubscriptionDocument>(cosmos.Config, WebhookSubscriptionDocument.Partition, "true", cancellationToken))
                .OrderBy(s => s.Id, StringComparer.Ordinal)]);
    }

    public Task<IReadOnlyList<WebhookSubscriptionDocument>> ListAsync(CancellationToken cancellationToken) => _cache.GetAsync(cancellationToken);

    /// <summary>The subscription as stored now (not the cache): for changes and the sender's decisions.</summary>
    public async Task<(WebhookSubscriptionDocument? Subscription, string? StoredETag)> ReadAsync(string id, CancellationToken cancellationToken) =>
        RequestReader.IsWellFormedId(id)
            ? await CosmosStorage.ReadOrNullAsync<WebhookSubscriptionDocument>(_cosmos.Config, id, WebhookSubscriptionDocument.Partition, cancellationToken)
            : (null, null);

    /// <summary>What creating a subscription did.</summary>
    public abstract record Creation
    {
        private Creation() { }
        /// <summary>Created now; <paramref name="Secret"/> (<c>whsec_…</c>) is shown this once.</summary>
        public sealed record Created(WebhookSubscriptionDocument Subscription, string Secret) : Creation;
        /// <summary>The same request came before with this Idempotency-Key: the subscription exists, its secret is not shown again.</summary>
        public sealed record Replayed(WebhookSubscriptionDocument Subscription) : Creation;
        public sealed record KeyReused : Creation;
        public sealed record TooMany : Creation;
    }

    /// <summary>
    /// Creates a subscription. Its id is derived from the caller and the Idempotency-Key, so a retry finds the one its
    /// first attempt created (and is answered without the secret) instead of creating a second.
    /// </summary>
    public async Task<Creation> CreateAsync(string caller, string idempotencyKey, string requestHash, string partner, string url,
        IReadOnlyList<string> eventTypes, CancellationToken cancellationToken)
    {
        var id = "whs_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{caller}\n{idempotencyKey}")))[..20];
        var (existing, _) = await ReadAsync(id, cancellationToken);
        if (existing is not null) return existing.RequestHash == requestHash ? new Creation.Replayed(existing) : new Creation.KeyReused();
        if ((await CosmosStorage.ReadPartitionAsync<WebhookSubscriptionDocument>(_cosmos.Config, WebhookSubscriptionDocument.Partition, "true", cancellationToken)).Count >= SubscriptionsMax)
            return new Creation.TooMany();

        var now = _clock.GetUtcNow();
        var (secret, sealedSecret) = NewSecret(id, now);
        var subscription = new WebhookSubscriptionDocument
        {
            Id = id, Partner = partner, Url = url, EventTypes = eventTypes, Active = true, Secrets = [sealedSecret], RequestHash = requestHash,
            CreatedBy = caller, CreatedAt = now, UpdatedAt = now, Version = 1,
        };
        if (!await CosmosStorage.TryWriteAsync(_cosmos.Config, subscription, id, WebhookSubscriptionDocument.Partition, etag: null, cancellationToken))
        {
            // The same request raced itself: the other attempt created it.
            var (raced, _) = await ReadAsync(id, cancellationToken);
            return raced?.RequestHash == requestHash ? new Creation.Replayed(raced) : new Creation.KeyReused();
        }
        _cache.Invalidate();
        LogCreated(_log, id, partner, string.Join(",", eventTypes));
        return new Creation.Created(subscription, secret);
    }

    /// <summary>What a change did.</summary>
    public enum ChangeOutcome { Changed, NotFound, PreconditionFailed }

    /// <summary>
    /// Changes a subscription with <paramref name="change"/> (version + 1), only while it is in the state
    /// <paramref name="ifMatch"/> names (when given). Concurrent writers (the sender deactivating it) are decided again.
    /// </summary>
    public Task<(ChangeOutcome Outcome, WebhookSubscriptionDocument? Subscription)> ChangeAsync(string id, IfMatch? ifMatch,
        Func<WebhookSubscriptionDocument, DateTimeOffset, WebhookSubscriptionDocument> change, CancellationToken cancellationToken) =>
        ConflictRetry.RunAsync<(ChangeOutcome, WebhookSubscriptionDocument?)>(async _ =>
        {
            var (current, etag) = await ReadAsync(id, cancellationToken);
            if (current is null) return (true, (ChangeOutcome.NotFound, null));
            if (!IfMatch.Allows(ifMatch, current.ETag())) return (true, (ChangeOutcome.PreconditionFailed, current));
            var now = _clock.GetUtcNow();
            var next = change(current, now) with { Version = current.Version + 1, UpdatedAt = now };
            if (!await CosmosStorage.TryWriteAsync(_cosmos.Config, next, id, WebhookSubscriptionDocument.Partition, etag, cancellationToken)) return (false, default);
            _cache.Invalidate();
            return (true, (ChangeOutcome.Changed, next));
        }, attempt => LogConflict(_log, id, attempt), () => new WebhookContentionException($"Webhook subscription {id} is being changed by others."), cancellationToken);

    /// <summary>
    /// A new secret (answered once); the one signing until now keeps signing beside it for <paramref name="overlap"/>,
    /// so a partner can switch without losing a delivery. Older retired secrets are dropped.
    /// </summary>
    public async Task<(ChangeOutcome Outcome, WebhookSubscriptionDocument? Subscription, string? Secret)> RotateAsync(string id, IfMatch? ifMatch,
        TimeSpan overlap, CancellationToken cancellationToken)
    {
        string? secret = null;
        var (outcome, subscription) = await ChangeAsync(id, ifMatch, (current, now) =>
        {
            var (plain, sealedSecret) = NewSecret(id, now);
            secret = plain;
            var previous = current.SigningAt(now).Where(s => s.RetiresAt is null).Select(s => s with { RetiresAt = now + overlap });
            return current with { Secrets = [sealedSecret, .. previous] };
        }, cancellationToken);
        if (outcome == ChangeOutcome.Changed) LogRotated(_log, id, overlap.TotalHours);
        return (outcome, subscription, outcome == ChangeOutcome.Changed ? secret : null);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        if (!RequestReader.IsWellFormedId(id) || !await CosmosStorage.DeleteIfExistsAsync(_cosmos.Config, id, WebhookSubscriptionDocument.Partition, cancellationToken))
            return false;
        _cache.Invalidate();
        return true;
    }

    /// <summary>The endpoint said it is gone (410): no more deliveries until an admin turns the subscription on again.</summary>
    public async Task DeactivateAsync(string id, string reason, CancellationToken cancellationToken)
    {
        await ChangeAsync(id, null, (current, _) => current with { Active = false, DeactivatedReason = reason }, cancellationToken);
        LogDeactivated(_log, id, reason);
    }

    /// <summary>The HMAC keys that sign at <paramref name="now"/> (opened from their seals; never logged).</summary>
    public IReadOnlyList<byte[]> SigningKeys(WebhookSubscriptionDocument subscription, DateTimeOffset now) =>
        [.. subscription.SigningAt(now).Select(s => _protector.Open(s.Sealed, WebhookSubscriptionDocument.SecretOwnerOf(subscription.Id)))];

    private (string Secret, WebhookSecret Sealed) NewSecret(string id, DateTimeOffset now)
    {
        var key = RandomNumberGenerator.GetBytes(SecretBytes);
        return (WebhookSignature.SecretOf(key), new WebhookSecret(_protector.Seal(key, WebhookSubscriptionDocument.SecretOwnerOf(id)), now, RetiresAt: null));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook subscription {SubscriptionId} created for {Partner}: {EventTypes}")]
    private static partial void LogCreated(ILogger log, string subscriptionId, string partner, string eventTypes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook subscription {SubscriptionId}: secret rotated, the previous one signs for {OverlapHours} more hours")]
    private static partial void LogRotated(ILogger log, string subscriptionId, double overlapHours);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook subscription {SubscriptionId} deactivated: {Reason}")]
    private static partial void LogDeactivated(ILogger log, string subscriptionId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Webhook subscription {SubscriptionId}: write conflict (attempt {Attempt})")]
    private static partial void LogConflict(ILogger log, string subscriptionId, int attempt);
}

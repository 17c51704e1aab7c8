using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Functions.Storage;

namespace Points.Functions.Auth;

/// <summary>
/// A partner key issued through the API (<c>POST /api/v1/admin/api-keys</c>), stored in the config container
/// (partition <see cref="Partition"/>) beside the configured ones: only the SHA-256 of the whole key is kept.
/// </summary>
public sealed record IssuedApiKeyDocument
{
    public const string Partition = "api-keys";

    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public string Pk { get; init; } = Partition;
    public required string Name { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    /// <summary>Lower-case hex SHA-256 of the whole key <c>{id}.{secret}</c>.</summary>
    public required string Sha256 { get; init; }
    /// <summary>Hash of the creating request, so a retry with the same Idempotency-Key and another body is told apart.</summary>
    public required string RequestHash { get; init; }
    public required string CreatedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Exclusive: the key works until this instant. Null: until revoked.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    /// <summary>When the key was last seen, to the minute (<see cref="IssuedApiKeys.UsageFlushInterval"/>).</summary>
    public DateTimeOffset? LastUsedAt { get; init; }

    public bool IsLiveAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || now < ExpiresAt);
}

/// <summary>
/// Issued keys: created with a secret shown once, listed, revoked; read into a cache that every request's key check
/// uses, so a revocation takes effect on every instance within <see cref="ConfigCache{T}.Lifetime"/> (5 seconds; at once
/// on the instance that revoked). When a key was last used is kept in memory and written at most once a minute per key.
/// </summary>
public sealed partial class IssuedApiKeys
{
    /// <summary>Keys the API may have issued and not deleted; far above any partner count.</summary>
    public const int KeysMax = 1_000;
    public static readonly TimeSpan UsageFlushInterval = TimeSpan.FromMinutes(1);
    private const int SecretBytes = 32;

    private readonly CosmosStorage _cosmos;
    private readonly TimeProvider _clock;
    private readonly ILogger<IssuedApiKeys> _log;
    private readonly ConfigCache<IReadOnlyDictionary<string, IssuedApiKeyDocument>> _cache;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _used = new(StringComparer.Ordinal);

    public IssuedApiKeys(CosmosStorage cosmos, TimeProvider clock, ILogger<IssuedApiKeys> log)
    {
        (_cosmos, _clock, _log) = (cosmos, clock, log);
        _cache = new(clock, async cancellationToken =>
            (await CosmosStorage.ReadPartitionAsync<IssuedApiKeyDocument>(cosmos.Config, IssuedApiKeyDocument.Partition, "true", cancellationToken))
                .ToDictionary(k => k.Id, StringComparer.Ordinal));
    }

    public Task<IReadOnlyDictionary<string, IssuedApiKeyDocument>> GetAsync(CancellationToken cancellationToken) => _cache.GetAsync(cancellationToken);

    /// <summary>What creating a key did.</summary>
    public abstract record Issue
    {
        private Issue() { }
        /// <summary>Created now; <paramref name="Key"/> is the whole key, shown this once.</summary>
        public sealed record Created(IssuedApiKeyDocument Document, string Key) : Issue;
        /// <summary>The same request was made before with this Idempotency-Key: the key exists, its secret is not shown again.</summary>
        public sealed record Replayed(IssuedApiKeyDocument Document) : Issue;
        public sealed record KeyReused : Issue;
        public sealed record TooMany : Issue;
    }

    /// <summary>
    /// Creates a key. Its id is derived from the caller and the Idempotency-Key, so a retry finds the key its first
    /// attempt created instead of creating another.
    /// </summary>
    public async Task<Issue> CreateAsync(string caller, string idempotencyKey, string requestHash, string name, IReadOnlyList<string> scopes,
        DateTimeOffset? expiresAt, CancellationToken cancellationToken)
    {
        var id = "k" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{caller}|{idempotencyKey}")))[..20];
        var (existing, _) = await CosmosStorage.ReadOrNullAsync<IssuedApiKeyDocument>(_cosmos.Config, id, IssuedApiKeyDocument.Partition, cancellationToken);
        if (existing is not null) return existing.RequestHash == requestHash ? new Issue.Replayed(existing) : new Issue.KeyReused();
        if ((await GetAsync(cancellationToken)).Count >= KeysMax) return new Issue.TooMany();

        var key = $"{id}.{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes))}";
        var document = new IssuedApiKeyDocument
        {
            Id = id, Name = name, Scopes = scopes, Sha256 = Convert.ToHexStringLower(ApiKeyRing.HashOf(key)), RequestHash = requestHash,
            CreatedBy = caller, CreatedAt = _clock.GetUtcNow(), ExpiresAt = expiresAt,
        };
        try
        {
            await _cosmos.Config.CreateItemAsync(document, new PartitionKey(IssuedApiKeyDocument.Partition), cancellationToken: cancellationToken);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // A concurrent retry of the same request created it first: answer as its replay.
            return await CreateAsync(caller, idempotencyKey, requestHash, name, scopes, expiresAt, cancellationToken);
        }
        _cache.Invalidate();
        return new Issue.Created(document, key);
    }

    /// <summary>Revokes a key (kept, for the record); false when there is no such issued key.</summary>
    public async Task<IssuedApiKeyDocument?> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        var (existing, etag) = await CosmosStorage.ReadOrNullAsync<IssuedApiKeyDocument>(_cosmos.Config, id, IssuedApiKeyDocument.Partition, cancellationToken);
        if (existing is null) return null;
        if (existing.RevokedAt is not null) return existing;
        var revoked = existing with { RevokedAt = _clock.GetUtcNow() };
        // Unconditional: revoking twice, or over a last-used update, has one outcome.
        await _cosmos.Config.UpsertItemAsync(revoked, new PartitionKey(IssuedApiKeyDocument.Partition), cancellationToken: cancellationToken);
        _cache.Invalidate();
        return revoked;
    }

    /// <summary>Notes that a key was used now (in memory; <see cref="FlushUsageAsync"/> writes it).</summary>
    public void Used(string id) => _used[id] = _clock.GetUtcNow();

    /// <summary>Writes the last-used time of the keys used since the last flush (a patch each; a revoked or deleted key is skipped).</summary>
    public async Task FlushUsageAsync(CancellationToken cancellationToken)
    {
        if (_used.IsEmpty) return;
        foreach (var id in _used.Keys.ToList())
        {
            if (!_used.TryRemove(id, out var at)) continue;
            try
            {
                await _cosmos.Config.PatchItemAsync<IssuedApiKeyDocument>(id, new PartitionKey(IssuedApiKeyDocument.Partition),
                    [PatchOperation.Set("/lastUsedAt", at)], cancellationToken: cancellationToken);
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
            }
            catch (CosmosException e)
            {
                _used.TryAdd(id, at); // Try again at the next flush.
                LogUsageNotWritten(id, (int)e.StatusCode);
            }
        }
        _cache.Invalidate();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "API key {KeyId}: last-used time not written ({Status}); retried at the next flush")]
    private partial void LogUsageNotWritten(string keyId, int status);
}

/// <summary>Writes issued keys' last-used times once a minute.</summary>
public sealed partial class ApiKeyUsageFlush(IssuedApiKeys keys, TimeProvider clock, ILogger<ApiKeyUsageFlush> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(IssuedApiKeys.UsageFlushInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await keys.FlushUsageAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A statistic: an outage must not stop the app (a failing background service stops the host). Next minute tries again.
                LogFlushFailed(e.GetType().Name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "API key usage not written ({Error}); tried again in a minute")]
    private partial void LogFlushFailed(string error);
}

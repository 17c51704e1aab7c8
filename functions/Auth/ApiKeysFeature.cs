using Points.Functions.Api;
using Points.Functions.Hosting;
using Points.Functions.Storage;

namespace Points.Functions.Auth;

public sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Scopes, DateTimeOffset? ExpiresAt);

/// <summary>A new key: <paramref name="Key"/> (<c>{keyId}.{secret}</c>) is shown once, null in a replay of the request.</summary>
public sealed record CreatedApiKey(string KeyId, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, string? Key);

/// <summary>A key as listed: <paramref name="Source"/> is <c>issued</c> (through this API) or <c>configured</c> (settings).</summary>
public sealed record ApiKeyView(string KeyId, string Name, IReadOnlyList<string> Scopes, string Source, DateTimeOffset? CreatedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

public sealed record ApiKeyList(IReadOnlyList<ApiKeyView> Items);

/// <summary>
/// Partner API keys (api.md "Auth"): the configured ones, and keys admins issue, list and revoke without a deployment;
/// every keyed route is rate-limited per key (<see cref="ApiRateLimits"/>).
/// </summary>
public sealed class ApiKeysFeature : Feature
{
    public const int NameLengthMax = 100;
    /// <summary>The longest a key may be issued for; a partner rotates before.</summary>
    public static readonly TimeSpan LifetimeMax = TimeSpan.FromDays(5 * 366);
    public static readonly ProblemType KeyConfigured = new("key_configured", 409, "The key is configured in the app's settings; remove it there.");

    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ApiKeyOptions>(configuration.GetSection("ApiKeys"));
        services.AddSingleton<ApiKeyRing>();
        services.AddSingleton<IssuedApiKeys>();
        services.AddSingleton<ApiCallers>();
        services.AddHostedService<ApiKeyUsageFlush>();
        services.AddApiRateLimits(configuration);
    }

    public override IEnumerable<ProblemType> AlsoAnswers => [KeyConfigured, ApiRateLimits.RateLimited];

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/admin/api-keys", Create).RequireScope(Scopes.Admin)
            .Describe("issueApiKey", ApiTags.Admin, "Issue a partner API key",
                "Issues a key with the scopes given (and an optional expiry). The answer holds the whole key (`{keyId}.{secret}`) this once; "
                + "only its hash is stored. A retry with the same Idempotency-Key answers the same key without its secret and issues nothing more.")
            .RequiresIdempotencyKey()
            .TakesJson<CreateApiKeyRequest>()
            .Produces<CreatedApiKey>(201)
            .Refuses(Problems.InvalidRequest);
        api.MapGet("/v1/admin/api-keys", List).RequireScope(Scopes.Admin)
            .Describe("listApiKeys", ApiTags.Admin, "List API keys",
                "The keys configured in the app's settings and those issued here, with their scopes, expiry, revocation and last use (to the "
                + "minute). Never a secret or a hash.")
            .Produces<ApiKeyList>();
        api.MapDelete("/v1/admin/api-keys/{keyId}", Revoke).RequireScope(Scopes.Admin)
            .Describe("revokeApiKey", ApiTags.Admin, "Revoke an issued API key",
                "Revokes a key issued here: every instance refuses it within 5 seconds (at once on the one that revoked). Configured keys are "
                + "removed from the settings instead.")
            .Produces(204)
            .Refuses(Problems.NotFound, KeyConfigured);
    }

    private static async Task<IResult> Create(HttpContext http, IssuedApiKeys keys, TimeProvider clock)
    {
        if (!RequestReader.TryIdempotencyKey(http, out var idempotencyKey, out var problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<CreateApiKeyRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        if (Validate(request!, clock.GetUtcNow()) is { Count: > 0 } errors) return Problems.Invalid("The key is invalid.", errors);

        switch (await IssueAsync(keys, request!, http.CallerName(), idempotencyKey, http.RequestAborted))
        {
            case IssuedApiKeys.Issue.Created created:
                return Results.Json(View(created.Document, created.Key), JsonDefaults.Options, statusCode: 201);
            case IssuedApiKeys.Issue.Replayed replayed:
                http.Response.Headers["Idempotent-Replayed"] = "true";
                return Results.Json(View(replayed.Document, secretKey: null), JsonDefaults.Options, statusCode: 201);
            case IssuedApiKeys.Issue.KeyReused:
                return Problems.For(Problems.IdempotencyKeyReused, "This Idempotency-Key was first used with a different request.");
            default:
                return Problems.Invalid("name", $"At most {IssuedApiKeys.KeysMax} keys can be issued; revoke and delete unused ones first.");
        }
    }

    /// <summary>Issues a checked request (<see cref="Validate"/>): the API and the console.</summary>
    public static Task<IssuedApiKeys.Issue> IssueAsync(IssuedApiKeys keys, CreateApiKeyRequest request, string actor, string idempotencyKey, CancellationToken cancellationToken)
    {
        var (name, scopes) = (request.Name!.Trim(), request.Scopes!.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
        // The request as it will be stored: the same key named with its scopes in another order is the same request.
        var requestHash = RequestReader.HashOf("POST", "/api/v1/admin/api-keys", new { name, scopes, request.ExpiresAt });
        return keys.CreateAsync(actor, idempotencyKey, requestHash, name, scopes, request.ExpiresAt, cancellationToken);
    }

    private static CreatedApiKey View(IssuedApiKeyDocument key, string? secretKey) =>
        new(key.Id, key.Name, key.Scopes, key.CreatedAt, key.ExpiresAt, secretKey);

    public static Dictionary<string, string[]> Validate(CreateApiKeyRequest request, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Name is not { Length: > 0 } name || string.IsNullOrWhiteSpace(name) || name.Trim().Length > NameLengthMax || name.Any(char.IsControl))
            errors["name"] = [$"Required: 1–{NameLengthMax} characters, no control characters."];
        if (request.Scopes is not { Count: > 0 } scopes || scopes.Any(s => s is null || !Auth.Scopes.All.Contains(s)))
            errors["scopes"] = [$"One or more of {string.Join(", ", Auth.Scopes.All.Order(StringComparer.Ordinal))}."];
        if (request.ExpiresAt is { } expiresAt && (expiresAt <= now || expiresAt > now + LifetimeMax))
            errors["expiresAt"] = [$"In the future, at most {LifetimeMax.TotalDays:0} days ahead; omit for a key that lasts until revoked."];
        return errors;
    }

    private static async Task<IResult> List(HttpContext http, IssuedApiKeys keys, ApiKeyRing configured) =>
        Results.Json(new ApiKeyList(await ListAsync(keys, configured, http.RequestAborted)), JsonDefaults.Options);

    /// <summary>The configured keys and the issued ones, by id (the API and the console).</summary>
    public static async Task<IReadOnlyList<ApiKeyView>> ListAsync(IssuedApiKeys keys, ApiKeyRing configured, CancellationToken cancellationToken)
    {
        var issued = (await keys.GetAsync(cancellationToken)).Values
            .Select(k => new ApiKeyView(k.Id, k.Name, k.Scopes, "issued", k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.LastUsedAt));
        var fromSettings = configured.Configured
            .Select(c => new ApiKeyView(c.KeyId, c.Name, [.. c.Scopes.Order(StringComparer.Ordinal)], "configured", null, null, null, null));
        return [.. fromSettings.Concat(issued).OrderBy(k => k.KeyId, StringComparer.Ordinal)];
    }

    private static async Task<IResult> Revoke(string keyId, HttpContext http, IssuedApiKeys keys, ApiKeyRing configured)
    {
        if (configured.Configured.Any(c => c.KeyId == keyId)) return Problems.For(KeyConfigured, $"Key '{keyId}' comes from the settings.");
        return RequestReader.IsWellFormedId(keyId) && await keys.RevokeAsync(keyId, http.RequestAborted) is not null
            ? Results.NoContent()
            : Problems.For(Problems.NotFound, $"There is no issued key '{keyId}'.");
    }
}

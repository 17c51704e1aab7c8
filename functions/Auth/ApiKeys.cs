using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Points.Functions.Auth;

/// <summary>Scopes of partner API keys (api.md "Auth").</summary>
public static class Scopes
{
    public const string PointsWrite = "points:write";
    public const string MembersRead = "members:read";
    public const string MembersWrite = "members:write";
    public const string Admin = "admin";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { PointsWrite, MembersRead, MembersWrite, Admin };
}

/// <summary>
/// Configured API keys. Only SHA-256 hashes are stored (in Azure: a Key Vault secret behind the app setting).
/// A key is written <c>{keyId}.{secret}</c>; the id finds the entry, the hash of the whole key is compared in constant time.
/// </summary>
public sealed class ApiKeyOptions
{
    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>
    /// The same entries as one JSON array (<c>[{"id","name","scopes","sha256"}]</c>): the form a single Key Vault secret
    /// takes (app setting <c>ApiKeys__Hashes</c>).
    /// </summary>
    public string? Hashes { get; set; }

    public IEnumerable<ApiKeyEntry> AllEntries() =>
        Hosting.AzureHosting.ResolvedSetting(Hashes) is { } json
            ? Keys.Concat(System.Text.Json.JsonSerializer.Deserialize<List<ApiKeyEntry>>(json, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)) ?? [])
            : Keys;

    /// <summary>A plain admin key for local runs (local.settings.sample.json). Ignored when running in Azure.</summary>
    public string? DevelopmentAdminKey { get; set; }
}

public sealed class ApiKeyEntry
{
    /// <summary>The configuration entries (section <c>ApiKeys:Keys:{index}</c>) that accept <paramref name="key"/> with its scopes.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Configuration(int index, string key, string name, IEnumerable<string> scopes)
    {
        var prefix = $"ApiKeys:Keys:{index}:";
        yield return new(prefix + "Id", key[..key.IndexOf('.', StringComparison.Ordinal)]);
        yield return new(prefix + "Name", name);
        yield return new(prefix + "Sha256", Convert.ToHexStringLower(ApiKeyRing.HashOf(key)));
        foreach (var (scope, i) in scopes.Select((s, i) => (s, i))) yield return new($"{prefix}Scopes:{i}", scope);
    }

    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public List<string> Scopes { get; set; } = [];
    /// <summary>Lower-case hex SHA-256 of the whole key.</summary>
    public string Sha256 { get; set; } = "";
}

/// <summary>Endpoint metadata: the scope <see cref="ApiKeyEndpointExtensions.RequireScope{TBuilder}"/> checks.</summary>
public sealed record RequiredScope(string Scope);

public sealed record ApiCaller(string KeyId, string Name, IReadOnlySet<string> Scopes);

/// <summary>The configured keys (settings, Key Vault) and the local development key, compared by hash in constant time.</summary>
public sealed class ApiKeyRing
{
    public const int KeyLengthMax = 256;
    private static readonly ApiCaller DevelopmentCaller = new("development", "Local development admin", Scopes.All);
    /// <summary>Callers are built once, here: a request only hashes the key it presents and compares.</summary>
    private readonly Dictionary<string, (ApiCaller Caller, byte[] Hash)> _byId;
    private readonly byte[]? _developmentHash;

    public ApiKeyRing(IOptions<ApiKeyOptions> options, IHostEnvironment environment)
    {
        _byId = options.Value.AllEntries().ToDictionary(k => k.Id,
            k => (new ApiCaller(k.Id, k.Name, k.Scopes.ToHashSet(StringComparer.Ordinal)), Convert.FromHexString(k.Sha256)), StringComparer.Ordinal);
        if (Hosting.AzureHosting.AllowsDevelopmentSecrets(environment) && options.Value.DevelopmentAdminKey is { Length: > 0 } devKey)
        {
            _developmentHash = HashOf(devKey);
        }
    }

    public static byte[] HashOf(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The configured keys, without their hashes (for the key listing).</summary>
    public IEnumerable<ApiCaller> Configured => _byId.Values.Select(k => k.Caller);

    public ApiCaller? Find(string? presented)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > KeyLengthMax)
        {
            return null;
        }
        var hash = HashOf(presented);
        if (_developmentHash is not null && CryptographicOperations.FixedTimeEquals(hash, _developmentHash))
        {
            return DevelopmentCaller;
        }
        var dot = presented.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !_byId.TryGetValue(presented[..dot], out var known))
        {
            return null;
        }
        return CryptographicOperations.FixedTimeEquals(hash, known.Hash) ? known.Caller : null;
    }
}

/// <summary>
/// Who presents a key: a configured one (<see cref="ApiKeyRing"/>) or one issued through the API
/// (<see cref="IssuedApiKeys"/>; revoked or expired ones are refused), compared by hash in constant time.
/// </summary>
public sealed class ApiCallers(ApiKeyRing configured, IssuedApiKeys issued, TimeProvider clock)
{
    public async Task<ApiCaller?> FindAsync(string? presented, CancellationToken cancellationToken)
    {
        if (configured.Find(presented) is { } known) return known;
        var dot = presented?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (dot <= 0 || presented!.Length > ApiKeyRing.KeyLengthMax) return null;
        if (!(await issued.GetAsync(cancellationToken)).TryGetValue(presented[..dot], out var key) || !key.IsLiveAt(clock.GetUtcNow())) return null;
        if (!CryptographicOperations.FixedTimeEquals(ApiKeyRing.HashOf(presented), Convert.FromHexString(key.Sha256))) return null;
        issued.Used(key.Id);
        return new ApiCaller(key.Id, key.Name, key.Scopes.ToHashSet(StringComparer.Ordinal));
    }
}

public static class ApiKeyEndpointExtensions
{
    /// <summary>Requires an API key carrying <paramref name="scope"/>: 401 without a valid key, 403 without the scope.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireRateLimiting(ApiRateLimits.PerKeyPolicy);
        // The OpenAPI document shows the scheme and the scope from this (Api.OpenApiContract).
        builder.WithMetadata(new RequiredScope(scope));
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var caller = await http.RequestServices.GetRequiredService<ApiCallers>().FindAsync(http.Request.Headers["X-Api-Key"].ToString(), http.RequestAborted);
            if (caller is null)
            {
                return Api.Problems.For(Api.Problems.Unauthorized);
            }
            if (!caller.Scopes.Contains(scope))
            {
                return Api.Problems.For(Api.Problems.Forbidden, $"This endpoint needs the '{scope}' scope.");
            }
            http.Items[typeof(ApiCaller)] = caller;
            return await next(context);
        });
        return builder;
    }

    public static string CallerName(this HttpContext http) =>
        http.Items.TryGetValue(typeof(ApiCaller), out var caller) && caller is ApiCaller c ? c.KeyId : "anonymous";
}

using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Points.Functions.Api;

namespace Points.Functions.Auth;

/// <summary>Requests one API key may make, per instance of the app (section <c>RateLimits</c>).</summary>
public sealed class RateLimitOptions
{
    /// <summary>Sustained requests per second per key.</summary>
    public int RequestsPerSecond { get; set; } = 100;
    /// <summary>Requests a key may make at once above the sustained rate (the token bucket's size).</summary>
    public int Burst { get; set; } = 1_000;
}

/// <summary>
/// Per-key rate limiting with ASP.NET Core's rate limiter: a token bucket per presented key id, on every route that
/// needs a key; beyond it, 429 <c>rate_limited</c> with <c>Retry-After</c>. The buckets live in each instance, so the
/// limit is per instance: with N instances a key may make N times as many requests.
/// </summary>
public static class ApiRateLimits
{
    public const string PerKeyPolicy = "per-api-key";
    public static readonly ProblemType RateLimited = new("rate_limited", 429, "Too many requests with this API key; retry after the time given.");
    private const int KeyIdLengthMax = 64;

    public static IServiceCollection AddApiRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<RateLimitOptions>(configuration.GetSection("RateLimits"));
        return services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(PerKeyPolicy, http =>
            {
                var options = http.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return RateLimitPartition.GetTokenBucketLimiter(KeyIdOf(http), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.Burst,
                    TokensPerPeriod = options.RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await Problems.For(RateLimited, $"Retry after {Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))} s.").ExecuteAsync(context.HttpContext);
            };
        });
    }

    /// <summary>The key's id (before the dot): one bucket per key, not per secret tried; malformed ids share one bucket.</summary>
    private static string KeyIdOf(HttpContext http)
    {
        var presented = http.Request.Headers["X-Api-Key"].ToString();
        var dot = presented.IndexOf('.', StringComparison.Ordinal);
        var id = dot > 0 ? presented[..dot] : presented;
        return id.Length is > 0 and <= KeyIdLengthMax && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? id : "(malformed)";
    }
}

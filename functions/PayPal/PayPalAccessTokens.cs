using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Points.Functions.PayPal;

/// <summary>
/// OAuth 2.0 client credentials (facts §3.2): <c>POST /v1/oauth2/token</c> with Basic auth, the token kept until shortly
/// before its <c>expires_in</c> and shared by every call of this instance. One refresh at a time: callers that find the
/// token due wait for the one request in flight instead of each asking for a token.
/// </summary>
internal sealed class PayPalAccessTokens(IHttpClientFactory httpClients, IOptions<PayPalOptions> options, TimeProvider time)
{
    /// <summary>A token is renewed this long before it expires at most (PayPal's are valid 32,400 s, facts §3.2)…</summary>
    public static readonly TimeSpan RefreshMarginMax = TimeSpan.FromMinutes(5);

    /// <summary>…or a tenth of its lifetime, when that is shorter.</summary>
    public const int RefreshMarginDivisor = 10;

    private const int ResponseBytesMax = 64 * 1024;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Token? _current;

    /// <summary>A valid access token: the cached one, or a new one.</summary>
    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } token && time.GetUtcNow() < token.RenewAt) return token.Value;
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_current is { } fresh && time.GetUtcNow() < fresh.RenewAt) return fresh.Value;
            var requested = await RequestAsync(cancellationToken);
            _current = requested;
            return requested.Value;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>PayPal refused <paramref name="token"/> (401): the next call asks for a new one (unless another already did).</summary>
    public void Forget(string token)
    {
        if (_current is { } current && current.Value == token) _current = null;
    }

    private async Task<Token> RequestAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        // Counted from before the request: the token cannot outlive what PayPal meant.
        var requestedAt = time.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/oauth2/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials")]),
        };
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.ClientId}:{settings.ClientSecret}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var (status, body) = await PayPalHttp.SendAsync(httpClients, request, "oauth2.token", ResponseBytesMax, cancellationToken);
        if (status != 200) throw new PayPalApiException("oauth2.token", PayPalJson.Error(status, body));

        using var document = ParseJson(body);
        var root = document.RootElement;
        const string Where = "oauth2.token answer";
        var value = PayPalJson.RequiredString(root, "access_token", Where);
        if (!string.Equals(PayPalJson.RequiredString(root, "token_type", Where), "Bearer", StringComparison.OrdinalIgnoreCase))
        {
            throw PayPalJson.Expected($"{Where}.token_type \"Bearer\"");
        }
        if (!root.TryGetProperty("expires_in", out var expiresIn) || expiresIn.ValueKind != JsonValueKind.Number
            || !expiresIn.TryGetInt64(out var seconds) || seconds <= 0 || seconds > TimeSpan.FromDays(365).TotalSeconds)
        {
            throw PayPalJson.Expected($"{Where}.expires_in as a positive number of seconds");
        }
        var lifetime = TimeSpan.FromSeconds(seconds);
        var margin = TimeSpan.FromTicks(Math.Min(RefreshMarginMax.Ticks, lifetime.Ticks / RefreshMarginDivisor));
        return new Token(value, requestedAt + lifetime - margin);
    }

    private static JsonDocument ParseJson(byte[] body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new PayPalProtocolException("PayPal's oauth2.token answer was not JSON; expected {access_token, token_type, expires_in}.", e);
        }
    }

    private sealed record Token(string Value, DateTimeOffset RenewAt);
}

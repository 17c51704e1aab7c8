using System.Net;
using Polly.Timeout;

namespace Points.Functions.PayPal;

/// <summary>Sends one REST call through the <see cref="HttpClientName"/> client (retries, timeouts) and reads its answer, size-limited.</summary>
internal static class PayPalHttp
{
    /// <summary>The named client for PayPal's REST API (registered by <see cref="PayPalServiceCollectionExtensions.AddPayPal"/>).</summary>
    public const string HttpClientName = "PayPal";

    /// <summary>
    /// Whether a failed attempt is tried again: 5xx, 429 and timeouts or connection failures only, never another 4xx
    /// (facts §3.5: create and capture are retried safely because they carry <c>PayPal-Request-Id</c>).
    /// </summary>
    public static bool IsTransient(HttpResponseMessage? response, Exception? exception) =>
        exception is HttpRequestException or TimeoutRejectedException
        || response is { StatusCode: >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests };

    public static async Task<(int Status, byte[] Body)> SendAsync(
        IHttpClientFactory httpClients, HttpRequestMessage request, string operation, int responseBytesMax, CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(HttpClientName);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var body = await ReadLimitedAsync(response.Content, responseBytesMax, operation, cancellationToken);
            return ((int)response.StatusCode, body);
        }
        catch (TimeoutRejectedException e)
        {
            // An outage like any other failed connection: the caller (or the host) tries again later.
            throw new HttpRequestException(HttpRequestError.Unknown, $"PayPal {operation} did not answer in time.", e);
        }
    }

    public static async Task<byte[]> ReadLimitedAsync(HttpContent content, int bytesMax, string what, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > bytesMax) throw TooLarge(what, bytesMax);
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > bytesMax) throw TooLarge(what, bytesMax);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static PayPalProtocolException TooLarge(string what, int bytesMax) =>
        new($"PayPal's {what} answer is larger than {bytesMax} bytes; expected a documented REST answer.");
}

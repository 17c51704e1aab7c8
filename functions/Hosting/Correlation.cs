namespace Points.Functions.Hosting;

/// <summary>
/// Gives every request and invocation a correlation id (the caller's X-Correlation-Id when well formed, else the
/// Functions host's invocation id, else a new one), puts it in the log scope and echoes it in the response.
/// </summary>
public sealed class CorrelationMiddleware(RequestDelegate next, ILogger<CorrelationMiddleware> log)
{
    public const string Header = "X-Correlation-Id";

    public async Task InvokeAsync(HttpContext http)
    {
        var id = http.Request.Headers[Header].ToString();
        if (!IsWellFormed(id))
        {
            id = http.Request.Headers["X-Azure-Functions-InvocationId"].ToString();
        }
        if (!IsWellFormed(id))
        {
            id = Guid.NewGuid().ToString("N");
        }
        http.TraceIdentifier = id;
        http.Response.Headers[Header] = id;
        using (log.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = id }))
        {
            await next(http);
        }
    }

    private const int IdLengthMax = 64;

    /// <summary>Same characters as an idempotency key, shorter: safe to log and to echo in a header.</summary>
    private static bool IsWellFormed(string id) => id.Length <= IdLengthMax && Api.RequestReader.IsWellFormedKey(id);
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Points.Tools.Fuzzing;

/// <summary>
/// The exceptions behind the app's 5xx answers, by request: a 5xx problem says only "Correlation id X" (the app never
/// echoes exception text), so the fuzzer looks the cause up here to report it, and to tell the ledger's own amount
/// overflow (fixed in the domain by another change) from anything else.
/// </summary>
public sealed class ServerErrorLog : ILoggerProvider
{
    private const int KeptMax = 10_000;
    private readonly IHttpContextAccessor _http = new HttpContextAccessor();
    private readonly ConcurrentDictionary<string, Exception> _byTraceId = new(StringComparer.Ordinal);

    /// <summary>Adds this log to an app's services (with the HTTP context accessor it needs to know the request).</summary>
    public void AddTo(IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddSingleton<ILoggerProvider>(this);
    }

    /// <summary>The exception logged while answering the request with this trace identifier, if any.</summary>
    public Exception? Find(string traceId) => _byTraceId.TryGetValue(traceId, out var error) ? error : null;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    private sealed class Logger(ServerErrorLog log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is null || logLevel < LogLevel.Error || log._http.HttpContext?.TraceIdentifier is not { } traceId) return;
            if (log._byTraceId.Count < KeptMax) log._byTraceId[traceId] = exception;
        }
    }
}

/// <summary>Failures the fuzzer knows to be fixed elsewhere, reported apart from the violations.</summary>
public static class KnownIssues
{
    /// <summary>
    /// A point amount past the ledger's bound (±10^12): an award computed from a valid rule, or a balance grown past it.
    /// The domain refuses these with their own codes (<c>amount_too_large</c>, <c>balance_limit_exceeded</c>) in another change.
    /// </summary>
    public static bool IsLedgerAmountOverflow(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            var stack = e.StackTrace ?? "";
            // The bound checked by PointAmount's constructor, or its checked sum overflowing first; nothing else (an
            // overflow in validating input, say, is this change's to fix, not the domain's).
            if (e is ArgumentOutOfRangeException or OverflowException
                && stack.TrimStart().StartsWith("at Points.Domain.Primitives.PointAmount.", StringComparison.Ordinal)) return true;
        }
        return false;
    }
}

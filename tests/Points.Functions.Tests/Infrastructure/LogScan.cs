using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Points.Functions.Tests.Infrastructure;

/// <summary>
/// Every log line an app of the tests writes, at every level (the console shows only warnings), scanned as it is
/// written for what must never be logged (<see cref="LogLeaks"/>). A leak is recorded for the whole test run and thrown
/// at the code that logged it, so the request or job that leaked fails its test. Lines are kept for tests to look at;
/// past <see cref="LinesMax"/> only a count is kept.
/// </summary>
public sealed class CapturedLogs(IReadOnlyCollection<string> secrets) : ILoggerProvider
{
    public const int LinesMax = 500_000;
    private readonly ConcurrentQueue<string> _lines = new();
    private int _count;

    public IReadOnlyCollection<string> Lines => _lines;
    public int Dropped => Math.Max(0, Volatile.Read(ref _count) - LinesMax);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private void Add(string line)
    {
        if (Interlocked.Increment(ref _count) <= LinesMax) _lines.Enqueue(line);
        if (LogLeaks.Find([line], secrets) is [var leak])
        {
            LogLeaks.Found.Enqueue(leak);
            throw new InvalidOperationException($"A log line carries {leak.Why}: {leak.Line}");
        }
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Add($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>What must never appear in a log line: keys, QR tokens, request bodies (and, once they exist, bank numbers).</summary>
public static partial class LogLeaks
{
    /// <summary>Every leak any app of this test run logged (<see cref="CapturedLogs"/>).</summary>
    public static ConcurrentQueue<(string Line, string Why)> Found { get; } = new();

    /// <summary>The lines that carry one of <paramref name="secrets"/> or look like a key, a QR token or a JSON body, with why.</summary>
    public static IReadOnlyList<(string Line, string Why)> Find(IEnumerable<string> lines, IReadOnlyCollection<string> secrets)
    {
        var leaks = new List<(string, string)>();
        foreach (var line in lines)
        {
            if (secrets.FirstOrDefault(s => line.Contains(s, StringComparison.Ordinal)) is { } secret) leaks.Add((line, $"a configured API key secret ({secret[..4]}…)"));
            else if (IssuedKey().IsMatch(line)) leaks.Add((line, "an issued API key"));
            else if (QrToken().IsMatch(line)) leaks.Add((line, "a QR token"));
            else if (JsonBody().IsMatch(line)) leaks.Add((line, "a JSON body"));
        }
        return leaks;
    }

    /// <summary><c>k</c> + 20 hex digits, a dot, 43 base64url characters (<c>IssuedApiKeys</c>).</summary>
    [GeneratedRegex(@"\bk[0-9a-f]{20}\.[A-Za-z0-9_-]{40,}")]
    private static partial Regex IssuedKey();

    /// <summary>The payload of every token starts with "q1|", which is "cTF8" in base64url (<c>QrTokens</c>).</summary>
    [GeneratedRegex(@"\bcTF8[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{40,}")]
    private static partial Regex QrToken();

    /// <summary>
    /// A request body: JSON naming a field of a request to this API (diagnostics JSON of a dependency, e.g. in a Cosmos
    /// exception, is not a body).
    /// </summary>
    [GeneratedRegex(@"""(points|reason|qrToken|accountNumber|holderKana|referredByCode|purchaseAmount|pointsToUse|orderId|catalogItemId)""\s*:")]
    private static partial Regex JsonBody();
}

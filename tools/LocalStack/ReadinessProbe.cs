using System.Net;

namespace Points.Tools.LocalStack;

/// <summary>
/// Waits until an emulator has printed that it listens on its ports and answers HTTP on all its endpoints.
/// Any HTTP status counts: a 400 or 403 still proves that the server accepts connections and parses
/// requests, which a bare TCP connect would not.
/// </summary>
internal static class ReadinessProbe
{
    /// <summary>One probe request may take this long before it counts as "not ready yet".</summary>
    public const int RequestTimeoutMilliseconds = 2000;

    /// <summary>Pause between probes: emulators start in 0.5 to 3 seconds.</summary>
    public const int PollIntervalMilliseconds = 100;

    // Loopback only: never through a proxy configured in the environment.
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.FromSeconds(1),
        ConnectTimeout = TimeSpan.FromMilliseconds(RequestTimeoutMilliseconds),
    })
    {
        Timeout = TimeSpan.FromMilliseconds(RequestTimeoutMilliseconds),
    };

    /// <summary>The outcome of waiting for one emulator.</summary>
    public enum Outcome
    {
        Ready,
        Exited,
        TimedOut,
    }

    public static async Task<Outcome> WaitUntilReadyAsync(
        WatchedProcess process,
        IReadOnlyList<Uri> probes,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var pending = new List<Uri>(probes);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                return Outcome.Exited;
            }

            for (var i = pending.Count - 1; i >= 0 && process.HasPrintedAwaitedPhrases; i--)
            {
                if (await AnswersHttpAsync(pending[i], cancellationToken).ConfigureAwait(false))
                {
                    pending.RemoveAt(i);
                }
            }

            if (pending.Count == 0 && process.HasPrintedAwaitedPhrases)
            {
                return Outcome.Ready;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return Outcome.TimedOut;
            }

            await Task.Delay(PollIntervalMilliseconds, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<bool> AnswersHttpAsync(Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (HttpRequestException)
        {
            return false; // Not listening yet (connection refused) or closed the connection.
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // The per-request timeout: listening but not answering yet.
        }
    }
}

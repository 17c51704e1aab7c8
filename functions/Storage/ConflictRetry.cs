namespace Points.Functions.Storage;

/// <summary>
/// The one optimistic-concurrency loop of the app: read, decide, write with If-Match; when another writer got there
/// first, decide again on fresh state, after an exponential pause with full jitter (so that two instances hammering one
/// document do not keep colliding), at most <see cref="AttemptsMax"/> times.
/// </summary>
public static class ConflictRetry
{
    public const int AttemptsMax = 30;
    /// <summary>Longest pause between two attempts.</summary>
    public const int BackoffMaxMs = 250;

    /// <param name="attempt">One read-decide-write; <c>Written: false</c> when the write lost to another writer.</param>
    /// <param name="onConflict">Told the number of each lost attempt (for a debug log).</param>
    /// <param name="exhausted">The exception to throw when every attempt lost: a <see cref="ContentionException"/> (503).</param>
    public static async Task<T> RunAsync<T>(Func<int, Task<(bool Written, T Result)>> attempt, Action<int> onConflict,
        Func<ContentionException> exhausted, CancellationToken cancellationToken)
    {
        for (var number = 1; number <= AttemptsMax; number++)
        {
            var (written, result) = await attempt(number);
            if (written) return result;
            onConflict(number);
            var ceilingMs = Math.Min(BackoffMaxMs, 5 << Math.Min(number, 8));
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, ceilingMs + 1)), cancellationToken);
        }
        throw exhausted();
    }
}

namespace Points.Functions.Tests.Infrastructure;

/// <summary>Polls for something that happens in the background (a trigger runner, a queue, a commit in flight).</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Calls <paramref name="probe"/> until it returns a value, every <paramref name="interval"/> (200 ms unless told);
    /// throws a <see cref="TimeoutException"/> naming <paramref name="what"/> after <paramref name="timeout"/> (60 s unless told).
    /// </summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null, TimeSpan? interval = null)
        where T : class
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found) return found;
            await Task.Delay(interval ?? DefaultInterval);
        }
        throw new TimeoutException($"Waited {limit.TotalSeconds:0.###} s for {what}, in vain.");
    }

    /// <summary>Calls <paramref name="probe"/> until it returns true; see <see cref="WaitForAsync{T}"/>.</summary>
    public static Task WaitForAsync(Func<Task<bool>> probe, string what, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        WaitForAsync<object>(async () => await probe() ? true : null, what, timeout, interval);

    /// <summary>Checks <paramref name="condition"/> until it holds; see <see cref="WaitForAsync{T}"/>.</summary>
    public static Task WaitForAsync(Func<bool> condition, string what, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        WaitForAsync(() => Task.FromResult(condition()), what, timeout, interval);
}

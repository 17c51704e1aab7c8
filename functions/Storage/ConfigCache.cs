namespace Points.Functions.Storage;

/// <summary>
/// Program configuration (settings, rules, campaigns, catalog) read on hot paths, kept for a few seconds: a change made
/// on another instance applies within <see cref="Lifetime"/>, one made here at once (<see cref="Invalidate"/>).
/// </summary>
public sealed class ConfigCache<T>(TimeProvider clock, Func<CancellationToken, Task<T>> load) where T : class
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private (T Value, DateTimeOffset Until)? _entry;

    public async Task<T> GetAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_entry is { } entry && entry.Until > now)
        {
            return entry.Value;
        }
        var value = await load(cancellationToken);
        _entry = (value, now + Lifetime);
        return value;
    }

    public void Invalidate() => _entry = null;
}

using Microsoft.Extensions.Time.Testing;
using Points.Functions.Storage;

namespace Points.Functions.Tests.Storage;

public sealed class ConfigCacheTests
{
    /// <summary>A configuration read that counts its calls and waits for the test to let it finish.</summary>
    private sealed class GatedLoads
    {
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);
        public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<string> LoadAsync(CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            await Gate.Task;
            return $"version {call}";
        }
    }

    [Fact]
    public async Task ExpiredEntry_ManyConcurrentCallers_ShareOneRead()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 3, 0, 0, TimeSpan.Zero));
        var loads = new GatedLoads();
        loads.Gate.SetResult();
        var cache = new ConfigCache<string>(clock, loads.LoadAsync);
        Assert.Equal("version 1", await cache.GetAsync(CancellationToken.None));

        clock.Advance(ConfigCache<string>.Lifetime);
        loads.Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        var callers = Enumerable.Range(0, 50).Select(_ => cache.GetAsync(CancellationToken.None)).ToList();
        loads.Gate.SetResult();

        Assert.All(await Task.WhenAll(callers), value => Assert.Equal("version 2", value));
        Assert.Equal(2, loads.Calls);
        Assert.Equal("version 2", await cache.GetAsync(CancellationToken.None)); // Kept for its lifetime.
        Assert.Equal(2, loads.Calls);
    }

    /// <summary>Regression (flaky once in ten runs): the test assumed the read started first reached the load first.</summary>
    [Fact]
    public async Task Invalidate_DuringARead_TheNextCallerReadsAgain_AndTheOlderReadIsNotKept()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 3, 0, 0, TimeSpan.Zero));
        var loads = new GatedLoads();
        var cache = new ConfigCache<string>(clock, loads.LoadAsync);

        var before = cache.GetAsync(CancellationToken.None); // Read 1 starts, then a local change invalidates.
        cache.Invalidate();
        var after = cache.GetAsync(CancellationToken.None);
        loads.Gate.SetResult();

        // The two reads may reach the load in either order (each starts after a yield), so they are told apart by value.
        var (older, newer) = (await before, await after);
        Assert.NotEqual(older, newer);
        Assert.Equal(newer, await cache.GetAsync(CancellationToken.None));
        Assert.Equal(2, loads.Calls);
    }

    [Fact]
    public async Task FailedRead_FailsItsWaiters_AndTheNextCallerReadsAgain()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 3, 0, 0, TimeSpan.Zero));
        var calls = 0;
        var cache = new ConfigCache<string>(clock, async _ =>
        {
            await Task.Yield();
            return ++calls == 1 ? throw new InvalidOperationException("cosmos down") : "recovered";
        });

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync(CancellationToken.None));
        Assert.Equal("recovered", await cache.GetAsync(CancellationToken.None));
    }
}

using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Storage;

/// <summary>The group commit under the member mailbox and the due index: batching per key, order, limits and failures.</summary>
public sealed class GroupCommitTests
{
    /// <summary>A commit that records its batches and waits for the test to let each one finish.</summary>
    private sealed class GatedCommits
    {
        public List<(string Key, IReadOnlyList<int> Items)> Batches { get; } = [];
        public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource FirstStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Exception? Failure { get; set; }
        public int BatchCount { get { lock (Batches) return Batches.Count; } }

        public async Task<string[]> CommitAsync(string key, IReadOnlyList<int> items)
        {
            lock (Batches) Batches.Add((key, items));
            FirstStarted.TrySetResult();
            await Gate.Task;
            if (Failure is { } failure) throw failure;
            return [.. items.Select(i => $"{key}:{i}")];
        }
    }

    [Fact]
    public async Task ItemsQueuedWhileACommitIsInFlight_GoTogetherInTheNextCommit_UpToTheBatchLimit_InOrder()
    {
        var commits = new GatedCommits();
        var group = new GroupCommit<string, int, string>(batchMax: 4, commits.CommitAsync);

        var first = group.EnqueueAsync("a", 0);
        await commits.FirstStarted.Task;
        var queued = Enumerable.Range(1, 6).Select(i => group.EnqueueAsync("a", i)).ToList();
        commits.Gate.SetResult();

        Assert.Equal("a:0", await first);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"a:{i}"), await Task.WhenAll(queued));
        Assert.Equal(["0", "1 2 3 4", "5 6"], commits.Batches.Select(b => string.Join(' ', b.Items)));
    }

    [Fact]
    public async Task KeysCommitIndependently_AFailedBatchFailsOnlyItsItems()
    {
        var commits = new GatedCommits { Failure = new InvalidOperationException("storage down") };
        var group = new GroupCommit<string, int, string>(batchMax: 10, commits.CommitAsync);

        var failing = group.EnqueueAsync("a", 1);
        await commits.FirstStarted.Task;
        var other = group.EnqueueAsync("b", 2);
        // b's commit starts while a's is still in flight.
        await Eventually.WaitForAsync(() => commits.BatchCount >= 2, "b's commit to start", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(10));
        Assert.Equal(["a", "b"], commits.Batches.Select(b => b.Key).Order());

        commits.Gate.SetResult();
        Assert.Equal("storage down", (await Assert.ThrowsAsync<InvalidOperationException>(() => failing)).Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => other);

        commits.Failure = null;
        Assert.Equal("a:3", await group.EnqueueAsync("a", 3)); // The key's next batch runs after a failure.
    }
}

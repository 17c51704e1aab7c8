using System.Collections.Concurrent;

namespace Points.Functions.Storage;

/// <summary>
/// Group commit: callers hand in items under a key and await their own result; per key, one runner at a time takes
/// up to <c>batchMax</c> queued items and commits them together with one call of <c>commit</c>. While a commit is in
/// flight, new items queue behind it and go in the next one, so a busy key costs one write per batch and a quiet key
/// adds no delay (its first item is committed at once).
/// <para>A commit that throws fails every item of its batch (nothing of it was committed); later batches still run.</para>
/// </summary>
public sealed class GroupCommit<TKey, TItem, TResult>(int batchMax, Func<TKey, IReadOnlyList<TItem>, Task<TResult[]>> commit)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Mailbox> _mailboxes = new();

    public Task<TResult> EnqueueAsync(TKey key, TItem item)
    {
        var queued = new Queued(item);
        while (true)
        {
            var mailbox = _mailboxes.GetOrAdd(key, static _ => new Mailbox());
            lock (mailbox)
            {
                if (mailbox.Closed)
                {
                    continue; // Its runner just finished and removed it; take the fresh one.
                }
                mailbox.Queue.Enqueue(queued);
                if (!mailbox.Running)
                {
                    mailbox.Running = true;
                    _ = Task.Run(() => RunAsync(key, mailbox));
                }
                break;
            }
        }
        return queued.Completion.Task;
    }

    private async Task RunAsync(TKey key, Mailbox mailbox)
    {
        while (true)
        {
            List<Queued> batch;
            lock (mailbox)
            {
                if (mailbox.Queue.Count == 0)
                {
                    mailbox.Running = false;
                    mailbox.Closed = true;
                    _mailboxes.TryRemove(new KeyValuePair<TKey, Mailbox>(key, mailbox));
                    return;
                }
                batch = [];
                while (batch.Count < batchMax && mailbox.Queue.TryDequeue(out var next))
                {
                    batch.Add(next);
                }
            }
            try
            {
                var results = await commit(key, batch.Select(q => q.Item).ToList());
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(results[i]);
                }
            }
            catch (Exception e)
            {
                foreach (var queued in batch)
                {
                    queued.Completion.TrySetException(e);
                }
            }
        }
    }

    private sealed class Mailbox
    {
        public Queue<Queued> Queue { get; } = new();
        public bool Running { get; set; }
        public bool Closed { get; set; }
    }

    private sealed record Queued(TItem Item)
    {
        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

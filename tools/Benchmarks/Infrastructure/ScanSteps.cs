using System.Text;
using Points.Functions.Ranks;
using Points.Functions.Storage;

namespace Points.Benchmarks.Infrastructure;

/// <summary>Runs the steps of scans over every member off the app's <c>ledger-jobs</c> queue, as <c>ProcessLedgerJobs</c> runs them.</summary>
public static class ScanSteps
{
    /// <summary>Takes and runs steps until the queue is empty (each step sends the next); answers how many ran.</summary>
    public static async Task<int> RunAsync(BenchApp app)
    {
        var queue = app.Service<BlobStorage>().Queues.GetQueueClient(app.Service<LedgerJobQueue>().QueueName);
        var jobs = app.App.Services.GetServices<ILedgerScanJob>().ToDictionary(j => j.Name, StringComparer.Ordinal);
        var steps = 0;
        while (true)
        {
            var messages = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
            if (messages.Length == 0) return steps;
            foreach (var message in messages)
            {
                var shard = LedgerJobQueue.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString())));
                if (shard?.Scan is { } step)
                {
                    await jobs[shard.Job].StepAsync(step, CancellationToken.None);
                    steps++;
                }
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }
    }
}

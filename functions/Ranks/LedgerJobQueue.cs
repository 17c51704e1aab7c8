using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Points.Domain.Primitives;
using Points.Functions.Storage;

namespace Points.Functions.Ranks;

/// <summary>
/// One message on the <c>ledger-jobs</c> queue: <see cref="Members"/> (at most <see cref="LedgerJobQueue.MembersPerShard"/>)
/// to process for <see cref="Job"/> and <see cref="Period"/> (a month <c>yyyy-MM</c> or a day <c>yyyy-MM-dd</c>), found
/// in index list <see cref="List"/> (where an entry that no longer applies is removed).
/// </summary>
public sealed record LedgerJobShard(string Job, string Period, string List, IReadOnlyList<string> Members)
{
    /// <summary>Set for a step of a scan over every member (<see cref="ILedgerScanJob"/>); then <see cref="Members"/> is empty.</summary>
    public ScanStep? Scan { get; init; }
}

/// <summary>
/// One page of a scan of the ledger container's read feed: <paramref name="Subject"/> (e.g. a campaign) and
/// <paramref name="Phase"/> say what for, <paramref name="Range"/> which feed range, <paramref name="Page"/> which page
/// of it (a step for a page already done is dropped, so a redelivered or duplicated message does nothing).
/// </summary>
public sealed record ScanStep(string Subject, string Phase, int Range, int Page);

/// <summary>A job that scans every member page by page over the <c>ledger-jobs</c> queue (found by <see cref="Name"/>).</summary>
public interface ILedgerScanJob
{
    string Name { get; }

    /// <summary>Processes the page and sends the next step; answers a line for the invocation's log.</summary>
    Task<string> StepAsync(ScanStep step, CancellationToken cancellationToken);
}

/// <summary>
/// Sends shards of a fan-out job to the <c>ledger-jobs</c> storage queue, where <c>ProcessLedgerJobs</c> takes them:
/// in Azure the Functions host scales that function out with the queue's length.
/// </summary>
public sealed class LedgerJobQueue(BlobStorage storage, IOptions<BlobOptions> options)
{
    /// <summary>Members per message: a shard takes seconds (two requests per member), far below the function timeout.</summary>
    public const int MembersPerShard = 100;

    public string QueueName => options.Value.QueueName(QueueNames.LedgerJobs);

    /// <summary>Sends the members of one index page as shards; returns how many messages were sent.</summary>
    public async Task<int> EnqueueAsync(string job, string period, string list, IReadOnlyList<MemberId> members, CancellationToken cancellationToken)
    {
        var queue = storage.Queues.GetQueueClient(QueueName);
        var shards = members.Chunk(MembersPerShard).Select(chunk => new LedgerJobShard(job, period, list, [.. chunk.Select(m => m.Value)])).ToList();
        await Task.WhenAll(shards.Select(shard => queue.SendMessageAsync(Encode(shard), cancellationToken)));
        return shards.Count;
    }

    /// <summary>Sends one step of a scan.</summary>
    public Task SendScanStepAsync(string job, ScanStep step, CancellationToken cancellationToken) =>
        storage.Queues.GetQueueClient(QueueName).SendMessageAsync(Encode(new LedgerJobShard(job, step.Phase, step.Subject, []) { Scan = step }), cancellationToken);

    /// <summary>
    /// Base64 of the JSON: the queue trigger decodes base64 by default (extension 5.x, <c>messageEncoding</c>), and a
    /// message it cannot decode goes straight to the poison queue.
    /// </summary>
    public static string Encode(LedgerJobShard shard) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(shard, JsonDefaults.Options)));

    /// <summary>The message text as the trigger hands it over (decoded); null when it is not a shard.</summary>
    public static LedgerJobShard? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonSerializer.Deserialize<LedgerJobShard>(text, JsonDefaults.Options) is { Job: not null, Period: not null, List: not null, Members: not null } shard
                ? shard
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

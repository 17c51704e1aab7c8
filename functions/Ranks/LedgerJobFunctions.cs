using System.Text.Json;
using Points.Functions.Hosting;

namespace Points.Functions.Ranks;

/// <summary>The thin handlers of the periodic functions: parse the host's invocation, run, reply with a log line.</summary>
public static class LedgerJobFunctions
{
    /// <summary>The queue trigger's binding name in <c>declarations/ProcessLedgerJobs/function.json</c>.</summary>
    public const string ShardBinding = "shard";

    /// <summary>A fan-out timer job run as the host invokes it; the job computes what is due itself.</summary>
    public static async Task<string> RunTimerAsync(FanOutJob job, bool isPastDue, CancellationToken cancellationToken)
    {
        var summary = await job.RunAsync(isPastDue, cancellationToken);
        return $"{job.Name}: periods [{string.Join(", ", summary.Periods)}], {summary.Members} members in {summary.Shards} shards.";
    }

    /// <summary>
    /// A queue invocation (<c>{Data: {shard: "message text"}, Metadata: {DequeueCount, Id, ...}}</c>). A message that is
    /// not a shard is refused (400): the host retries it, then moves it to <c>ledger-jobs-poison</c> for a look.
    /// </summary>
    public static async Task<IResult> ProcessShardAsync(HttpContext http, LedgerJobProcessor processor)
    {
        var payload = await InvocationPayload.ReadAsync(http.Request.Body, keepData: true, http.RequestAborted);
        var text = payload.Data.ValueKind == JsonValueKind.Object && payload.Data.TryGetProperty(ShardBinding, out var data)
            ? data.ValueKind == JsonValueKind.Object ? data.GetRawText() : InvocationPayload.Unwrap(data) // the host may encode the text twice
            : null;
        if (LedgerJobQueue.Parse(text) is not { } shard)
        {
            return Results.BadRequest($"Message {payload.MetadataString("Id")} is not a ledger job shard.");
        }
        var summary = await processor.ProcessAsync(shard, http.RequestAborted);
        return InvocationReply.Ok($"{shard.Job} {shard.Period} ({shard.List}, dequeue count {payload.MetadataString("DequeueCount")}): "
            + $"{summary.Members} members, {summary.RankChanges} rank changes, {summary.PointsGranted} points granted, {summary.ListEntriesRemoved} list entries removed.");
    }
}

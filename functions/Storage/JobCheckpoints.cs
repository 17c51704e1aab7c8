using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;

namespace Points.Functions.Storage;

/// <summary>
/// The last period each scheduled job completed (container <c>jobs</c>, partition <c>checkpoints</c>, id = job name).
/// Jobs work out what is due from it rather than trusting one invocation per schedule slot (a missed run catches up).
/// Periods are sortable text: a date <c>yyyy-MM-dd</c> or a month <c>yyyy-MM</c>.
/// </summary>
public sealed class JobCheckpoints(CosmosStorage cosmos)
{
    public const string Partition = "checkpoints";

    private sealed record Checkpoint([property: JsonPropertyName("id")] string Id, string Pk, string LastCompletedPeriod);

    public async Task<string?> LastCompletedAsync(string job, CancellationToken cancellationToken) =>
        (await CosmosStorage.ReadOrNullAsync<Checkpoint>(cosmos.Jobs, job, Partition, cancellationToken)).Item?.LastCompletedPeriod;

    /// <summary>The longest outage a daily job catches up: days older than this are not done late.</summary>
    public const int CatchUpDaysMax = 31;

    /// <summary>
    /// The days a daily job owes, oldest first: every day after <paramref name="lastCompleted"/> (a <c>yyyy-MM-dd</c>)
    /// through <paramref name="through"/>, at most <see cref="CatchUpDaysMax"/> back; a first run (none completed) owes
    /// <paramref name="through"/> only.
    /// </summary>
    public static IEnumerable<DateOnly> DaysDue(string? lastCompleted, DateOnly through)
    {
        var from = lastCompleted is null ? through : Points.Domain.Primitives.CalendarText.ParseDay(lastCompleted).AddDays(1);
        if (from < through.AddDays(-CatchUpDaysMax)) from = through.AddDays(-CatchUpDaysMax);
        for (var day = from; day <= through; day = day.AddDays(1)) yield return day;
    }

    public Task CompleteAsync(string job, string period, CancellationToken cancellationToken) =>
        cosmos.Jobs.UpsertItemAsync(new Checkpoint(job, Partition, period), new PartitionKey(Partition),
            cancellationToken: cancellationToken);
}

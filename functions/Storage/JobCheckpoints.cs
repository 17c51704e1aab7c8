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

    public Task CompleteAsync(string job, string period, CancellationToken cancellationToken) =>
        cosmos.Jobs.UpsertItemAsync(new Checkpoint(job, Partition, period), new PartitionKey(Partition),
            cancellationToken: cancellationToken);
}

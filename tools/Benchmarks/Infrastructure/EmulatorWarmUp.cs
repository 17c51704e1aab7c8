using Microsoft.Azure.Cosmos;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Benchmarks.Infrastructure;

/// <summary>
/// Work for freshly started emulators before a scenario measures anything. The local Cosmos server is a Node process:
/// its request paths run interpreted until V8 has compiled them, and a scenario that starts on a cold server measures
/// that first (run in one process after other scenarios, the CSV import's ratio to the direct path was 0.77; first on
/// a fresh server 0.52, because the import ran on the cold server and the direct path after it on a warm one).
/// A real Cosmos account is never cold in that way, so each scenario process warms its server first: account-sized
/// upserts, point reads and replaces over many partitions, and partition queries, in a database dropped afterwards.
/// </summary>
public static class EmulatorWarmUp
{
    public const int Members = 1_000;
    public const int Rounds = 8;
    public const int Concurrency = 32;

    public static async Task RunAsync(BenchContext context)
    {
        var databaseName = context.DatabaseFor("warm-up");
        var now = DateTimeOffset.UtcNow;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        using (var cosmos = context.RawCosmosClient())
        {
            var database = (await cosmos.CreateDatabaseIfNotExistsAsync(databaseName)).Database;
            var ledger = (await database.CreateContainerIfNotExistsAsync(new ContainerProperties(Containers.Ledger, "/memberId"))).Container;
            var accounts = Enumerable.Range(0, Members).Select(i => Seeding.NewAccount($"warm-{i:D4}", now, today)).ToArray();
            var query = new QueryDefinition("SELECT * FROM c WHERE c.memberId = @m").WithParameter("@m", accounts[0].MemberId);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (var round = 0; round < Rounds; round++)
            {
                await Load.RunAsync(Members, Concurrency, async (i, _) =>
                {
                    var account = accounts[i];
                    var key = new PartitionKey(account.MemberId);
                    await ledger.UpsertItemAsync(account, key);
                    var read = await ledger.ReadItemAsync<AccountDocument>(account.Id, key);
                    await ledger.ReplaceItemAsync(read.Resource, account.Id, key, new ItemRequestOptions { IfMatchEtag = read.ETag });
                    if (i % 10 == 0)
                    {
                        using var feed = ledger.GetItemQueryIterator<AccountDocument>(query.WithParameter("@m", account.MemberId),
                            requestOptions: new QueryRequestOptions { PartitionKey = key });
                        while (feed.HasMoreResults) await feed.ReadNextAsync();
                    }
                    return null;
                });
            }
            BenchContext.Log($"Emulators warmed up: {Rounds * Members * 3.1:N0} Cosmos requests in {watch.Elapsed.TotalSeconds:0.0} s");
        }
        await context.DropDatabaseAsync(databaseName);
    }
}

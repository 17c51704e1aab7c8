using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Azure.Cosmos;
using Points.Functions.Catalog;
using Points.Functions.Imports;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Tools.FaultHarness;

/// <summary>The app's data as stored, read (and, for the harness's own inputs, written) with clients of the harness: never faulted.</summary>
public sealed class StorageView(Database database, BlobServiceClient blobs)
{
    private Container Ledger => database.GetContainer(Containers.Ledger);
    private Container Indexes => database.GetContainer(Containers.Indexes);
    private Container Config => database.GetContainer(Containers.Config);

    public async Task<(AccountDocument? Account, string? Raw)> ReadAccountAsync(string memberId)
    {
        using var response = await Ledger.ReadItemStreamAsync(AccountDocument.DocumentId, new PartitionKey(memberId));
        if (response.StatusCode == HttpStatusCode.NotFound) return (null, null);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(response.Content);
        var raw = await reader.ReadToEndAsync();
        return (JsonSerializer.Deserialize<AccountDocument>(raw, JsonDefaults.Options), raw);
    }

    /// <summary>Every sealed history page of the member (one single-partition query; the local server wants the partition key in it).</summary>
    public async Task<List<JournalPageDocument>> ReadPagesAsync(string memberId)
    {
        var pages = new List<JournalPageDocument>();
        using var iterator = Ledger.GetItemQueryIterator<JournalPageDocument>(new QueryDefinition("SELECT * FROM c WHERE c.memberId = @memberId AND c.docType = 'journal'").WithParameter("@memberId", memberId),
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(memberId) });
        while (iterator.HasMoreResults) pages.AddRange(await iterator.ReadNextAsync());
        return pages;
    }

    /// <summary>Whether a due-index chunk of one list (<c>expiry|yyyy-MM-dd</c>, <c>pending|yyyy-MM-dd</c>) names the member.</summary>
    public async Task<bool> IsDueListedAsync(string list, string memberId)
    {
        using var iterator = Indexes.GetItemQueryIterator<DueIndex.Chunk>(
            new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk AND ARRAY_CONTAINS(c.members, @member)").WithParameter("@pk", list).WithParameter("@member", memberId),
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(list), MaxItemCount = 1 });
        return iterator.HasMoreResults && (await iterator.ReadNextAsync()).Count > 0;
    }

    /// <summary>Whether the member is in a member list (<c>anniversary|MM-dd</c>, <c>rank|{rank}</c>): a point read.</summary>
    public async Task<bool> IsListedAsync(string list, string memberId)
    {
        using var response = await Indexes.ReadItemStreamAsync(memberId, new PartitionKey(list));
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        response.EnsureSuccessStatusCode();
        return true;
    }

    public async Task<CatalogItemDocument?> ReadCatalogItemAsync(string itemId)
    {
        using var response = await Config.ReadItemStreamAsync(CatalogItemDocument.IdOf(itemId), new PartitionKey(CatalogItemDocument.Partition));
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return await JsonSerializer.DeserializeAsync<CatalogItemDocument>(response.Content, JsonDefaults.Options);
    }

    /// <summary>Drops an import file, as an admin does; its ETag names the version the invocations are for.</summary>
    public async Task UploadImportAsync(string name, byte[] content) =>
        await blobs.GetBlobContainerClient(BlobContainers.Imports).GetBlobClient(AdjustmentImport.Prefix + name).UploadAsync(new BinaryData(content), overwrite: true);

    /// <summary>The import's result file, or null when there is none.</summary>
    public async Task<string?> ReadImportResultAsync(string name)
    {
        var result = blobs.GetBlobContainerClient(BlobContainers.Results).GetBlobClient($"{AdjustmentImport.Prefix}{name}.result.csv");
        try
        {
            return (await result.DownloadContentAsync()).Value.Content.ToString().TrimStart('\uFEFF');
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}

using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Points.Functions.Storage;

/// <summary>Blob and queue clients: a connection string locally, the managed identity in Azure.</summary>
public sealed class BlobStorage
{
    private readonly BlobOptions _options;

    /// <param name="extraPolicies">
    /// <see cref="HttpPipelinePolicy"/>s registered in DI, added to both clients once per call (above the SDK's own
    /// retries). Production registers none; the fault-injection harness registers its own.
    /// </param>
    public BlobStorage(IOptions<BlobOptions> options, IEnumerable<HttpPipelinePolicy> extraPolicies)
    {
        _options = options.Value;
        var blobOptions = new BlobClientOptions();
        var queueOptions = new QueueClientOptions();
        foreach (var policy in extraPolicies)
        {
            blobOptions.AddPolicy(policy, HttpPipelinePosition.PerCall);
            queueOptions.AddPolicy(policy, HttpPipelinePosition.PerCall);
        }
        if (_options.ConnectionString is { Length: > 0 } connectionString)
        {
            Blobs = new BlobServiceClient(connectionString, blobOptions);
            Queues = new QueueServiceClient(connectionString, queueOptions);
        }
        else
        {
            var credential = new DefaultAzureCredential();
            Blobs = new BlobServiceClient(new Uri(_options.BlobServiceUri ?? throw new InvalidOperationException("Storage:BlobServiceUri or Storage:ConnectionString is required.")), credential, blobOptions);
            Queues = new QueueServiceClient(new Uri(_options.QueueServiceUri ?? throw new InvalidOperationException("Storage:QueueServiceUri is required.")), credential, queueOptions);
        }
    }

    public BlobServiceClient Blobs { get; }
    public QueueServiceClient Queues { get; }

    public BlobContainerClient Container(string name) => Blobs.GetBlobContainerClient(name);

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (!_options.CreateIfMissing) return;
        foreach (var name in BlobContainers.All)
        {
            await Container(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
        await Queues.GetQueueClient(BlobContainers.BlobPoisonQueue).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        foreach (var queue in QueueNames.All)
        {
            await Queues.GetQueueClient(_options.QueueName(queue)).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
    }

    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await Container(BlobContainers.Imports).ExistsAsync(cancellationToken);
        }
        catch (Azure.RequestFailedException)
        {
            return false;
        }
        catch (AggregateException)
        {
            return false;
        }
    }
}

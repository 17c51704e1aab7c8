using System.Net;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;
using Points.Functions.Imports;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;
using Reply = Points.Functions.Tests.Infrastructure.Api.Reply;

namespace Points.Functions.Tests.Imports;

/// <summary>
/// The app with a Cosmos handler and a Blob pipeline policy plugged into the storage seams: one holds a delivery after
/// it found no import receipt, the other breaks a download as a process that dies while reading the file does.
/// </summary>
public sealed class OverlappingDeliveriesFixture : AppFixture
{
    public HeldReceiptMiss Receipts { get; } = new();
    public BrokenBlobRead Reads { get; } = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<RequestHandler>(Receipts);
        services.AddSingleton<HttpPipelinePolicy>(Reads);
    }
}

/// <summary>Holds the delivery whose next import-receipt read finds none, until released.</summary>
public sealed class HeldReceiptMiss : RequestHandler
{
    private int _armed;
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once a delivery found no receipt and waits.</summary>
    public Task HoldNextMiss()
    {
        Volatile.Write(ref _armed, 1);
        return _reached.Task;
    }

    public void Release() => _released.TrySetResult();

    public override async Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound && request.Method == HttpMethod.Get
            && request.RequestUri.OriginalString.Contains("/colls/jobs/docs/adjustments-", StringComparison.Ordinal)
            && Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _reached.TrySetResult();
            await _released.Task;
        }
        return response;
    }
}

/// <summary>Breaks the next download of a named blob; other requests pass.</summary>
public sealed class BrokenBlobRead : HttpPipelinePolicy
{
    private string? _blob;

    public void BreakNextReadOf(string blobName) => Volatile.Write(ref _blob, blobName);

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (Volatile.Read(ref _blob) is { } blob && message.Request.Method == RequestMethod.Get
            && message.Request.Uri.Path.EndsWith("/" + blob, StringComparison.Ordinal) && Interlocked.CompareExchange(ref _blob, null, blob) == blob)
        {
            throw new RequestFailedException(0, "The process reading this blob stopped (test).");
        }
        await ProcessNextAsync(message, pipeline);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => ProcessNext(message, pipeline);
}

/// <summary>
/// Test classes whose apps import from <c>imports/adjustments/</c>, which every app sharing the emulators reads: one at a
/// time, so that one app's local trigger runner does not import another's file against its own database.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BlobImportsCollection
{
    public const string Name = "imports/adjustments";
}

/// <summary>Deliveries of one import that overlap, as two instances given the same blob event do.</summary>
[Collection(BlobImportsCollection.Name)]
public sealed class ImportRedeliveryTests(OverlappingDeliveriesFixture app) : IClassFixture<OverlappingDeliveriesFixture>
{
    /// <summary>
    /// Regression (found by the fault-injection harness, seeds 495, 614, 628, 929, 1209 of 1,500): a delivery that had
    /// opened the result file and then failed mid-file replaced the result of a delivery that completed meanwhile with
    /// its own partial file (an empty one, or the header only), and the import's receipt kept any later delivery from
    /// writing it again. OpenWrite emptied the result file when opened and committed whatever was written when
    /// disposed, failure or not.
    /// </summary>
    [Fact]
    public async Task DeliveryFailingMidFile_WhileAnotherCompletes_LeavesTheCompletedResultFile()
    {
        var member = await app.Client().NewMemberAsync();
        var name = Infrastructure.Api.Unique("overlapping-") + ".csv";
        var blobs = new BlobServiceClient(app.Emulators.StorageConnectionString);
        await blobs.GetBlobContainerClient("imports").GetBlobClient(AdjustmentImport.Prefix + name)
            .UploadAsync(BinaryData.FromString($"member_id,points,reason\n{member},10,first\n{member},20,second\n"));

        // The first delivery finds no receipt and is held there; meanwhile the second (another instance) processes the
        // whole file and records its receipt. Then the first goes on, and its process stops while reading the file.
        var held = app.Receipts.HoldNextMiss();
        var failing = InvokeImportAsync(name);
        await held.WaitAsync(TimeSpan.FromSeconds(30));
        AssertInvocationReply(await InvokeImportAsync(name));
        var completed = await ResultAsync(blobs, name);
        app.Reads.BreakNextReadOf(AdjustmentImport.Prefix + name);
        app.Receipts.Release();

        Assert.NotEqual(HttpStatusCode.OK, (await failing).Status);
        Assert.Equal(["applied", "applied"], completed.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[3]));
        Assert.Equal(completed, await ResultAsync(blobs, name));
        Assert.Equal(30, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    private Task<Reply> InvokeImportAsync(string name) =>
        app.Client(apiKey: null).SendRawAsync(HttpMethod.Post, "/" + AdjustmentImport.FunctionName, new StringContent(
            JsonSerializer.Serialize(new { Data = new { blob = "" }, Metadata = new { name = JsonSerializer.Serialize(name) } }), Encoding.UTF8, "application/json"));

    private static async Task<string> ResultAsync(BlobServiceClient blobs, string name) =>
        (await blobs.GetBlobContainerClient("results").GetBlobClient($"{AdjustmentImport.Prefix}{name}.result.csv").DownloadContentAsync()).Value.Content.ToString();
}

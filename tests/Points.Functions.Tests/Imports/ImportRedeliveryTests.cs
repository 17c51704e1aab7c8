using System.Net;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Points.Functions.Imports;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;
using Reply = Points.Functions.Tests.Infrastructure.Api.Reply;

namespace Points.Functions.Tests.Imports;

/// <summary>
/// The app with Blob pipeline policies plugged into the storage seam: one breaks a download as a process that dies
/// while reading the file does, the other holds a delivery as it is about to write its result file.
/// </summary>
public sealed class ImportDeliveriesFixture : AppFixture
{
    public BrokenBlobRead Reads { get; } = new();
    public HeldBlobWrite Writes { get; } = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<HttpPipelinePolicy>(Reads);
        services.AddSingleton<HttpPipelinePolicy>(Writes);
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

/// <summary>Holds the next block written to a named blob until released: a delivery that decided its rows, writing its result file.</summary>
public sealed class HeldBlobWrite : HttpPipelinePolicy
{
    private string? _blob;
    private TaskCompletionSource _reached = new();
    private TaskCompletionSource _released = new();

    /// <summary>Completes once a block written to <paramref name="blobName"/> is held.</summary>
    public Task HoldNextBlockOf(string blobName)
    {
        _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _blob, blobName);
        return _reached.Task;
    }

    public void Release() => _released.TrySetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (Volatile.Read(ref _blob) is { } blob && message.Request.Method == RequestMethod.Put && message.Request.Uri.Query.Contains("comp=block", StringComparison.Ordinal)
            && message.Request.Uri.Path.EndsWith("/" + blob, StringComparison.Ordinal) && Interlocked.CompareExchange(ref _blob, null, blob) == blob)
        {
            _reached.TrySetResult();
            await _released.Task;
        }
        await ProcessNextAsync(message, pipeline);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => ProcessNext(message, pipeline);
}

/// <summary>Deliveries of an import that fail, or overlap as two instances given the same blob event do.</summary>
[Collection(BlobImportsCollection.Name)]
public sealed class ImportRedeliveryTests(ImportDeliveriesFixture app) : IClassFixture<ImportDeliveriesFixture>
{
    /// <summary>
    /// Regression (found by the fault-injection harness, seeds 495, 614, 628, 929, 1209 of 1,500): a delivery that failed
    /// mid-file left an empty or partial result file in place of a complete one. OpenWrite emptied the result file when
    /// it was opened and committed whatever had been written when it was disposed, failure or not; a delivery that had
    /// run meanwhile and recorded its receipt kept any later one from writing the file again.
    /// </summary>
    [Fact]
    public async Task DeliveryFailingMidFile_LeavesTheResultFileAsItWas()
    {
        var member = await app.Client().NewMemberAsync();
        var name = Infrastructure.Api.Unique("failing-") + ".csv";
        var blobs = new BlobServiceClient(app.Emulators.StorageConnectionString);
        var file = blobs.GetBlobContainerClient("imports").GetBlobClient(AdjustmentImport.Prefix + name);
        await file.UploadAsync(BinaryData.FromString($"member_id,points,reason,idempotency_key\n{member},10,first,{name}-1\n"));
        AssertInvocationReply(await InvokeImportAsync(name));
        var completed = await ResultAsync(blobs, name);

        // The file dropped again with more rows; the delivery's process stops while reading it.
        await file.UploadAsync(BinaryData.FromString($"member_id,points,reason,idempotency_key\n{member},10,first,{name}-1\n{member},20,second,{name}-2\n"), overwrite: true);
        app.Reads.BreakNextReadOf(AdjustmentImport.Prefix + name);
        Assert.NotEqual(HttpStatusCode.OK, (await InvokeImportAsync(name)).Status);
        Assert.Equal(completed, await ResultAsync(blobs, name));

        AssertInvocationReply(await InvokeImportAsync(name));
        Assert.Equal(["duplicate", "applied"], (await ResultAsync(blobs, name)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[3]));
        Assert.Equal(30, (await app.Client().GetMemberAsync(member)).Long("balance"));
    }

    /// <summary>
    /// Regression (found by the fault-injection harness, seeds 1012 and 4057 of 10,000): two deliveries of one import ran
    /// at once; one was refused a deduction the other then applied, and the result file of the one that finished last
    /// said "rejected" for a row the ledger had applied. Rows refused are not recorded (a redelivery may apply them),
    /// so only one delivery of a file may decide its rows at a time.
    /// </summary>
    [Fact]
    public async Task DeliveriesAtOnce_TheResultFileSaysWhatTheLedgerDid()
    {
        var member = await app.Client().NewMemberAsync();
        var name = Infrastructure.Api.Unique("at-once-") + ".csv";
        var blobs = new BlobServiceClient(app.Emulators.StorageConnectionString);
        await blobs.GetBlobContainerClient("imports").GetBlobClient(AdjustmentImport.Prefix + name)
            .UploadAsync(BinaryData.FromString($"member_id,points,reason\n{member},-50,deduction\n"));

        // The first delivery decides the row while the member has no points (refused) and is held before it writes its
        // result; the member then earns 50; a second delivery runs meanwhile (or waits for the first).
        var held = app.Writes.HoldNextBlockOf($"{AdjustmentImport.Prefix}{name}.result.csv");
        var first = InvokeImportAsync(name);
        await held.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.Created, (await app.Client().AdjustAsync(member, 50)).Status);
        var second = InvokeImportAsync(name);
        await Task.WhenAny(second, Task.Delay(TimeSpan.FromSeconds(3)));
        app.Writes.Release();
        AssertInvocationReply(await first);
        AssertInvocationReply(await second);

        var status = (await ResultAsync(blobs, name)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries)[1].Split(',')[3];
        var deducted = (await HistoryAsync(app.Client(), member)).Any(e => e.Type == "adjust" && e.Points == -50);
        Assert.Equal(deducted, status is "applied" or "duplicate");
    }

    private Task<Reply> InvokeImportAsync(string name) =>
        app.Client(apiKey: null).SendRawAsync(HttpMethod.Post, "/" + AdjustmentImport.FunctionName, new StringContent(
            JsonSerializer.Serialize(new { Data = new { blob = "" }, Metadata = new { name = JsonSerializer.Serialize(name) } }), Encoding.UTF8, "application/json"));

    private static async Task<string> ResultAsync(BlobServiceClient blobs, string name) =>
        (await blobs.GetBlobContainerClient("results").GetBlobClient($"{AdjustmentImport.Prefix}{name}.result.csv").DownloadContentAsync()).Value.Content.ToString();
}

using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Hosting;

/// <summary>
/// The app with the local trigger runner reading a test declaration: a blob function whose handler always fails, and
/// one that succeeds, to see receipts, retries and the poison queue work as the Functions host's do.
/// </summary>
public sealed class FailingFunctionFixture : AppFixture
{
    public string Declarations { get; } = Directory.CreateTempSubdirectory("points-declarations-").FullName;
    public int FailingCalls;
    public List<string> Received { get; } = [];

    protected override void Configure(Dictionary<string, string?> settings)
    {
        foreach (var (name, path) in new[] { ("AlwaysFails", "imports/fail-test/{name}"), ("Counts", "imports/count-test/{name}") })
        {
            Directory.CreateDirectory(Path.Combine(Declarations, name));
            File.WriteAllText(Path.Combine(Declarations, name, "function.json"),
                $$"""{ "bindings": [ { "name": "blob", "type": "blobTrigger", "direction": "in", "path": "{{path}}", "dataType": "binary" } ] }""");
        }
        settings["LocalTriggers:Enabled"] = "true";
        settings["LocalTriggers:BlobPollMilliseconds"] = "200";
        settings["LocalTriggers:DeclarationsPath"] = Declarations;
    }

    protected override void ConfigureApp(WebApplication app)
    {
        app.MapPost("/AlwaysFails", () =>
        {
            Interlocked.Increment(ref FailingCalls);
            return Results.StatusCode(500);
        });
        app.MapPost("/Counts", async (HttpRequest request) =>
        {
            using var payload = await JsonDocument.ParseAsync(request.Body);
            var content = Convert.FromBase64String(payload.RootElement.GetProperty("Data").GetProperty("blob").GetString()!);
            var name = payload.RootElement.GetProperty("Metadata").GetProperty("name").GetString()!;
            lock (Received) Received.Add($"{JsonSerializer.Deserialize<string>(name)}={System.Text.Encoding.UTF8.GetString(content)}");
            return Results.Json(new { Outputs = new { }, Logs = Array.Empty<string>(), ReturnValue = (object?)null });
        });
    }
}

public sealed class LocalTriggerRunnerTests(FailingFunctionFixture app) : IClassFixture<FailingFunctionFixture>
{
    [Fact]
    public async Task BlobWhoseFunctionKeepsFailing_IsTriedFiveTimes_ThenReportedOnThePoisonQueue()
    {
        var blobs = new BlobServiceClient(app.Emulators.StorageConnectionString);
        var name = Guid.NewGuid().ToString("N") + ".csv";
        await blobs.GetBlobContainerClient("imports").GetBlobClient("fail-test/" + name).UploadAsync(BinaryData.FromString("x"));
        var poison = new QueueServiceClient(app.Emulators.StorageConnectionString).GetQueueClient("webjobs-blobtrigger-poison");

        var message = await Eventually.WaitForAsync(async () =>
        {
            var messages = (await poison.ReceiveMessagesAsync(32)).Value;
            return messages.Select(m => m.Body.ToString()).FirstOrDefault(b => b.Contains(name, StringComparison.Ordinal));
        }, "the blob's report on webjobs-blobtrigger-poison");

        using var body = JsonDocument.Parse(message);
        Assert.Equal(("Host.Functions.AlwaysFails", "imports", "fail-test/" + name),
            (body.RootElement.GetProperty("FunctionId").GetString(), body.RootElement.GetProperty("ContainerName").GetString(), body.RootElement.GetProperty("BlobName").GetString()));
        await Task.Delay(1000);
        Assert.Equal(5, app.FailingCalls);
    }

    [Fact]
    public async Task Blob_IsDeliveredOncePerVersion_WithItsContentInlineAndItsName()
    {
        var blob = new BlobServiceClient(app.Emulators.StorageConnectionString).GetBlobContainerClient("imports").GetBlobClient("count-test/a.csv");
        await blob.UploadAsync(BinaryData.FromString("v1"), overwrite: true);
        await Eventually.WaitForAsync(() => app.Received.Contains("a.csv=v1"), "the delivery of a.csv v1");
        await Task.Delay(1000); // several more polls: no second delivery of the same version
        await blob.UploadAsync(BinaryData.FromString("v2"), overwrite: true);
        await Eventually.WaitForAsync(() => app.Received.Contains("a.csv=v2"), "the delivery of a.csv v2");
        await Task.Delay(1000);

        lock (app.Received) Assert.Equal(["a.csv=v1", "a.csv=v2"], app.Received);
    }
}

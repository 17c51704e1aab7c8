using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Points.Functions.Hosting;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Ranks;

/// <summary>
/// The local trigger runner's queue triggers, against test declarations on queues of this app only: one function always
/// fails, one records what it receives.
/// </summary>
public sealed class QueueTriggerFixture : RanksFixture
{
    public const string FailingQueue = "fail-jobs";
    public const string CountingQueue = "count-jobs";

    public string Declarations { get; } = Directory.CreateTempSubdirectory("points-queue-declarations-").FullName;
    public ConcurrentQueue<int> FailingDequeueCounts { get; } = new();
    public ConcurrentQueue<(string Text, JsonElement Metadata)> Received { get; } = new();

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        foreach (var (name, queue) in new[] { ("AlwaysFailsJob", FailingQueue), ("RecordsJob", CountingQueue) })
        {
            Directory.CreateDirectory(Path.Combine(Declarations, name));
            File.WriteAllText(Path.Combine(Declarations, name, "function.json"),
                $$"""{ "bindings": [ { "name": "item", "type": "queueTrigger", "direction": "in", "queueName": "{{queue}}", "connection": "AzureWebJobsStorage" } ] }""");
        }
        settings["LocalTriggers:Enabled"] = "true";
        settings["LocalTriggers:QueuePollMilliseconds"] = "200";
        settings["LocalTriggers:DeclarationsPath"] = Declarations;
    }

    protected override void ConfigureApp(WebApplication app)
    {
        app.MapPost("/AlwaysFailsJob", async (HttpRequest request) =>
        {
            var payload = await InvocationPayload.ReadAsync(request.Body, keepData: true, request.HttpContext.RequestAborted);
            FailingDequeueCounts.Enqueue(int.Parse(payload.MetadataString("DequeueCount")!, System.Globalization.CultureInfo.InvariantCulture));
            return Results.StatusCode(500);
        });
        app.MapPost("/RecordsJob", async (HttpRequest request) =>
        {
            var payload = await InvocationPayload.ReadAsync(request.Body, keepData: true, request.HttpContext.RequestAborted);
            Received.Enqueue((InvocationPayload.Unwrap(payload.Data.GetProperty("item"))!, payload.Metadata));
            return InvocationReply.Ok("recorded");
        });
    }
}

public sealed class LocalTriggerRunnerQueueTests(QueueTriggerFixture app) : IClassFixture<QueueTriggerFixture>
{
    [Fact]
    public async Task QueueMessageWhoseFunctionKeepsFailing_IsTriedFiveTimes_ThenMovedToThePoisonQueue()
    {
        var queue = app.Queue(QueueTriggerFixture.FailingQueue);
        var poison = app.Queue(QueueNames.PoisonOf(QueueTriggerFixture.FailingQueue));
        await queue.CreateIfNotExistsAsync();
        var raw = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"job":"never works"}"""));
        await queue.SendMessageAsync(raw);

        await Eventually.WaitForAsync(async () => await poison.ExistsAsync() && (await poison.PeekMessagesAsync()).Value.Any(), "the message on the poison queue");

        Assert.Equal(raw, (await poison.PeekMessagesAsync()).Value.Single().Body.ToString()); // the message as it was
        Assert.Equal([1, 2, 3, 4, 5], app.FailingDequeueCounts.Order());
        // The runner puts the message on the poison queue, then deletes it from its own: seen on the first, it may still
        // be on the second for a moment.
        await Eventually.WaitForAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the message off its queue");
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        await Task.Delay(1000);
        Assert.Equal(5, app.FailingDequeueCounts.Count); // no sixth attempt
    }

    [Fact]
    public async Task QueueMessage_IsDeliveredDecoded_WithTheHostsMetadata_AndDeletedAfterSuccess()
    {
        var queue = app.Queue(QueueTriggerFixture.CountingQueue);
        await queue.CreateIfNotExistsAsync();
        var sent = (await queue.SendMessageAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"hello":"世界"}""")))).Value;

        await Eventually.WaitForAsync(() => !app.Received.IsEmpty, "the runner to deliver the message");
        await Eventually.WaitForAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the runner to delete the delivered message");

        var (text, metadata) = Assert.Single(app.Received);
        Assert.Equal("""{"hello":"世界"}""", text);
        Assert.Equal(sent.MessageId, InvocationPayload.Unwrap(metadata.GetProperty("Id")));
        Assert.Equal("1", InvocationPayload.Unwrap(metadata.GetProperty("DequeueCount")));
        foreach (var key in new[] { "InsertionTime", "ExpirationTime", "NextVisibleTime", "PopReceipt" })
        {
            Assert.False(string.IsNullOrEmpty(InvocationPayload.Unwrap(metadata.GetProperty(key))), key);
        }
        Assert.Equal("RecordsJob", metadata.GetProperty("sys").GetProperty("MethodName").GetString());
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Time.Testing;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;
using Reply = Points.Functions.Tests.Infrastructure.Api.Reply;

namespace Points.Functions.Tests.Ranks;

/// <summary>
/// The app with queues of its own (a prefix per app, since all test apps share one Azurite), so the shards a test's jobs
/// send are the ones it delivers. Queue messages are delivered by the test itself, as the Functions host would.
/// </summary>
public class RanksFixture : AppFixture
{
    public RanksFixture() { }

    protected RanksFixture(DateTimeOffset start) : base(start) { }

    /// <summary>The app's <see cref="AppFixture.Clock"/>, by the name the ranks tests use.</summary>
    public FakeTimeProvider Time => Clock;

    public string QueuePrefix => Database + "-";

    /// <summary>This app's queue <paramref name="name"/> (the name as declared, without the app's prefix).</summary>
    public QueueClient Queue(string name) => new QueueServiceClient(Emulators.StorageConnectionString).GetQueueClient(QueuePrefix + name);

    public QueueClient LedgerJobs => Queue(QueueNames.LedgerJobs);

    public QueueClient LedgerJobsPoison => Queue(QueueNames.PoisonOf(QueueNames.LedgerJobs));

    protected override void Configure(Dictionary<string, string?> settings) => settings["Storage:QueuePrefix"] = QueuePrefix;
}

/// <summary>A ranks app whose clock starts on 2025-02-27 00:15 JST: the anniversary examples need a common year before 2026.</summary>
public sealed class EarlyClockFixture() : RanksFixture(EarlyStart)
{
    public static readonly DateTimeOffset EarlyStart = new(2025, 2, 27, 0, 15, 0, Jst);
}

/// <summary>Drives the periodic functions the way the Functions host does: timer invocations, queue deliveries.</summary>
internal static class PeriodicJobsKit
{
    public static DateTimeOffset JstAt(int year, int month, int day, int hour = 0, int minute = 0) => new(year, month, day, hour, minute, 0, Jst);

    /// <summary>POST /{function} with the timer payload (facts §1.5) and the host's invocation id header; checks the reply.</summary>
    public static async Task<Reply> InvokeTimerAsync(AppFixture fixture, string function, bool isPastDue = false)
    {
        var now = fixture.Clock.GetUtcNow();
        var body = JsonSerializer.Serialize(new
        {
            Data = new
            {
                timer = new
                {
                    Schedule = new { AdjustForDST = true },
                    ScheduleStatus = new { Last = now.AddDays(-1).ToString("O"), Next = now.AddDays(1).ToString("O"), LastUpdated = now.AddDays(-1).ToString("O") },
                    IsPastDue = isPastDue,
                },
            },
            Metadata = new { sys = new { MethodName = function, UtcNow = now.ToString("O"), RandGuid = Guid.NewGuid().ToString() } },
        });
        using var client = fixture.Client(apiKey: null);
        var reply = await client.SendRawAsync(HttpMethod.Post, "/" + function, new StringContent(body, Encoding.UTF8, "application/json"),
            headers: new Dictionary<string, string> { ["X-Azure-Functions-InvocationId"] = Guid.NewGuid().ToString() });
        AssertInvocationReply(reply);
        return reply;
    }

    /// <summary>Takes every message off the app's <c>ledger-jobs</c> queue: (message, decoded text).</summary>
    public static async Task<List<(QueueMessage Message, string Text)>> TakeShardsAsync(RanksFixture fixture)
    {
        var taken = new List<(QueueMessage, string)>();
        while (true)
        {
            var messages = (await fixture.LedgerJobs.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
            if (messages.Length == 0) return taken;
            foreach (var message in messages)
            {
                taken.Add((message, Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString()))));
                await fixture.LedgerJobs.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }
    }

    /// <summary>
    /// POST /ProcessLedgerJobs with the host's queue payload (facts §1.6), in the encoding real hosts were seen to use
    /// (§1.4): the message text JSON-encoded twice, metadata values as JSON-encoded text.
    /// </summary>
    public static async Task<Reply> DeliverAsync(RanksFixture fixture, QueueMessage message, string text, int dequeueCount = 1)
    {
        var body = JsonSerializer.Serialize(new
        {
            Data = new { shard = JsonSerializer.Serialize(text) },
            Metadata = new
            {
                DequeueCount = dequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Id = JsonSerializer.Serialize(message.MessageId),
                InsertionTime = JsonSerializer.Serialize(message.InsertedOn),
                ExpirationTime = JsonSerializer.Serialize(message.ExpiresOn),
                NextVisibleTime = JsonSerializer.Serialize(message.NextVisibleOn),
                PopReceipt = JsonSerializer.Serialize(message.PopReceipt),
                sys = new { MethodName = "ProcessLedgerJobs", UtcNow = DateTimeOffset.UtcNow.ToString("O"), RandGuid = Guid.NewGuid().ToString() },
            },
        });
        using var client = fixture.Client(apiKey: null);
        return await client.SendRawAsync(HttpMethod.Post, "/ProcessLedgerJobs", new StringContent(body, Encoding.UTF8, "application/json"));
    }

    /// <summary>Delivers every shard waiting on the queue, each <paramref name="times"/> times (a redelivery is normal for a queue).</summary>
    public static async Task<List<(QueueMessage Message, string Text)>> DeliverAllAsync(RanksFixture fixture, int times = 1)
    {
        var shards = await TakeShardsAsync(fixture);
        foreach (var (message, text) in shards)
        {
            for (var attempt = 1; attempt <= times; attempt++)
            {
                AssertInvocationReply(await DeliverAsync(fixture, message, text, attempt));
            }
        }
        return shards;
    }

    /// <summary>The Cosmos requests of a timer run, the shards it sent, and the Cosmos requests of their first delivery.</summary>
    public sealed record MeasuredRun(long TimerRequests, List<(QueueMessage Message, string Text)> Shards, long ShardRequests);

    /// <summary>
    /// Runs a timer function and delivers each shard it sent, counting the Cosmos requests of both; then delivers each
    /// shard again (dequeue count 2), as a queue may, uncounted.
    /// </summary>
    public static async Task<MeasuredRun> MeasuredRunAsync(RanksFixture fixture, string function)
    {
        var counter = fixture.Service<CosmosRequestCounter>();
        var before = counter.Count;
        await InvokeTimerAsync(fixture, function);
        var timerRequests = counter.Count - before;
        var shards = await TakeShardsAsync(fixture);
        before = counter.Count;
        foreach (var (message, text) in shards) AssertInvocationReply(await DeliverAsync(fixture, message, text));
        var shardRequests = counter.Count - before;
        foreach (var (message, text) in shards) AssertInvocationReply(await DeliverAsync(fixture, message, text, dequeueCount: 2));
        return new MeasuredRun(timerRequests, shards, shardRequests);
    }

    /// <summary>Runs a timer function and delivers the shards it sent; returns them.</summary>
    public static async Task<List<(QueueMessage Message, string Text)>> RunAsync(RanksFixture fixture, string function, int deliveries = 1)
    {
        await InvokeTimerAsync(fixture, function);
        return await DeliverAllAsync(fixture, deliveries);
    }

    public static async Task<Reply> PurchaseAsync(HttpClient client, string member, long amountYen)
    {
        var reply = await client.SendAsync(HttpMethod.Post, "/api/v1/events",
            new { eventId = "e-" + Guid.NewGuid().ToString("N")[..12], memberId = member, type = "purchase", amount = amountYen });
        Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
        return reply;
    }

    public static async Task<string> RankOfAsync(HttpClient client, string member) =>
        (await client.GetMemberAsync(member)).Body.GetProperty("rank").GetString()!;

    /// <summary>The member's entries granted by a job: (reference, points), oldest first.</summary>
    public static async Task<List<(string Reference, long Points)>> GrantsAsync(HttpClient client, string member, string referencePrefix) =>
        (await HistoryAsync(client, member)).Where(e => e.Type == "earn" && e.Reference?.StartsWith(referencePrefix, StringComparison.Ordinal) == true)
            .OrderBy(e => e.Seq).Select(e => (e.Reference!, e.Points)).ToList();

    /// <summary>Members listed in one index list (a single-partition query, as the jobs read it).</summary>
    public static async Task<List<string>> ListedAsync(RanksFixture fixture, string list)
    {
        var members = new List<string>();
        await foreach (var page in fixture.Service<Points.Functions.Storage.MemberLists>().ReadPagesAsync(list, CancellationToken.None))
        {
            members.AddRange(page.Select(m => m.Value));
        }
        return members;
    }
}

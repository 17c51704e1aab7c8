using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Points.Benchmarks.Infrastructure;
using Points.Functions.Storage;
using Points.Functions.Webhooks;

namespace Points.Benchmarks.Scenarios;

/// <summary>
/// 8. Outbound webhooks (issue 16): events/s through the sender to a partner endpoint on loopback. 1,000 members each
/// get 5 grants (5,000 <c>points.earned</c> events, queued by the commits' outbox); then the <c>webhooks</c> queue is
/// worked as the Functions host would, 16 messages at once, until it is empty. The receiver checks every signature.
/// </summary>
public sealed class WebhookScenario : IScenario
{
    private const string Scenario = "8 webhooks";
    private const int Concurrency = 16;

    public int Number => 8;
    public string Title => "Webhook deliveries to a loopback endpoint";
    public bool NeedsEmulators => true;

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context)
    {
        var (members, grants) = context.Quick ? (200, 5) : (1_000, 5);
        var database = context.DatabaseFor("s8-webhooks");
        var figures = new List<Figure>();
        await using var receiver = await Receiver.StartAsync();
        await using (var app = await BenchApp.StartAsync(context.Emulators, database, TimeProvider.System))
        {
            using var client = app.Client();
            using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/admin/webhooks")
            {
                Content = JsonContent.Create(new { partner = "bench", url = receiver.Url, eventTypes = new[] { "points.earned" } }),
            };
            create.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
            using var created = await client.SendAsync(create);
            receiver.Secret = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;

            BenchContext.Log($"8: {members:N0} members × {grants} grants");
            await Parallel.ForEachAsync(Enumerable.Range(0, members), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
            {
                var member = $"wh8-{i:D5}";
                using var put = await client.PutAsJsonAsync($"/api/v1/members/{member}", new { }, ct);
                for (var g = 0; g < grants; g++)
                {
                    using var grant = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/admin/members/{member}/adjustments")
                    {
                        Content = JsonContent.Create(new { points = 10, reason = "bench" }),
                    };
                    grant.Headers.Add("Idempotency-Key", $"g{g}");
                    using var answer = await client.SendAsync(grant, ct);
                    answer.EnsureSuccessStatusCode();
                }
            });

            BenchContext.Log("8: working the webhooks queue");
            var sender = app.Service<WebhookSender>();
            var queue = app.Service<BlobStorage>().Queues.GetQueueClient(app.Service<Microsoft.Extensions.Options.IOptions<BlobOptions>>().Value.QueueName(QueueNames.Webhooks));
            var before = app.Traffic.Snapshot();
            var watch = Stopwatch.StartNew();
            var messages = 0;
            var expected = members * grants;
            var idleSince = Stopwatch.StartNew();
            // Until every event is in, or nothing came for a while (a message that found the subscription's slots taken
            // comes back a moment later, as on Azure).
            while (receiver.Received + receiver.BadSignatures < expected && idleSince.Elapsed < TimeSpan.FromSeconds(30))
            {
                var batch = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(5))).Value;
                if (batch.Length == 0)
                {
                    await Task.Delay(100);
                    continue;
                }
                idleSince.Restart();
                await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (message, ct) =>
                {
                    var text = Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString()));
                    await sender.ProcessAsync(WebhooksFeature.ParseMessage(text)!, ct);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct);
                });
                messages += batch.Length;
            }
            watch.Stop();
            var requests = (app.Traffic.Snapshot() - before).Total;
            if (receiver.Received != expected || receiver.BadSignatures > 0)
                throw new InvalidOperationException($"The receiver took {receiver.Received} events ({receiver.BadSignatures} badly signed); {expected} were sent.");
            var perSecond = receiver.Received / watch.Elapsed.TotalSeconds;
            figures.Add(Figure.Context(Scenario, "events delivered/s", perSecond, "/s",
                $"{receiver.Received:N0} events of {members:N0} members in {watch.Elapsed.TotalSeconds:0.0} s, {messages:N0} queue messages, {Concurrency} at once"));
            figures.Add(Figure.Context(Scenario, "Cosmos requests per event delivered", (double)requests / expected, "req",
                "stream lease and moves, log item read and record, per event; the subscription per message"));
            context.Details["8"] = new { members, events = expected, seconds = watch.Elapsed.TotalSeconds, messages, requests };
        }
        await context.DropDatabaseAsync(database);
        return figures;
    }

    /// <summary>A partner's endpoint on loopback that takes every delivery (200) and checks its signature.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _received, _bad;

        private Receiver(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";
        public string Secret { get; set; } = "";
        public int Received => Volatile.Read(ref _received);
        public int BadSignatures => Volatile.Read(ref _bad);

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var receiver = new Receiver(builder.Build());
            receiver._app.MapPost("/hook", async (HttpContext http) =>
            {
                using var body = new MemoryStream();
                await http.Request.Body.CopyToAsync(body);
                var ok = WebhookSignature.Verify(receiver.Secret, http.Request.Headers[WebhookSignature.IdHeader].ToString(),
                    http.Request.Headers[WebhookSignature.TimestampHeader].ToString(), body.ToArray(), http.Request.Headers[WebhookSignature.SignatureHeader].ToString(),
                    DateTimeOffset.UtcNow, WebhookSignature.ToleranceDefault);
                Interlocked.Increment(ref ok ? ref receiver._received : ref receiver._bad);
                return Results.Ok();
            });
            await receiver._app.StartAsync();
            receiver.Url = new Uri(BenchApp.AddressOf(receiver._app), "hook").ToString();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NCrontab;
using Points.Functions.Hosting;
using Points.Functions.Storage;

namespace Points.Tools.LocalTriggers;

/// <summary>
/// Development only: does what the Functions host does for the non-HTTP functions, from the same function.json
/// declarations. Timers fire on their NCRONTAB schedules (UTC); a new or changed blob under a blob trigger's path is
/// sent to its function once (a receipt per blob name and ETag in <c>azure-webjobs-hosts</c>), retried up to five
/// attempts, then reported on the <c>webjobs-blobtrigger-poison</c> queue. A queue trigger's queue is polled; each
/// message (base64, the host's default encoding) goes to its function, is deleted after a 2xx, becomes visible again
/// after a failure, and after its fifth dequeue goes to <c>{queue}-poison</c>. A Cosmos DB trigger's container is followed
/// through its change feed (<see cref="ChangeFeedTrigger"/>). Invocations use the host's payload shapes and POST to
/// <c>/{FunctionName}</c> over HTTP on this app's own address.
/// </summary>
public sealed partial class LocalTriggerRunner(
    IOptions<LocalTriggerOptions> options, BlobStorage blobs, IOptions<BlobOptions> storageOptions, IConfiguration configuration, IServer server,
    IHostApplicationLifetime lifetime, ILogger<LocalTriggerRunner> log) : BackgroundService
{
    /// <summary>Messages taken at once, and processed in parallel: the host's default <c>batchSize</c>.</summary>
    public const int QueueBatchSize = 16;
    /// <summary>A message being processed stays invisible this long: the function timeout (host.json <c>functionTimeout</c>).</summary>
    public static readonly TimeSpan QueueMessageLease = TimeSpan.FromMinutes(10);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(15) };
    private readonly Dictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CosmosClient> _cosmosClients = new(StringComparer.Ordinal);
    private readonly List<ChangeFeedTrigger> _changeFeeds = [];
    private IReadOnlyList<FunctionDeclaration> _declarations = [];

    /// <summary>
    /// Reads the declarations and fixes where each change feed starts before the host reports the app started (the
    /// Functions host starts its listeners first too), so a document written once the app is up is never missed.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.IsActive)
        {
            _declarations = FunctionDeclarations.Load(options.Value.DeclarationsPath ?? FunctionDeclarations.DefaultDirectory);
            foreach (var declaration in _declarations.Where(d => d.Trigger?.Type == "cosmosDBTrigger"))
            {
                var feed = ChangeFeedTrigger.For(declaration, CosmosClientFor, configuration, options.Value, _http, log);
                await feed.TryStartAsync(cancellationToken);
                _changeFeeds.Add(feed);
            }
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.IsActive) return;
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        _http.BaseAddress = new Uri(server.Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var timers = _declarations.Where(d => d.Trigger?.Type == "timerTrigger").Select(d => RunTimerAsync(d, stoppingToken));
        var queues = _declarations.Where(d => d.Trigger?.Type == "queueTrigger").Select(d => PollQueueAsync(d, d.Trigger!.QueueName!, stoppingToken));
        var changeFeeds = _changeFeeds.Select(f => f.RunAsync(stoppingToken));
        await Task.WhenAll([.. timers, .. queues, .. changeFeeds, PollBlobsAsync(stoppingToken)]);
    }

    public override void Dispose()
    {
        foreach (var client in _cosmosClients.Values) client.Dispose();
        _http.Dispose();
        base.Dispose();
    }

    /// <summary>One client per connection named by the Cosmos DB triggers (usually just <c>Cosmos</c>).</summary>
    private CosmosClient CosmosClientFor(string connection)
    {
        if (!_cosmosClients.TryGetValue(connection, out var client))
        {
            _cosmosClients[connection] = client = ChangeFeedTrigger.CreateClient(configuration, connection);
        }
        return client;
    }

    /// <summary>Invokes a timer function now, as the host's admin "run" does (used by <c>POST /admin/functions/{name}</c>).</summary>
    public async Task<HttpResponseMessage> RunTimerNowAsync(string functionName, CancellationToken cancellationToken)
    {
        var declaration = _declarations.FirstOrDefault(d => d.Name == functionName && d.Trigger?.Type == "timerTrigger")
            ?? throw new ArgumentException($"No timer function '{functionName}'.", nameof(functionName));
        var now = DateTimeOffset.UtcNow;
        return await InvokeTimerAsync(declaration, now, now, isPastDue: false, cancellationToken);
    }

    private async Task RunTimerAsync(FunctionDeclaration declaration, CancellationToken stoppingToken)
    {
        var schedule = CrontabSchedule.Parse(declaration.Trigger!.Schedule!, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        var last = DateTimeOffset.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = new DateTimeOffset(schedule.GetNextOccurrence(last.UtcDateTime), TimeSpan.Zero);
            var wait = next - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, stoppingToken);
            using var response = await InvokeTimerAsync(declaration, last, next, isPastDue: false, stoppingToken);
            LogInvoked(declaration.Name, (int)response.StatusCode);
            last = next;
        }
    }

    private Task<HttpResponseMessage> InvokeTimerAsync(FunctionDeclaration declaration, DateTimeOffset last, DateTimeOffset next, bool isPastDue,
        CancellationToken cancellationToken)
    {
        var payload = new Dictionary<string, object>
        {
            ["Data"] = new Dictionary<string, object>
            {
                [declaration.Trigger!.Name] = new
                {
                    Schedule = new { AdjustForDST = true },
                    ScheduleStatus = new { Last = last, Next = next, LastUpdated = last },
                    IsPastDue = isPastDue,
                },
            },
            ["Metadata"] = new { sys = Sys(declaration.Name) },
        };
        return _http.PostAsync("/" + declaration.Name, new StringContent(JsonSerializer.Serialize(payload), Encoding.UTF8, "application/json"), cancellationToken);
    }

    private async Task PollBlobsAsync(CancellationToken stoppingToken)
    {
        var triggers = _declarations.Where(d => d.Trigger?.Type == "blobTrigger").ToList();
        if (triggers.Count == 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.BlobPollMilliseconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var declaration in triggers)
            {
                try
                {
                    await ScanAsync(declaration, stoppingToken);
                }
                catch (Azure.RequestFailedException e)
                {
                    LogScanFailed(declaration.Name, e.Status);
                }
            }
        }
    }

    private async Task ScanAsync(FunctionDeclaration declaration, CancellationToken cancellationToken)
    {
        // "imports/adjustments/{name}" → container "imports", prefix "adjustments/".
        var path = declaration.Trigger!.Path!;
        var container = path[..path.IndexOf('/', StringComparison.Ordinal)];
        var prefix = path[(container.Length + 1)..path.IndexOf('{', StringComparison.Ordinal)];
        var source = blobs.Container(container);
        var receipts = blobs.Container(BlobContainers.Hosts);
        await foreach (var item in source.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix + options.Value.BlobNamePrefix, cancellationToken))
        {
            // One blob's failure is that blob's failed attempt, never the scan's: the blobs after it are still delivered.
            var etag = item.Properties.ETag!.Value.ToString().Trim('"');
            var receipt = receipts.GetBlobClient($"blobreceipts/{options.Value.HostId}/{declaration.Name}/{container}/{ReceiptPathOf(item.Name)}/{etag}");
            try
            {
                if (await receipt.ExistsAsync(cancellationToken)) continue;
                using var response = await InvokeBlobAsync(declaration, source.GetBlobClient(item.Name), item, prefix, cancellationToken);
                LogInvoked(declaration.Name, (int)response.StatusCode);
                if (response.IsSuccessStatusCode)
                {
                    await receipt.UploadAsync(BinaryData.FromString(""), overwrite: true, cancellationToken);
                    _attempts.Remove(AttemptKey(declaration, item.Name, etag));
                    continue;
                }
            }
            catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or IOException
                or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The blob could not be read (the host's binding would fail the same way), or the app did not answer.
                LogBlobAttemptFailed(declaration.Name, item.Name, e.GetType().Name);
            }
            try
            {
                await CountFailedAttemptAsync(declaration, container, item.Name, etag, receipt, cancellationToken);
            }
            catch (Azure.RequestFailedException e)
            {
                LogScanFailed(declaration.Name, e.Status);
            }
        }
    }

    private static string AttemptKey(FunctionDeclaration declaration, string blob, string etag) => $"{declaration.Name}|{blob}|{etag}";

    /// <summary>After the host's number of attempts, the blob is reported on the poison queue and not delivered again.</summary>
    private async Task CountFailedAttemptAsync(FunctionDeclaration declaration, string container, string blob, string etag, BlobClient receipt,
        CancellationToken cancellationToken)
    {
        var attemptKey = AttemptKey(declaration, blob, etag);
        var attempts = _attempts[attemptKey] = _attempts.GetValueOrDefault(attemptKey) + 1;
        if (attempts < options.Value.BlobAttemptsMax) return;
        var poison = JsonSerializer.Serialize(new { FunctionId = $"Host.Functions.{declaration.Name}", BlobType = "BlockBlob", ContainerName = container, BlobName = blob, ETag = etag });
        await blobs.Queues.GetQueueClient(BlobContainers.BlobPoisonQueue).SendMessageAsync(poison, cancellationToken);
        await receipt.UploadAsync(BinaryData.FromString("poison"), overwrite: true, cancellationToken);
        _attempts.Remove(attemptKey);
        LogPoisoned(declaration.Name, attempts, blob);
    }

    /// <summary>
    /// A blob's name as a path of its receipt: as it is, unless a client would resolve it to another path (an empty,
    /// <c>.</c> or <c>..</c> segment, a backslash): then a hash of it, so the receipt is that blob's own.
    /// </summary>
    private static string ReceiptPathOf(string blobName) =>
        blobName.Contains('\\') || blobName.EndsWith('.') || blobName.Split('/').Any(s => s is "" or "." or "..")
            ? "~" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(blobName)))
            : blobName;

    /// <summary>The host sends the blob inline as base64 (dataType binary); it is streamed here, not buffered.</summary>
    private Task<HttpResponseMessage> InvokeBlobAsync(FunctionDeclaration declaration, BlobClient blob, BlobItem item, string prefix,
        CancellationToken cancellationToken)
    {
        var name = item.Name[prefix.Length..];
        var metadata = JsonSerializer.Serialize(new
        {
            name = JsonSerializer.Serialize(name),
            Uri = JsonSerializer.Serialize(blob.Uri.ToString()),
            Properties = new { ETag = item.Properties.ETag.ToString(), item.Properties.ContentLength, item.Properties.LastModified },
            Metadata = new Dictionary<string, string>(),
            sys = Sys(declaration.Name),
        });
        var content = new InlineBlobContent(blob, declaration.Trigger!.Name, metadata);
        return _http.PostAsync("/" + declaration.Name, content, cancellationToken);
    }

    private async Task PollQueueAsync(FunctionDeclaration declaration, string declaredQueue, CancellationToken stoppingToken)
    {
        var queueName = storageOptions.Value.QueueName(declaredQueue);
        var queue = blobs.Queues.GetQueueClient(queueName);
        var poison = blobs.Queues.GetQueueClient(storageOptions.Value.QueueName(QueueNames.PoisonOf(declaredQueue)));
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.QueuePollMilliseconds));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                while (true) // Drain what is visible before waiting for the next tick.
                {
                    QueueMessage[] messages = (await queue.ReceiveMessagesAsync(QueueBatchSize, QueueMessageLease, stoppingToken)).Value;
                    if (messages.Length == 0) break;
                    await Task.WhenAll(messages.Select(m => DeliverAsync(declaration, queue, poison, m, stoppingToken)));
                }
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404)
            {
                // The queue does not exist yet: nothing to deliver (the host polls on quietly as well).
            }
            catch (Azure.RequestFailedException e)
            {
                LogScanFailed(declaration.Name, e.Status);
            }
        }
    }

    /// <summary>What the host's queue processor does with one message: invoke, then delete, release or poison it.</summary>
    private async Task DeliverAsync(FunctionDeclaration declaration, QueueClient queue, QueueClient poison, QueueMessage message,
        CancellationToken cancellationToken)
    {
        var dequeueCountMax = options.Value.QueueDequeueCountMax;
        var text = DecodeBase64(message.Body.ToString());
        if (text is null || message.DequeueCount > dequeueCountMax)
        {
            await PoisonAsync(declaration, queue, poison, message, cancellationToken); // undecodable, or left over from a crash mid-attempt
            return;
        }
        bool succeeded;
        try
        {
            using var response = await InvokeQueueAsync(declaration, message, text, cancellationToken);
            LogInvoked(declaration.Name, (int)response.StatusCode);
            succeeded = response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            succeeded = false; // the app did not answer: a failed attempt, as for the host
        }
        if (succeeded)
        {
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        }
        else if (message.DequeueCount >= dequeueCountMax)
        {
            await PoisonAsync(declaration, queue, poison, message, cancellationToken);
        }
        else
        {
            await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.FromMilliseconds(options.Value.QueueRetryDelayMilliseconds),
                cancellationToken: cancellationToken);
        }
    }

    /// <summary>The message as it was (same encoding) on <c>{queue}-poison</c>, then off its queue.</summary>
    private async Task PoisonAsync(FunctionDeclaration declaration, QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken cancellationToken)
    {
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        LogQueuePoisoned(declaration.Name, message.MessageId, message.DequeueCount, poison.Name);
    }

    /// <summary>
    /// The queue payload of the host (facts §1.6): <c>Data[binding]</c> is the decoded message text; metadata values are
    /// sent JSON-encoded as text, as real hosts do (§1.4), so handlers meet the same shapes here as in Azure.
    /// </summary>
    private Task<HttpResponseMessage> InvokeQueueAsync(FunctionDeclaration declaration, QueueMessage message, string text, CancellationToken cancellationToken)
    {
        var payload = new Dictionary<string, object>
        {
            ["Data"] = new Dictionary<string, object> { [declaration.Trigger!.Name] = text },
            ["Metadata"] = new Dictionary<string, object?>
            {
                ["DequeueCount"] = message.DequeueCount.ToString(CultureInfo.InvariantCulture),
                ["Id"] = JsonSerializer.Serialize(message.MessageId),
                ["InsertionTime"] = JsonSerializer.Serialize(message.InsertedOn),
                ["ExpirationTime"] = JsonSerializer.Serialize(message.ExpiresOn),
                ["NextVisibleTime"] = JsonSerializer.Serialize(message.NextVisibleOn),
                ["PopReceipt"] = JsonSerializer.Serialize(message.PopReceipt),
                ["sys"] = Sys(declaration.Name),
            },
        };
        return _http.PostAsync("/" + declaration.Name, new StringContent(JsonSerializer.Serialize(payload), Encoding.UTF8, "application/json"), cancellationToken);
    }

    private static string? DecodeBase64(string raw)
    {
        var bytes = new byte[raw.Length];
        return Convert.TryFromBase64String(raw, bytes, out var length) ? Encoding.UTF8.GetString(bytes, 0, length) : null;
    }

    internal static object Sys(string name) => new { MethodName = name, UtcNow = DateTimeOffset.UtcNow, RandGuid = Guid.NewGuid() };

    private sealed class InlineBlobContent : HttpContent
    {
        private readonly BlobClient _blob;
        private readonly string _bindingName;
        private readonly string _metadata;

        public InlineBlobContent(BlobClient blob, string bindingName, string metadata)
        {
            (_blob, _bindingName, _metadata) = (blob, bindingName, metadata);
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"{{\"Data\":{{{JsonSerializer.Serialize(_bindingName)}:\""));
            await using (var source = await _blob.OpenReadAsync())
            await using (var base64 = new CryptoStream(new NonClosingStream(stream), new ToBase64Transform(), CryptoStreamMode.Write))
            {
                await source.CopyToAsync(base64);
            }
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"\"}},\"Metadata\":{_metadata}}}"));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>Lets the base64 stream finish its final block without closing the request stream under it.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Local trigger: invoked {Function} → {Status}")]
    private partial void LogInvoked(string function, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local trigger: scanning for {Function} failed with {Status}")]
    private partial void LogScanFailed(string function, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local trigger: {Function} could not be invoked for {Blob} ({Error}); a failed attempt")]
    private partial void LogBlobAttemptFailed(string function, string blob, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local trigger: {Function} failed {Attempts} times on {Blob}; poison message sent")]
    private partial void LogPoisoned(string function, int attempts, string blob);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local trigger: {Function} gave up on message {MessageId} after {DequeueCount} dequeues; moved to {PoisonQueue}")]
    private partial void LogQueuePoisoned(string function, string messageId, long dequeueCount, string poisonQueue);
}

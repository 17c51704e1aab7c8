using System.Text;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Points.Tools.FaultHarness;

/// <summary>
/// Faults of the app's Blob and Queue requests, added once per call through the app's DI seam (above the SDK's own
/// retries): 503 without sending, a connection dropped after a write was sent, and a process stopped while reading an
/// import: the download breaks after some bytes, and every later request for that blob fails until the harness
/// delivers the import again (to a "new instance", <see cref="FaultPlan.ClearStops"/>).
/// </summary>
public sealed partial class StorageFaults(FaultBook book) : HttpPipelinePolicy
{
    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => RunAsync(message, pipeline, async: true);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        RunAsync(message, pipeline, async: false).AsTask().GetAwaiter().GetResult();

    private async ValueTask RunAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
    {
        var uri = message.Request.Uri.ToUri();
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        var plan = book.Find(path) ?? book.Find(QueueMessageText(message.Request));
        if (plan is null)
        {
            await NextAsync(message, pipeline, async);
            return;
        }
        var method = message.Request.Method.Method;
        var signature = plan.Normalize($"storage {method} {path} {Comp().Match(uri.Query).Value}");
        if (plan.IsStopped(path)) throw new RequestFailedException(0, "Injected: the instance reading this blob stopped.");
        if (plan.Roll(FaultKind.Unavailable503, signature)) throw new RequestFailedException(503, "Injected: the server is busy.", "ServerBusy", null);
        await NextAsync(message, pipeline, async);
        if (method is "PUT" or "POST" or "DELETE" && plan.Roll(FaultKind.TimeoutAfterWrite, signature))
        {
            throw new RequestFailedException(0, "Injected: the connection dropped after the request was sent.");
        }
        if (method == "GET" && uri.Query.Length == 0 && message.Response.ContentStream is { } body && plan.Roll(FaultKind.ProcessStop, signature))
        {
            plan.Stop(path);
            plan.Note("import read stopped mid-file");
            var length = (int)Math.Min(int.MaxValue, message.Response.Headers.ContentLength ?? 1);
            message.Response.ContentStream = new StopMidStream(body, plan.Pick("stop|" + signature, 0, length));
        }
    }

    private static ValueTask NextAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
    {
        if (async) return ProcessNextAsync(message, pipeline);
        ProcessNext(message, pipeline);
        return ValueTask.CompletedTask;
    }

    /// <summary>A queue message's text (sent base64-encoded), to attribute a shard to its run.</summary>
    private static string? QueueMessageText(Request request)
    {
        if (request.Content is null || !request.Uri.Path.EndsWith("/messages", StringComparison.Ordinal)) return null;
        using var body = new MemoryStream();
        request.Content.WriteTo(body, CancellationToken.None);
        var text = MessageText().Match(Encoding.UTF8.GetString(body.ToArray()));
        if (!text.Success) return null;
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(text.Groups[1].Value));
        }
        catch (FormatException)
        {
            return text.Groups[1].Value;
        }
    }

    [GeneratedRegex("comp=[a-z]+")]
    private static partial Regex Comp();

    [GeneratedRegex("<MessageText>(.*)</MessageText>", RegexOptions.Singleline)]
    private static partial Regex MessageText();

    /// <summary>Gives <paramref name="bytesBeforeStop"/> bytes of the download, then fails as a dead connection does.</summary>
    private sealed class StopMidStream(Stream inner, int bytesBeforeStop) : Stream
    {
        private int _left = bytesBeforeStop;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_left <= 0) throw Stopped();
            var read = inner.Read(buffer[..Math.Min(buffer.Length, _left)]);
            _left -= read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left <= 0) throw Stopped();
            var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, _left)], cancellationToken);
            _left -= read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private static IOException Stopped() => new("Injected: the process reading this blob stopped.");

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

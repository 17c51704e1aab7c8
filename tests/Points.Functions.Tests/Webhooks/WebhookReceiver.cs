using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Points.Functions.Tests.Webhooks;

/// <summary>What a receiver path does with a delivery.</summary>
public enum ReceiverMode { Ok, Fail, Gone, Hang }

/// <summary>One delivery as a partner's endpoint saw it.</summary>
public sealed record Received(string Path, string Id, string Timestamp, string Signature, byte[] Body)
{
    public ReceiverMode Answered { get; init; }
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    public long Sequence => Json.GetProperty("sequence").GetInt64();
    public string Type => Json.GetProperty("type").GetString()!;
    public string MemberId => Json.GetProperty("memberId").GetString()!;
}

/// <summary>
/// A partner's endpoint on loopback (Kestrel): every path records what it is sent and answers as its mode says —
/// 200, 503, 410 Gone, or no answer until <see cref="ReleaseHanging"/> (or 30 s).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ReceiverMode> _modes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Received> _received = new();
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _hanging;

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;
    public int Hanging => Volatile.Read(ref _hanging);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new WebhookReceiver(builder.Build());
        receiver._app.MapPost("/{path}", async (string path, HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var mode = receiver._modes.GetValueOrDefault(path, ReceiverMode.Ok);
            receiver._received.Enqueue(new Received(path, http.Request.Headers["Points-Webhook-Id"].ToString(), http.Request.Headers["Points-Webhook-Timestamp"].ToString(),
                http.Request.Headers["Points-Webhook-Signature"].ToString(), body.ToArray()) { Answered = mode });
            switch (mode)
            {
                case ReceiverMode.Fail:
                    return Results.Text("down for maintenance", statusCode: 503);
                case ReceiverMode.Gone:
                    return Results.StatusCode(410);
                case ReceiverMode.Hang:
                    Interlocked.Increment(ref receiver._hanging);
                    try { await receiver._release.Task.WaitAsync(TimeSpan.FromSeconds(30)); } catch (TimeoutException) { }
                    finally { Interlocked.Decrement(ref receiver._hanging); }
                    return Results.Ok();
                default:
                    return Results.Ok();
            }
        });
        await receiver._app.StartAsync();
        receiver.BaseAddress = new Uri(receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    public void Set(string path, ReceiverMode mode) => _modes[path] = mode;

    public void ReleaseHanging()
    {
        _release.TrySetResult();
        _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>What <paramref name="path"/> received (every attempt, answered or not), in arrival order.</summary>
    public IReadOnlyList<Received> At(string path) => [.. _received.Where(r => r.Path == path)];

    /// <summary>The deliveries <paramref name="path"/> answered 2xx: what the partner took in.</summary>
    public IReadOnlyList<Received> AcceptedAt(string path) => [.. At(path).Where(r => r.Answered is ReceiverMode.Ok or ReceiverMode.Hang)];

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

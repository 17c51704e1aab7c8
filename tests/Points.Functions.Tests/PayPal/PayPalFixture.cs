using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Points.Domain.Primitives;
using Points.Functions.PayPal;
using Points.Functions.Tests.Infrastructure;
using Points.Tools.PayPalStandIn;

namespace Points.Functions.Tests.PayPal;

/// <summary>
/// The PayPal stand-in on loopback with a fake clock, a receiver for its webhooks (a real HTTP endpoint keeping each
/// request's raw body and headers), and the app's PayPal services (<see cref="PayPalServiceCollectionExtensions.AddPayPal"/>)
/// configured from <see cref="PayPalStandIn.AppSettings"/> exactly as an app would be. No emulators needed.
/// </summary>
public class PayPalFixture : IAsyncLifetime
{
    private readonly List<ServiceProvider> _providers = [];
    private WebApplication _receiver = null!;

    public FakeTimeProvider Clock { get; } = new(AppFixture.Start);
    public PayPalStandIn StandIn { get; private set; } = null!;
    /// <summary>Every log line of the PayPal services, scanned for the client secret as it is written.</summary>
    public CapturedLogs Logs { get; } = new(["stand-in-client-secret"]);
    public ConcurrentDictionary<string, ReceivedWebhook> Received { get; } = new(StringComparer.Ordinal);
    public ServiceProvider Services { get; private set; } = null!;
    public PayPalClient Client => Services.GetRequiredService<PayPalClient>();
    public PayPalWebhookVerifier Verifier => Services.GetRequiredService<PayPalWebhookVerifier>();

    /// <summary>Hold the stand-in's events so that tests send them themselves.</summary>
    protected virtual bool HoldWebhooks => false;

    public async Task InitializeAsync()
    {
        var receiver = WebApplication.CreateSlimBuilder();
        receiver.Logging.ClearProviders();
        receiver.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _receiver = receiver.Build();
        _receiver.MapPost("/webhooks/paypal", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var headers = new HeaderDictionary();
            foreach (var (name, value) in http.Request.Headers) headers[name] = value;
            Received[http.Request.Headers[PayPalWebhookHeaders.TransmissionId].ToString()] = new ReceivedWebhook(headers, body.ToArray());
            return Results.Ok();
        });
        await _receiver.StartAsync();
        var receiverUrl = _receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        StandIn = await PayPalStandIn.StartAsync(new PayPalStandInOptions
        {
            TimeProvider = Clock,
            WebhookUrl = new Uri(receiverUrl + "/webhooks/paypal"),
            HoldWebhooks = HoldWebhooks,
        });
        Services = NewServices();
    }

    /// <summary>A new set of the app's PayPal services (its own token cache and certificate cache) on the stand-in's settings, changed by <paramref name="change"/>.</summary>
    public ServiceProvider NewServices(Action<Dictionary<string, string?>>? change = null)
    {
        var settings = new Dictionary<string, string?>(StandIn.AppSettings)
        {
            ["PayPal:RetryBaseDelay"] = "00:00:00.010",
        };
        change?.Invoke(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
        services.AddSingleton<TimeProvider>(Clock);
        services.AddPayPal(configuration);
        var provider = services.BuildServiceProvider();
        lock (_providers) _providers.Add(provider);
        return provider;
    }

    /// <summary>Creates an order for ¥<paramref name="yen"/> through the client under a new purchase id.</summary>
    public Task<PayPalOrder> CreateOrderAsync(long yen = 1000, PayPalExperience? experience = null, PayPalClient? client = null)
    {
        var purchase = "p-" + Guid.NewGuid().ToString("N")[..12];
        return (client ?? Client).CreateOrderAsync(
            new PayPalOrderRequest(purchase, "inv-" + purchase, new Yen(yen), $"{yen} points", experience), "create-" + purchase, CancellationToken.None);
    }

    /// <summary>An order created, approved by the payer and captured (COMPLETED).</summary>
    public async Task<PayPalCapture> CapturedOrderAsync(long yen = 1000)
    {
        var order = await CreateOrderAsync(yen);
        await StandIn.ApproveAsync(order.Id);
        var outcome = await Client.CaptureOrderAsync(order.Id, "capture-" + order.Id, CancellationToken.None);
        return Assert.IsType<PayPalCaptureOutcome.Captured>(outcome).Capture;
    }

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers) await provider.DisposeAsync();
        await StandIn.DisposeAsync();
        await _receiver.StopAsync();
        await _receiver.DisposeAsync();
    }
}

/// <summary>The stand-in with its events held: verifier tests send each one themselves, signed as they choose.</summary>
public sealed class HeldWebhooksPayPalFixture : PayPalFixture
{
    protected override bool HoldWebhooks => true;
}

/// <summary>One webhook request as it arrived: its headers and raw body bytes.</summary>
public sealed record ReceivedWebhook(IHeaderDictionary Headers, byte[] Body);

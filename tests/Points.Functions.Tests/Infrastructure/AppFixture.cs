using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Time.Testing;
using Points.Functions.Hosting;
using Points.Functions.Storage;
using Points.Tools.LocalStack;
using Points.Tools.LocalTriggers;

namespace Points.Functions.Tests.Infrastructure;

/// <summary>
/// The real app on a loopback port (Kestrel, real HTTP) against the shared emulators, with its own Cosmos database and
/// blob names, a fake clock, and API keys of each scope. One per test class.
/// </summary>
public class AppFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 11, 23, 3, 0, 0, TimeSpan.Zero); // 12:00 JST

    public AppFixture() : this(Start) { }

    /// <summary>An app whose clock starts at <paramref name="start"/> instead of <see cref="Start"/>.</summary>
    protected AppFixture(DateTimeOffset start) : this(new FakeTimeProvider(start), "t" + Guid.NewGuid().ToString("N")[..12]) { }

    /// <summary>
    /// An app on <paramref name="database"/> with <paramref name="clock"/>: given another app's, a second instance of
    /// it, as a scaled-out Function App runs them.
    /// </summary>
    protected AppFixture(FakeTimeProvider clock, string database) => (Clock, Database) = (clock, database);

    public FakeTimeProvider Clock { get; }
    /// <summary>Kills outbox dispatches after commits, for fault-injection tests (disarmed unless a test arms it).</summary>
    public OutboxFaultInjector OutboxFaults { get; } = new();
    /// <summary>Every log line of this app, at every level; scanned for secrets when the fixture ends (<see cref="LogLeaks"/>).</summary>
    public CapturedLogs Logs { get; } = new(ConfiguredSecrets);

    /// <summary>The secret part of every configured key: never in a log line.</summary>
    public static IReadOnlyCollection<string> ConfiguredSecrets =>
        [.. Keys.Values.Append(AllScopesKey).Select(k => k[(k.IndexOf('.', StringComparison.Ordinal) + 1)..])];
    public WebApplication App { get; private set; } = null!;
    public LocalStack Emulators { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public string Database { get; }

    public static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string>
    {
        ["points:write"] = "pw.test-points-write-secret",
        ["members:read"] = "mr.test-members-read-secret",
        ["members:write"] = "mw.test-members-write-secret",
        ["admin"] = "ad.test-admin-secret",
    };

    /// <summary>A key holding every scope, to keep tests that are not about auth short.</summary>
    public const string AllScopesKey = "all.test-all-scopes-secret";

    protected virtual void Configure(Dictionary<string, string?> settings) { }

    /// <summary>Features a test class plugs in beside the app's own (exactly as a new feature folder would).</summary>
    protected virtual Feature[] ExtraFeatures => [];

    public async Task InitializeAsync()
    {
        Emulators = await SharedEmulators.GetAsync();
        await BeforeConfigureAsync();
        var settings = LocalEmulatorSettings.For(Emulators.CosmosConnectionString, Emulators.StorageConnectionString, Database);
        foreach (var ((scope, key), index) in Keys.Append(new("*", AllScopesKey)).Select((k, i) => (k, i)))
        {
            var scopes = scope == "*" ? Points.Functions.Auth.Scopes.All : new HashSet<string> { scope };
            foreach (var (name, value) in Points.Functions.Auth.ApiKeyEntry.Configuration(index, key, $"test {scope}", scopes)) settings[name] = value;
        }
        Configure(settings);

        var builder = PointsApp.CreateBuilder(["--urls", "http://127.0.0.1:0", "--environment", "Development"], ExtraFeatures);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddLocalTriggers();
        builder.Services.AddSingleton<TimeProvider>(Clock);
        builder.Logging.AddProvider(Logs);
        builder.Logging.AddFilter<CapturedLogs>(null, LogLevel.Trace);
        builder.Services.AddSingleton<Points.Functions.Ledger.Outbox.IOutboxFaults>(OutboxFaults);
        ConfigureServices(builder.Services);
        App = PointsApp.Build(builder);
        App.MapLocalTriggerEndpoints();
        ConfigureApp(App);
        await App.EnsureStorageAsync(CancellationToken.None);
        await BeforeStartAsync(App);
        await App.StartAsync();
        var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        await AfterStartAsync();
    }

    /// <summary>Runs before <see cref="Configure"/>: for what the settings point at (e.g. a stand-in's address).</summary>
    protected virtual Task BeforeConfigureAsync() => Task.CompletedTask;

    /// <summary>Runs once the app listens at <see cref="BaseAddress"/>.</summary>
    protected virtual Task AfterStartAsync() => Task.CompletedTask;

    /// <summary>Runs after the app stopped.</summary>
    protected virtual ValueTask OnDisposeAsync() => ValueTask.CompletedTask;

    protected virtual void ConfigureServices(IServiceCollection services) { }

    protected virtual void ConfigureApp(WebApplication app) { }

    /// <summary>Runs once the app's storage exists and before the app (and its local trigger runner) starts.</summary>
    protected virtual Task BeforeStartAsync(WebApplication app) => Task.CompletedTask;

    public HttpClient Client(string? apiKey = AllScopesKey)
    {
        var client = new HttpClient(new ServerErrorDetails(Logs) { InnerHandler = new HttpClientHandler() }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        if (apiKey is not null) client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>PUTs the settings with <paramref name="value"/> as their <paramref name="section"/>, the rest as read, and lets the settings cache lapse.</summary>
    public async Task SetSettingsSectionAsync(string section, System.Text.Json.Nodes.JsonObject value)
    {
        var current = await Client().SendAsync(HttpMethod.Get, "/api/v1/admin/settings");
        var settings = System.Text.Json.Nodes.JsonNode.Parse(current.Text)!.AsObject();
        settings[section] = value;
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/admin/settings")
        {
            Content = new StringContent(settings.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        if (current.Response.Headers.ETag is { } etag) request.Headers.IfMatch.Add(etag);
        using var put = await Client().SendAsync(request);
        if (!put.IsSuccessStatusCode) throw new InvalidOperationException($"Settings refused: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        Clock.Advance(TimeSpan.FromSeconds(6)); // past the settings cache of other instances' kind
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await OnDisposeAsync();
    }
}

/// <summary>
/// Adds to a 500's body the app's log of what it caught (the problem itself names only a correlation id), so that a
/// test failing on a server error says which one, even when it happened once in a full run.
/// </summary>
public sealed class ServerErrorDetails(CapturedLogs logs) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if ((int)response.StatusCode != 500) return response;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var caught = logs.Lines.Where(l => l.Contains("ExceptionHandlerMiddleware", StringComparison.Ordinal)).TakeLast(1);
        // Kept JSON (tests parse answers): the log goes in a member of its own; a body that is no JSON object stays as it is.
        if (ProblemOf(body) is not { } problem) return response;
        problem["serverLog"] = string.Join("\n", caught);
        response.Content = new StringContent(problem.ToJsonString(), System.Text.Encoding.UTF8, "application/problem+json");
        return response;
    }

    private static System.Text.Json.Nodes.JsonObject? ProblemOf(string body)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(body) as System.Text.Json.Nodes.JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

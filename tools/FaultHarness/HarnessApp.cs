using System.Net.Http.Headers;
using System.Security.Cryptography;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Points.Functions;
using Points.Functions.Hosting;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Storage;
using Points.Tools.LocalTriggers;

namespace Points.Tools.FaultHarness;

/// <summary>
/// The real app on a loopback port (Kestrel, real HTTP) against the emulators, with the harness's faults plugged into
/// its DI seams (Cosmos handlers, Blob/Queue policies, the outbox's <see cref="IOutboxFaults"/>), the SDK's 429 retries
/// bounded, a fake clock, and the local trigger runner following the ledger's change feed into <c>DispatchOutbox</c>
/// (and nothing else: the harness delivers blob and queue invocations itself, as often as it wants to).
/// </summary>
public sealed class HarnessApp : IAsyncDisposable
{
    /// <summary>12:00 JST: far from midnight, so a run's "today" does not change under it.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 23, 3, 0, 0, TimeSpan.Zero);
    /// <summary>Throttled requests the SDK retries itself before the app sees the 429 (the SDK's default is 9).</summary>
    public const int RateLimitedRetriesMax = 3;
    public const int RateLimitedRetryWaitMaxMilliseconds = 1_000;
    /// <summary>How often the runner reads the change feed, and its longest wait before a refused batch comes again.</summary>
    public const int ChangeFeedPollMilliseconds = 100;
    public const int ChangeFeedRetryDelayMaxMilliseconds = 400;

    private readonly CosmosClient _raw;

    private HarnessApp(WebApplication app, Uri baseAddress, string apiKey, FaultBook book, FakeTimeProvider clock, CosmosClient raw,
        string database, string storageConnectionString, string declarations)
    {
        (App, BaseAddress, ApiKey, Book, Clock, _raw, Database, Declarations) = (app, baseAddress, apiKey, book, clock, raw, database, declarations);
        Gate = new ClockGate(clock);
        Storage = new StorageView(raw.GetDatabase(database), new BlobServiceClient(storageConnectionString));
    }

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public string ApiKey { get; }
    public FaultBook Book { get; }
    public FakeTimeProvider Clock { get; }
    public ClockGate Gate { get; }
    public string Database { get; }
    private string Declarations { get; }
    /// <summary>The app's data, read and written without faults (a client of the harness's own).</summary>
    public StorageView Storage { get; }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<HarnessApp> StartAsync(Points.Tools.LocalStack.LocalStack emulators, string database)
    {
        var book = new FaultBook();
        var clock = new FakeTimeProvider(Start);
        var apiKey = "fh." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var settings = LocalEmulatorSettings.For(emulators.CosmosConnectionString, emulators.StorageConnectionString, database);
        foreach (var (name, value) in Points.Functions.Auth.ApiKeyEntry.Configuration(0, apiKey, "fault harness", Points.Functions.Auth.Scopes.All)) settings[name] = value;
        settings["Cosmos:RateLimitedRetriesMax"] = RateLimitedRetriesMax.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Cosmos:RateLimitedRetryWaitMaxMilliseconds"] = RateLimitedRetryWaitMaxMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Storage:QueuePrefix"] = database + "-";
        var declarations = Directory.CreateTempSubdirectory("points-fault-harness-").FullName;
        var dispatch = Path.Combine(declarations, DispatchOutboxFunction.FunctionName);
        Directory.CreateDirectory(dispatch);
        File.Copy(Path.Combine(FunctionDeclarations.DefaultDirectory, DispatchOutboxFunction.FunctionName, "function.json"), Path.Combine(dispatch, "function.json"));
        settings["LocalTriggers:Enabled"] = "true";
        settings["LocalTriggers:DeclarationsPath"] = declarations;
        settings["LocalTriggers:ChangeFeedPollMilliseconds"] = ChangeFeedPollMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["LocalTriggers:ChangeFeedRetryDelayMaxMilliseconds"] = ChangeFeedRetryDelayMaxMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var builder = PointsApp.CreateBuilder(["--urls", "http://127.0.0.1:0", "--environment", "Development"]);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddLocalTriggers();
        // Under faults the app logs every failed request; the harness reports what matters.
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<RequestHandler>(new CosmosFaults(book));
        builder.Services.AddSingleton<HttpPipelinePolicy>(new StorageFaults(book));
        builder.Services.AddSingleton<IOutboxFaults>(new OutboxStops(book));
        var app = PointsApp.Build(builder);
        app.MapLocalTriggerEndpoints();
        await app.EnsureStorageAsync(CancellationToken.None);
        CosmosThrottle.PutBelowRetries(app.Services.GetRequiredService<CosmosRequestCounter>(), new CosmosThrottle(book));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HarnessApp(app, new Uri(address), apiKey, book, clock, CosmosStorage.ConnectLocal(emulators.CosmosConnectionString), database,
            emulators.StorageConnectionString, declarations);
    }

    /// <summary>A client to the app's API; requests of a run go through <see cref="Partner"/>.</summary>
    public HttpClient Client()
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            await _raw.GetDatabase(Database).DeleteAsync();
        }
        catch (CosmosException)
        {
            // Dropping the database only frees the in-memory server early; the emulators go with the process anyway.
        }
        _raw.Dispose();
        Directory.Delete(Declarations, recursive: true);
    }
}

/// <summary>
/// Lets the harness move the app's clock without breaking an assumption of the app: every request a run sends holds
/// the gate open (<see cref="EnterAsync"/>), and an advance waits until none is in flight. The catalog's stock lease
/// (a hold is committed on within a minute, reclaimed after five) assumes a decision reaches Cosmos within minutes;
/// a clock that jumps by minutes in the middle of a request would break that assumption, not the app.
/// </summary>
public sealed class ClockGate(FakeTimeProvider clock)
{
    private readonly SemaphoreSlim _turnstile = new(1, 1);
    private readonly Lock _lock = new();
    private int _inFlight;
    private TaskCompletionSource? _drained;

    public FakeTimeProvider Clock => clock;

    public async Task<IDisposable> EnterAsync()
    {
        await _turnstile.WaitAsync(); // Waits while an advance is pending.
        _turnstile.Release();
        lock (_lock) _inFlight++;
        return new Exit(this);
    }

    public async Task AdvanceAsync(TimeSpan by)
    {
        await _turnstile.WaitAsync();
        try
        {
            Task drained;
            lock (_lock)
            {
                _drained = _inFlight == 0 ? null : new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                drained = _drained?.Task ?? Task.CompletedTask;
            }
            await drained;
            clock.Advance(by);
        }
        finally
        {
            lock (_lock) _drained = null;
            _turnstile.Release();
        }
    }

    private void Leave()
    {
        lock (_lock)
        {
            if (--_inFlight == 0) _drained?.TrySetResult();
        }
    }

    private sealed class Exit(ClockGate gate) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0) gate.Leave();
        }
    }
}

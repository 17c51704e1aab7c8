using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging.Console;
using Points.Functions;
using Points.Functions.Storage;
using Points.Tools.LocalStack;
using Points.Tools.LocalTriggers;

namespace Points.Benchmarks.Infrastructure;

/// <summary>
/// The real app on a loopback port (Kestrel, real HTTP), started the way the integration tests' AppFixture does:
/// <see cref="PointsApp.CreateBuilder"/> and <see cref="PointsApp.Build"/> with the local trigger runner, the same configuration keys, one API key
/// holding every scope. Its logs go to stderr (warnings and above) so that stdout keeps only the report.
/// </summary>
public sealed class BenchApp : IAsyncDisposable
{
    /// <summary>Key id "bench", scopes: all. A fresh secret per run.</summary>
    public string ApiKey { get; }

    public required WebApplication App { get; init; }
    public required Uri BaseAddress { get; init; }
    public required CosmosTraffic Traffic { get; init; }
    public required string Database { get; init; }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<BenchApp> StartAsync(LocalStack emulators, string database, TimeProvider clock,
        Action<Dictionary<string, string?>>? configure = null, Action<IServiceCollection>? services = null)
    {
        var apiKey = "bench." + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var settings = LocalEmulatorSettings.For(emulators.CosmosConnectionString, emulators.StorageConnectionString, database);
        foreach (var (name, value) in Points.Functions.Auth.ApiKeyEntry.Configuration(0, apiKey, "benchmark", Points.Functions.Auth.Scopes.All)) settings[name] = value;
        configure?.Invoke(settings);

        var builder = PointsApp.CreateBuilder(["--urls", "http://127.0.0.1:0", "--environment", "Development"]);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddLocalTriggers();
        builder.Services.AddSingleton(clock);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        services?.Invoke(builder.Services); // after the logging set-up, which clears the providers
        var app = PointsApp.Build(builder);
        app.MapLocalTriggerEndpoints();
        await app.EnsureStorageAsync(CancellationToken.None);
        var counter = app.Services.GetRequiredService<CosmosRequestCounter>();
        var traffic = CosmosTraffic.Attach(counter);
        await app.StartAsync();
        return new BenchApp(apiKey)
        {
            App = app,
            BaseAddress = AddressOf(app),
            Traffic = traffic,
            Database = database,
        };
    }

    private BenchApp(string apiKey) => ApiKey = apiKey;

    /// <summary>Where a started app listens (it asked for port 0).</summary>
    public static Uri AddressOf(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public HttpClient Client()
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromMinutes(15),
        };
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Azure.Cosmos;
using Points.Domain.Catalog;
using Points.Functions.Adjustments;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Catalog;
using Points.Functions.Earning;
using Points.Functions.Expiry;
using Points.Functions.Hosting;
using Points.Functions.Imports;
using Points.Functions.Ledger;
using Points.Functions.Members;
using Points.Functions.Ranks;
using Points.Functions.Redemptions;
using Points.Functions.Settings;
using Points.Functions.Storage;
using Points.Functions.Store;

namespace Points.Functions;

/// <summary>
/// The composition root: one ASP.NET Core program serving the HTTP API and the Functions host's invocations. The
/// platform (storage, auth, problem details, OpenAPI) is set up here; everything else is a <see cref="Feature"/>.
/// </summary>
public static class PointsApp
{
    /// <summary>The app's features. A new feature folder plugs in with one line here.</summary>
    public static readonly IReadOnlyList<Feature> Features =
    [
        new ApiKeysFeature(),
        new SettingsFeature(),
        new LedgerFeature(),
        new MembersFeature(),
        new EarningFeature(),
        new RedemptionsFeature(),
        new AdjustmentsFeature(),
        new CatalogFeature(),
        new StoreFeature(),
        new Withdrawals.WithdrawalsFeature(),
        new Purchases.PurchasesFeature(),
        new RanksFeature(),
        new ExpiryFeature(),
        new ImportsFeature(),
        new SpecialPoints.SpecialPointsFeature(),
        new Exports.ExportsFeature(),
        new Webhooks.WebhooksFeature(),
        new AdminConsole.ConsoleFeature(),
    ];

    /// <param name="extraFeatures">Features beside <see cref="Features"/> (tests plug their own in this way).</param>
    public static WebApplicationBuilder CreateBuilder(string[] args, params Feature[] extraFeatures)
    {
        // Under the Functions host the app root holds appsettings.json; the handler itself may run from a copy (launch.sh).
        var contentRoot = AzureHosting.AppRootPath ?? AppContext.BaseDirectory;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRoot });
        // The Functions host passes the port to listen on (facts §1.3); outside it, --urls or ASPNETCORE_URLS decide.
        if (AzureHosting.CustomHandlerPort is { } port)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = RequestReader.BodyBytesMax);
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o => { o.IncludeScopes = true; o.UseUtcTimestamp = true; });

        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.Configure<CosmosOptions>(builder.Configuration.GetSection("Cosmos"));
        services.Configure<BlobOptions>(builder.Configuration.GetSection("Storage"));
        services.AddSingleton<CosmosRequestCounter>();
        services.AddSingleton<CosmosStorage>();
        services.AddSingleton<BlobStorage>();
        services.AddSingleton<JobCheckpoints>();
        services.AddSingleton<MemberLists>();
        services.AddSingleton<FunctionHandlers>();
        var features = new FeatureList([.. Features, .. extraFeatures]);
        services.AddSingleton(features);
        foreach (var feature in features.All)
        {
            feature.AddServices(services, builder.Configuration);
        }
        services.AddProblemDetails();
        services.AddOpenApi("v1", OpenApiContract.Configure);
        services.ConfigureHttpJsonOptions(o => JsonDefaults.Configure(o.SerializerOptions));
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.UseMiddleware<CorrelationMiddleware>();
        app.UseExceptionHandler(errors => errors.Run(WriteUnhandledProblem));
        app.UseRateLimiter();
        app.UseStatusCodePages(async context =>
        {
            var problem = context.HttpContext.Response.StatusCode == 405 ? Problems.MethodNotAllowed : Problems.NotFound;
            await Problems.For(problem).ExecuteAsync(context.HttpContext);
        });

        foreach (var feature in app.Services.GetRequiredService<FeatureList>().All)
        {
            feature.MapPages(app);
        }

        // Readiness probe of the Functions host: any response counts (facts §1.3).
        app.MapGet("/", () => Results.Ok()).ExcludeFromDescription();

        var api = app.MapGroup("/api");
        api.MapGet("/health", Health).OpenToAll()
            .Describe("getHealth", ApiTags.Platform, "Check the service's health",
                "Answers whether the service and its dependencies (Cosmos DB, Blob Storage) are reachable: 200 when all are, 503 when one is down.")
            .Produces<HealthReport>(200).Produces<HealthReport>(503);
        app.MapOpenApi("/api/openapi.json");
        foreach (var feature in app.Services.GetRequiredService<FeatureList>().All)
        {
            feature.MapRoutes(api);
            feature.MapFunctions(app);
        }
        return app;
    }

    /// <summary>Creates database, containers and blob containers where configured to (local runs, tests).</summary>
    public static async Task EnsureStorageAsync(this WebApplication app, CancellationToken cancellationToken)
    {
        await app.Services.GetRequiredService<CosmosStorage>().EnsureCreatedAsync(cancellationToken);
        await app.Services.GetRequiredService<BlobStorage>().EnsureCreatedAsync(cancellationToken);
    }

    private static async Task<IResult> Health(CosmosStorage cosmos, BlobStorage blobs, HttpContext http)
    {
        var cosmosOk = await cosmos.IsHealthyAsync(http.RequestAborted);
        var storageOk = await blobs.IsHealthyAsync(http.RequestAborted);
        var body = new HealthReport(cosmosOk && storageOk ? "ok" : "degraded", cosmosOk ? "ok" : "down", storageOk ? "ok" : "down");
        return Results.Json(body, statusCode: cosmosOk && storageOk ? 200 : 503);
    }

    private static async Task WriteUnhandledProblem(HttpContext http)
    {
        var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is BadHttpRequestException)
        {
            // The framework could not read the request (its binding or Kestrel's limits): the client's fault, never a 500.
            // Handlers parse their own input (RequestReader), so this is a safety net that names no field.
            await Problems.For(Problems.InvalidRequest, "The request could not be read.").ExecuteAsync(http);
            return;
        }
        // Outages and retryable conditions: the client retries later.
        var unavailable = error is ContentionException or StockHoldLapsedException or IdempotencyRecordLapsedException
            or CosmosException { StatusCode: System.Net.HttpStatusCode.ServiceUnavailable or System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.RequestTimeout }
            or HttpRequestException or Azure.RequestFailedException { Status: 503 or 0 };
        // Never echo exception text: it can hold keys, connection strings or personal data.
        await Problems.For(unavailable ? Problems.ServiceUnavailable : Problems.InternalError, $"Correlation id {http.TraceIdentifier}.").ExecuteAsync(http);
    }
}

/// <summary>The answer of <c>GET /api/health</c>: <c>ok</c> or <c>degraded</c> overall, <c>ok</c> or <c>down</c> per dependency.</summary>
public sealed record HealthReport(string Status, string Cosmos, string Storage);

/// <summary>The features this app instance runs (<see cref="PointsApp.Features"/> and any a test added).</summary>
public sealed record FeatureList(IReadOnlyList<Feature> All);

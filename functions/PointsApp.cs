using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Azure.Cosmos;
using Points.Functions.Adjustments;
using Points.Functions.Earning;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Catalog;
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

/// <summary>The composition root: one ASP.NET Core program serving the HTTP API and the Functions host's invocations.</summary>
public static class PointsApp
{
    /// <summary>Largest inline trigger payload accepted: the Functions front end caps bodies at 100 MB (facts §1.7).</summary>
    public const long InvocationBodyBytesMax = 140L * 1024 * 1024;

    public static WebApplicationBuilder CreateBuilder(string[] args)
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
        services.Configure<ProgramSettings>(builder.Configuration.GetSection("Program"));
        services.Configure<ApiKeyOptions>(builder.Configuration.GetSection("ApiKeys"));
        services.AddSingleton<CosmosRequestCounter>();
        services.AddSingleton<CosmosStorage>();
        services.AddSingleton<BlobStorage>();
        services.AddSingleton<ProgramSettingsStore>();
        services.AddSingleton<ApiKeyRing>();
        services.AddSingleton<LedgerStore>();
        services.AddSingleton<DueIndex>();
        services.AddSingleton<JobCheckpoints>();
        services.AddSingleton<MemberLedger>();
        services.AddSingleton<MemberRegistry>();
        services.AddSingleton<ReferralCodes>();
        services.AddSingleton<MemberViews>();
        services.AddSingleton<ExpirePointsJob>();
        services.AddSingleton<ActivatePendingPointsJob>();
        services.AddSingleton<EarningConfigStore>();
        services.AddSingleton<CatalogStore>();
        services.AddSingleton<CatalogRedemptions>();
        services.Configure<StoreOptions>(builder.Configuration.GetSection("Store"));
        services.AddSingleton<QrTokens>();
        services.AddSingleton<AdjustmentImport>();
        services.AddSingleton<MemberLists>();
        services.AddSingleton<RankIndex>();
        services.AddSingleton<AnniversaryIndex>();
        services.AddSingleton<LedgerJobQueue>();
        services.AddSingleton<EvaluateRanksJob>();
        services.AddSingleton<AllocateRankPointsJob>();
        services.AddSingleton<GrantAnniversaryPointsJob>();
        services.AddSingleton<LedgerJobProcessor>();
        services.AddSingleton<FunctionHandlers>();
        services.AddProblemDetails();
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Points API";
            document.Info.Description = "Loyalty points ledger for partner sites. Authenticate with X-Api-Key; send Idempotency-Key on every state-changing POST. Errors are application/problem+json with a stable code.";
            return Task.CompletedTask;
        }));
        services.ConfigureHttpJsonOptions(o => JsonDefaults.Configure(o.SerializerOptions));
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        app.UseMiddleware<CorrelationMiddleware>();
        app.UseExceptionHandler(errors => errors.Run(WriteUnhandledProblem));
        app.UseStatusCodePages(async context =>
        {
            var code = context.HttpContext.Response.StatusCode == 405 ? "method_not_allowed" : "not_found";
            await Problems.For(code).ExecuteAsync(context.HttpContext);
        });

        // Readiness probe of the Functions host: any response counts (facts §1.3).
        app.MapGet("/", () => Results.Ok()).ExcludeFromDescription();

        var api = app.MapGroup("/api");
        api.MapGet("/health", Health).ExcludeFromDescription();
        app.MapOpenApi("/api/openapi.json");
        api.MapMemberEndpoints();
        api.MapRedemptionEndpoints();
        api.MapAdjustmentEndpoints();
        api.MapSettingsEndpoints();
        api.MapEventEndpoints();
        api.MapEarningAdminEndpoints();
        api.MapCatalogEndpoints();
        api.MapStoreEndpoints();

        app.MapTimerFunction<ExpirePointsJob>(ExpirePointsJob.FunctionName, DueMembersJob.RunTimerAsync);
        app.MapTimerFunction<ActivatePendingPointsJob>(ActivatePendingPointsJob.FunctionName, DueMembersJob.RunTimerAsync);
        app.MapTimerFunction<EvaluateRanksJob>(EvaluateRanksJob.FunctionName, LedgerJobFunctions.RunTimerAsync);
        app.MapTimerFunction<AllocateRankPointsJob>(AllocateRankPointsJob.FunctionName, LedgerJobFunctions.RunTimerAsync);
        app.MapTimerFunction<GrantAnniversaryPointsJob>(GrantAnniversaryPointsJob.FunctionName, LedgerJobFunctions.RunTimerAsync);
        app.MapFunction(LedgerJobProcessor.FunctionName, (HttpContext http, LedgerJobProcessor processor) => LedgerJobFunctions.ProcessShardAsync(http, processor));
        app.MapFunction(AdjustmentImport.FunctionName, async (HttpContext http, AdjustmentImport import) =>
        {
            RequestReader.AllowLargeBody(http, InvocationBodyBytesMax);
            var payload = await InvocationPayload.ReadAsync(http.Request.Body, keepData: false, http.RequestAborted);
            if (payload.MetadataString("name") is not { Length: > 0 } name)
            {
                return Results.BadRequest("The invocation has no blob name (Metadata.name).");
            }
            var summary = await import.RunAsync(name, http.RequestAborted);
            return InvocationReply.Ok($"{name}: {summary.Status}, {summary.Rows} rows, {summary.Applied} applied, {summary.Duplicate} duplicate, {summary.Rejected} rejected, {summary.Invalid} invalid.");
        });
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
        var body = new { status = cosmosOk && storageOk ? "ok" : "degraded", cosmos = cosmosOk ? "ok" : "down", storage = storageOk ? "ok" : "down" };
        return Results.Json(body, statusCode: cosmosOk && storageOk ? 200 : 503);
    }

    private static async Task WriteUnhandledProblem(HttpContext http)
    {
        var error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        var unavailable = error is ContentionException or CosmosException { StatusCode: System.Net.HttpStatusCode.ServiceUnavailable or System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.RequestTimeout }
            or HttpRequestException or Azure.RequestFailedException { Status: 503 or 0 };
        // Never echo exception text: it can hold keys, connection strings or personal data.
        await Problems.For(unavailable ? "service_unavailable" : "internal_error", $"Correlation id {http.TraceIdentifier}.").ExecuteAsync(http);
    }
}

using Points.Functions.Api;
using Points.Functions.Hosting;

namespace Points.Functions.Imports;

/// <summary>CSV bulk adjustments dropped into blob storage (csv.md), through the blob-triggered <c>ImportAdjustments</c>.</summary>
public sealed class ImportsFeature : Feature
{
    /// <summary>Largest inline trigger payload accepted: the Functions front end caps bodies at 100 MB (facts §1.7).</summary>
    public const long InvocationBodyBytesMax = 140L * 1024 * 1024;

    public override void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddSingleton<AdjustmentImport>();

    public override void MapFunctions(WebApplication app) =>
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
}

using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Points.Functions.Api;
using Points.Functions.Hosting;
using Points.Functions.Imports;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Exports;

/// <summary>What a request file's result says: the export started, or why the file was refused.</summary>
public sealed record ExportRequestResult(string Status, string? ExportId, string? BlobName, IReadOnlyDictionary<string, string[]>? Errors);

/// <summary>
/// Export requests dropped at <c>imports/exports/{name}</c> (F30): the JSON body of <c>POST /api/v1/admin/exports</c>,
/// started as that route starts it. The export's id comes from the blob's name and version, so a redelivery resumes the
/// same export and the same file dropped again starts a new one. The answer is written to
/// <c>results/exports/{name}.result.json</c>: <c>started</c> with the export's id and file, or <c>invalid</c> with errors by field.
/// </summary>
public sealed partial class ExportRequestFiles(BlobStorage blobs, ExportStore exports, ExportScan scan, ProgramSettingsStore settingsStore, TimeProvider clock,
    ILogger<ExportRequestFiles> log) : IBlobImport
{
    public const string FunctionName = "ImportExportRequests";
    public const string Folder = "exports/";
    /// <summary>A request is a few hundred bytes; a filter of 64 nodes a few kilobytes.</summary>
    public const long FileBytesMax = 64 * 1024;

    public async Task<IResult> InvokeAsync(string name, CancellationToken cancellationToken)
    {
        if (CsvImport.UnreadableName(Folder, name) is { } why)
        {
            LogUnreadable(name, why);
            return Problems.For(Problems.InvalidRequest, $"The blob cannot be read by its name: {why}.");
        }
        var blob = blobs.Container(BlobContainers.Imports).GetBlobClient(Folder + name);
        BlobProperties properties;
        try
        {
            properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.BlobNotFound)
        {
            LogUnreadable(name, "it does not exist (deleted before it was read?)");
            return Problems.For(Problems.NotFound, "The blob does not exist.");
        }
        var result = await StartAsync(blob, properties, name, cancellationToken);
        await blobs.Container(BlobContainers.Results).GetBlobClient($"{Folder}{name}.result.json")
            .UploadAsync(BinaryData.FromObjectAsJson(result, JsonDefaults.Options), overwrite: true, cancellationToken);
        LogRequest(name, result.Status, result.ExportId);
        return InvocationReply.Ok($"{name}: {result.Status}{(result.ExportId is { } id ? " " + id : "")}.");
    }

    private async Task<ExportRequestResult> StartAsync(Azure.Storage.Blobs.BlobClient blob, BlobProperties properties, string name, CancellationToken cancellationToken)
    {
        if (properties.ContentLength > FileBytesMax)
        {
            return Invalid("file", $"At most {FileBytesMax / 1024} KiB.");
        }
        ExportRequest? request;
        try
        {
            var content = (await blob.DownloadContentAsync(new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfMatch = properties.ETag } }, cancellationToken)).Value.Content;
            request = JsonSerializer.Deserialize<ExportRequest>(content.ToMemory().Span, JsonDefaults.Options);
        }
        catch (JsonException e)
        {
            return Invalid("file", $"Not an export request in JSON ({e.Message.Split('.')[0]}).");
        }
        if (request is null) return Invalid("file", "Not an export request in JSON.");
        var (export, errors) = await ExportsFeature.StartAsync(request, $"file:{name}|{properties.ETag}", exports, scan, settingsStore, clock, cancellationToken);
        return errors is null ? new ExportRequestResult("started", export!.Id, $"{BlobContainers.Exports}/{export.BlobName}", null)
            : new ExportRequestResult("invalid", null, null, errors);
    }

    private static ExportRequestResult Invalid(string field, string message) => new("invalid", null, null, new Dictionary<string, string[]> { [field] = [message] });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Export request {Blob}: cannot be read, {Reason}")]
    private partial void LogUnreadable(string blob, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Export request {Blob}: {Status} {ExportId}")]
    private partial void LogRequest(string blob, string status, string? exportId);
}

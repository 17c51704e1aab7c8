using Microsoft.AspNetCore.Mvc;
using Points.Functions.Storage;

namespace Points.Functions.AdminConsole;

/// <summary>Files through the console: downloads of exports and import results, and CSV uploads into <c>imports/…</c>.</summary>
public static class ConsoleFiles
{
    /// <summary>The import folders an operator may upload to (each watched by its import function, csv.md).</summary>
    public static readonly IReadOnlyList<string> ImportFolders =
    [
        Imports.AdjustmentImport.Prefix, Members.MemberImport.Prefix, Members.MigrationImport.Prefix, Members.PurchaseHistoryImport.Prefix,
        Withdrawals.WithdrawalImport.Prefix,
    ];

    /// <summary>Containers whose files an operator may download: exports and the results of imports.</summary>
    private static readonly string[] Downloadable = [BlobContainers.Exports, BlobContainers.Results];
    private const int FileNameLengthMax = 200;

    /// <summary>The download address of a file named <c>{container}/{blob}</c>, as exports answer it.</summary>
    public static string DownloadPath(string containerAndBlob) =>
        DownloadPath(containerAndBlob[..containerAndBlob.IndexOf('/', StringComparison.Ordinal)], containerAndBlob[(containerAndBlob.IndexOf('/', StringComparison.Ordinal) + 1)..]);

    public static string DownloadPath(string container, string blob) =>
        $"{ConsolePaths.Files}/{container}/{string.Join('/', blob.Split('/').Select(Uri.EscapeDataString))}";

    public static async Task<IResult> DownloadAsync(string container, string blob, BlobStorage blobs, HttpContext http)
    {
        // The imports' own check of a blob's name (segments that resolve elsewhere, control characters, length).
        if (!Downloadable.Contains(container) || Imports.CsvImport.UnreadableName("", blob) is not null)
            return Api.Problems.For(Api.Problems.NotFound, "No such file.");
        var client = blobs.Container(container).GetBlobClient(blob);
        try
        {
            var download = await client.OpenReadAsync(cancellationToken: http.RequestAborted);
            var name = blob[(blob.LastIndexOf('/') + 1)..];
            // Always a download, never rendered here: a report page or a CSV opens outside the console's origin.
            return Results.Stream(download, Path.GetExtension(name) switch { ".html" => "text/html", ".txt" => "text/plain", ".json" => "application/json", _ => "text/csv" }, name);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return Api.Problems.For(Api.Problems.NotFound, "No such file.");
        }
    }

    /// <summary>
    /// The upload form's target: the file goes to <c>imports/{folder}{name}</c>, where its import function picks it up
    /// as if dropped by hand; the page then follows its result. Anti-forgery is checked by the form binding.
    /// </summary>
    public static async Task<IResult> UploadAsync([FromForm] string? folder, IFormFile? file, BlobStorage blobs)
    {
        var name = file is null ? null : Path.GetFileName(file.FileName).Trim();
        string? error = folder is null || !ImportFolders.Contains(folder) ? "folder"
            : file is null || file.Length == 0 ? "empty"
            : file.Length > ConsoleFeature.UploadBytesMax ? "too_large"
            // As the import would read it, and no character that would not survive in the result page's address.
            : name is not { Length: > 4 and <= FileNameLengthMax } || !name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
                || Imports.CsvImport.UnreadableName(folder, name) is not null || name.Any(c => c is '/' or '?' or '#' or '%') ? "name"
            : null;
        if (error is not null) return Results.Redirect($"{ConsolePaths.Imports}?error={error}");

        await using (var content = file!.OpenReadStream())
        {
            await blobs.Container(BlobContainers.Imports).GetBlobClient(folder + name).UploadAsync(content, overwrite: true);
        }
        return Results.Redirect($"{ConsolePaths.Imports}?uploaded={Uri.EscapeDataString(folder + name)}");
    }
}

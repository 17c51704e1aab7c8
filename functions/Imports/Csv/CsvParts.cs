using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Points.Functions.Storage;

namespace Points.Functions.Imports.Csv;

/// <summary>
/// A CSV file written in parts by the pages of a scan (rows only, each part rewritten whole when its page is done
/// again), then put together in order under one header: the parts are copied byte for byte, so the file's encoding is
/// the parts' own.
/// </summary>
public static class CsvParts
{
    /// <summary>Writes <paramref name="destination"/>: the header in <paramref name="encoding"/>, then every existing part in order. Staged, then committed whole.</summary>
    public static async Task MergeAsync(BlobContainerClient container, IEnumerable<string> parts, string destination, IReadOnlyList<CsvColumn> columns,
        CsvOutputEncoding encoding, CancellationToken cancellationToken)
    {
        await using var output = new StagedBlockBlobStream(container.GetBlockBlobClient(destination));
        await using (CsvResultWriter.Create(output, columns, encoding)) { } // the byte order mark (UTF-8) and the header
        foreach (var part in parts)
        {
            var blob = container.GetBlobClient(part);
            if (!await blob.ExistsAsync(cancellationToken)) continue;
            await using var content = await blob.OpenReadAsync(cancellationToken: cancellationToken);
            await content.CopyToAsync(output, cancellationToken);
        }
        await output.CommitAsync(cancellationToken);
    }
}

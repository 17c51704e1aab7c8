using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Hosting;
using Points.Functions.Imports.Csv;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Functions.Imports;

/// <summary>
/// The frame every CSV import dropped at <c>imports/{folder}/{name}</c> shares (csv.md): the blob name checked, one
/// delivery of a file at a time, a receipt per blob version so a redelivery does nothing, two streaming passes
/// (validate the whole file and hash it; apply only when no row is invalid), and the result file at
/// <c>results/{folder}/{name}.result.csv</c> replacing an earlier one only once it is complete. An import says only
/// how its rows are read, checked, applied and reported.
/// </summary>
public abstract partial class CsvImport(BlobStorage blobs, CosmosStorage cosmos, TimeProvider clock, ILogger log) : IBlobImport
{
    /// <summary>Longest blob name Azure Storage accepts.</summary>
    public const int BlobNameLengthMax = 1024;
    /// <summary>Rows held in memory at once while applying.</summary>
    public const int ChunkRows = 5_000;
    /// <summary>Row operations in flight at once.</summary>
    public const int InFlightMax = 64;

    /// <summary>The clock of the import (expiry bounds, receipts).</summary>
    protected TimeProvider Clock { get; } = clock;

    public sealed record Summary(string Status, long Rows, long Applied, long Duplicate, long Rejected, long Invalid);

    /// <summary>The file being imported: its name under the folder and the SHA-256 of its content (hex), which keys its rows.</summary>
    protected sealed record ImportedFile(string Name, string ContentHash)
    {
        /// <summary>The idempotency key of a row that gives none: the same content dropped again applies nothing new.</summary>
        public string RowKey(long row) => $"csv:{ContentHash[..32]}:{row}";
    }

    /// <summary>What the validation pass counted, kept by the frame so a file-level error after some rows still reports them.</summary>
    protected sealed class Tally(string name)
    {
        /// <summary>The file's name under the folder (a migration file carries its control total there).</summary>
        public string Name { get; } = name;
        public long Rows { get; set; }
        public long Invalid { get; set; }
    }

    private sealed record ImportJob([property: JsonPropertyName("id")] string Id, string Pk, string Blob, string ETag, Summary Summary, DateTimeOffset CompletedAt);

    /// <summary>The folder under <c>imports/</c> and <c>results/</c>, with its trailing slash (<c>adjustments/</c>).</summary>
    protected abstract string Folder { get; }

    /// <summary>Starts the result file on <paramref name="destination"/>, header written.</summary>
    protected abstract CsvResultWriter CreateResultWriter(Stream destination);

    /// <summary>Writes a result line for a problem with the file as a whole (<see cref="CsvFileErrorCodes"/>).</summary>
    protected abstract ValueTask WriteFileErrorAsync(CsvResultWriter writer, long row, string code, string message, CancellationToken cancellationToken);

    /// <summary>
    /// The first pass: reads every row of <paramref name="content"/>, counts it in <paramref name="tally"/>, and writes a
    /// result line for each invalid one. Applies nothing. May throw <see cref="CsvFileRejectedException"/>.
    /// </summary>
    protected abstract Task ValidateAsync(Stream content, Tally tally, CsvResultWriter writer, CancellationToken cancellationToken);

    /// <summary>The second pass, over a file without invalid rows: applies each row and writes its result line.</summary>
    protected abstract Task<Summary> ApplyAsync(Stream content, ImportedFile file, long rows, CsvResultWriter writer, CancellationToken cancellationToken);

    /// <summary>
    /// The blob trigger's invocation for blob <c>imports/{folder}/{name}</c>. A blob that is gone, changed while it
    /// was read, or cannot be named (a name whose path segments resolve elsewhere, such as <c>../x.csv</c>) is a failed
    /// invocation, answered non-2xx and logged, never an unhandled error: the host retries it and then sends it to
    /// poison, as it does for any failure. Outages still propagate (503).
    /// </summary>
    public async Task<IResult> InvokeAsync(string name, CancellationToken cancellationToken)
    {
        if (UnreadableName(name) is { } why)
        {
            LogUnreadable(Folder + name, why);
            return Problems.For(Problems.InvalidRequest, $"The blob cannot be read by its name: {why}.");
        }
        try
        {
            var summary = await RunAsync(name, cancellationToken);
            return InvocationReply.Ok($"{name}: {summary.Status}, {summary.Rows} rows, {summary.Applied} applied, {summary.Duplicate} duplicate, {summary.Rejected} rejected, {summary.Invalid} invalid.");
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.BlobNotFound)
        {
            LogUnreadable(Folder + name, "it does not exist (deleted before it was read?)");
            return Problems.For(Problems.NotFound, "The blob does not exist.");
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ConditionNotMet)
        {
            LogUnreadable(Folder + name, "it was replaced while it was read; the new version is imported on its own");
            return Problems.For(Problems.PreconditionFailed, "The blob was replaced while it was read.");
        }
        catch (RequestFailedException e) when (e.Status == 400)
        {
            LogUnreadable(Folder + name, $"storage refused its name ({e.ErrorCode})");
            return Problems.For(Problems.InvalidRequest, "Storage refused the blob's name.");
        }
    }

    /// <summary>
    /// Why a blob name cannot be read as given, or null. Clients resolve <c>.</c> and <c>..</c> segments of a URL
    /// before sending it, so <c>adjustments/../adjustments/x.csv</c> would read (and answer for) another blob.
    /// </summary>
    public string? UnreadableName(string name) => UnreadableName(Folder, name);

    /// <summary>Why <paramref name="name"/> under <paramref name="folder"/> cannot be read as given, or null (see the instance method).</summary>
    public static string? UnreadableName(string folder, string name)
    {
        if (name.Length is 0 || (folder.Length + name.Length) > BlobNameLengthMax) return $"its path must be 1–{BlobNameLengthMax} characters";
        if (TextRules.Check(name) is not null) return "it holds control characters or broken Unicode";
        if (name.Contains('\\')) return "it holds a backslash, which storage reads as a slash";
        if (name.Split('/').Any(segment => segment is "" or "." or "..") || name.EndsWith('.')) return "a path segment is empty, '.' or '..', or the name ends with a dot";
        return null;
    }

    public async Task<Summary> RunAsync(string name, CancellationToken cancellationToken)
    {
        var blob = blobs.Container(BlobContainers.Imports).GetBlobClient(Folder + name);
        var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        var jobId = $"{Folder.TrimEnd('/')}-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{name}|{properties.ETag}")))[..40];
        if (await ReceiptAsync(jobId, cancellationToken) is { } done)
        {
            return done.Summary; // This blob version was processed already: a redelivery.
        }

        // One delivery of a file at a time (ImportLease says why); one that ran meanwhile leaves its receipt.
        var resultBlob = blobs.Container(BlobContainers.Results).GetBlockBlobClient($"{Folder}{name}.result.csv");
        await using var lease = await ImportLease.AcquireAsync(resultBlob, log, cancellationToken);
        if (await ReceiptAsync(jobId, cancellationToken) is { } doneMeanwhile)
        {
            return doneMeanwhile.Summary;
        }

        // The result replaces the file only once this delivery has written all of it: a delivery that fails must not
        // leave a partial file in place of the complete one of an earlier delivery.
        await using var output = new StagedBlockBlobStream(resultBlob, lease.Conditions);
        var read = new BlobOpenReadOptions(false) { Conditions = new BlobRequestConditions { IfMatch = properties.ETag } };
        Summary summary;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan validated;
        await using (var writer = CreateResultWriter(output))
        {
            var (tally, contentHash) = await ValidateFileAsync(name, blob, read, writer, cancellationToken);
            validated = watch.Elapsed;
            if (tally.Invalid > 0)
            {
                summary = new Summary("invalid", tally.Rows, 0, 0, 0, tally.Invalid);
            }
            else
            {
                await using var content = await blob.OpenReadAsync(read, cancellationToken);
                summary = await ApplyAsync(content, new ImportedFile(name, contentHash), tally.Rows, writer, cancellationToken);
            }
        }
        await output.CommitAsync(cancellationToken);
        await cosmos.Jobs.UpsertItemAsync(new ImportJob(jobId, "imports", name, properties.ETag.ToString(), summary, Clock.GetUtcNow()),
            new Microsoft.Azure.Cosmos.PartitionKey("imports"), cancellationToken: cancellationToken);
        LogImported(Folder + name, summary.Status, summary.Rows, summary.Applied, summary.Duplicate, summary.Rejected, summary.Invalid,
            (long)validated.TotalMilliseconds, (long)(watch.Elapsed - validated).TotalMilliseconds);
        return summary;
    }

    private async Task<(Tally Tally, string ContentHash)> ValidateFileAsync(string name, Azure.Storage.Blobs.BlobClient blob, BlobOpenReadOptions read,
        CsvResultWriter writer, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var blobContent = await blob.OpenReadAsync(read, cancellationToken);
        var tally = new Tally(name);
        try
        {
            await ValidateAsync(new HashingStream(blobContent, hash), tally, writer, cancellationToken);
            if (tally.Rows == 0)
            {
                await WriteFileErrorAsync(writer, 0, CsvFileErrorCodes.NoRows, "no rows: the file has a header but no data rows, so nothing was applied.", cancellationToken);
                tally.Invalid = 1;
            }
        }
        catch (CsvFileRejectedException e)
        {
            await WriteFileErrorAsync(writer, e.Error.Row ?? 0, e.Error.Code, e.Error.Message, cancellationToken);
            tally.Invalid++;
        }
        return (tally, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>
    /// Commits one row's operation as every import row is committed: as a bulk job's (<see cref="MemberOperation.Bulk"/>),
    /// so a file's members never push the API's busy members out of the account cache.
    /// </summary>
    protected static Task<OperationResult> CommitRowAsync(MemberLedger ledger, MemberId memberId, MemberOperation operation) =>
        ledger.ExecuteAsync(memberId, operation with { Bulk = true });

    /// <summary>
    /// Applies <paramref name="rows"/> in file order with up to <see cref="InFlightMax"/> in flight (rows of one
    /// member share a commit), writing each result line in file order as soon as the rows before it are written, so
    /// at most <see cref="ChunkRows"/> rows wait in memory and the rows in flight never drain while results are written.
    /// <paramref name="apply"/> answers what the result line needs and nothing more; <paramref name="write"/> writes
    /// the line and answers its <see cref="ImportRowStatus"/>.
    /// </summary>
    protected static async Task<Summary> ApplyRowsAsync<TRow, TOutcome>(IAsyncEnumerable<TRow> rows, long rowCount, Func<TRow, Task<TOutcome>> apply,
        Func<TRow, TOutcome, ValueTask<string>> write, CancellationToken cancellationToken)
    {
        long applied = 0, duplicate = 0, rejected = 0;
        var waiting = new Queue<(TRow Row, Task<TOutcome> Outcome)>(ChunkRows);
        var inFlight = new SemaphoreSlim(InFlightMax); // Not disposed: after a failure, rows still in flight release it later.

        async Task WriteOldestAsync()
        {
            var (row, task) = waiting.Dequeue();
            _ = await write(row, await task) switch
            {
                ImportRowStatus.Applied => ++applied,
                ImportRowStatus.Duplicate => ++duplicate,
                _ => ++rejected,
            };
        }

        async Task<TOutcome> ReleasingAsync(Task<TOutcome> outcome)
        {
            try
            {
                return await outcome;
            }
            finally
            {
                inFlight.Release();
            }
        }

        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            await inFlight.WaitAsync(cancellationToken);
            waiting.Enqueue((row, ReleasingAsync(apply(row))));
            while (waiting.Count > 0 && (waiting.Count >= ChunkRows || waiting.Peek().Outcome.IsCompleted)) await WriteOldestAsync();
        }
        while (waiting.Count > 0) await WriteOldestAsync();
        return new Summary(rejected > 0 ? "completed_with_rejections" : "completed", rowCount, applied, duplicate, rejected, 0);
    }

    /// <summary>A file an import finished: where it was dropped, how it went, and where its result file is.</summary>
    public sealed record FinishedImport(string Folder, string Name, Summary Summary, DateTimeOffset CompletedAt)
    {
        public string ResultBlob => $"{Folder}{Name}.result.csv";
    }

    /// <summary>Every file finished since <paramref name="since"/> (the console's imports page and dashboard), newest first.</summary>
    public static async Task<IReadOnlyList<FinishedImport>> FinishedSinceAsync(CosmosStorage cosmos, DateTimeOffset since, CancellationToken cancellationToken)
    {
        // Receipts are named {folder}-{hash} (RunAsync).
        var receipts = await CosmosStorage.ReadPartitionAsync<ImportJob>(cosmos.Jobs, "imports", CosmosStorage.SinceFilter("c.completedAt", since), cancellationToken);
        return [.. receipts.Select(r => new FinishedImport(r.Id[..r.Id.LastIndexOf('-')] + "/", r.Blob, r.Summary, r.CompletedAt))
            .OrderByDescending(r => r.CompletedAt)];
    }

    private async Task<ImportJob?> ReceiptAsync(string jobId, CancellationToken cancellationToken) =>
        (await CosmosStorage.ReadOrNullAsync<ImportJob>(cosmos.Jobs, jobId, "imports", cancellationToken)).Item;

    /// <summary>Hashes what is read through it, so validation computes the content hash in the same pass.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : ReadOnlyForwardStream
    {
        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            hash.AppendData(buffer[..read]);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            hash.AppendData(buffer.Span[..read]);
            return read;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import {Blob}: cannot be read, {Reason}; the invocation fails (the host retries it, then sends it to poison)")]
    private partial void LogUnreadable(string blob, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {Blob}: {Status}, {Rows} rows, {Applied} applied, {Duplicate} duplicate, {Rejected} rejected, {Invalid} invalid; validated in {ValidatedMs} ms, applied in {AppliedMs} ms")]
    private partial void LogImported(string blob, string status, long rows, long applied, long duplicate, long rejected, long invalid, long validatedMs, long appliedMs);
}

/// <summary>The status, code and message of a row's result line, from what the ledger answered for it.</summary>
public readonly record struct ImportRowResult(string Status, string Code, string Message)
{
    public static ImportRowResult Of(OperationResult result) => result switch
    {
        OperationResult.Applied => new(ImportRowStatus.Applied, "", ""),
        OperationResult.Replayed => new(ImportRowStatus.Duplicate, "duplicate", "Applied before with the same idempotency key."),
        OperationResult.Rejected r => new(ImportRowStatus.Rejected, Problems.Of(r.Reason).Code, r.Detail),
        OperationResult.KeyReused => new(ImportRowStatus.Rejected, "idempotency_key_reused", "The idempotency key was used for a different row."),
        OperationResult.MemberNotFound => new(ImportRowStatus.Rejected, "member_not_found", "No such member."),
        _ => throw new ArgumentOutOfRangeException(nameof(result)),
    };
}

/// <summary>A file dropped in the imports container that a blob-triggered function reads by its name.</summary>
public interface IBlobImport
{
    /// <summary>The trigger's invocation: a clear non-2xx for a blob that cannot be read, never an unhandled error.</summary>
    Task<IResult> InvokeAsync(string name, CancellationToken cancellationToken);
}

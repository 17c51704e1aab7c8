using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Points.Domain.Adjustments;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Adjustments;
using Points.Functions.Api;
using Points.Functions.Hosting;
using Points.Functions.Imports.Csv;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Functions.Imports;

/// <summary>
/// Bulk adjustments dropped at <c>imports/adjustments/{name}</c> (csv.md, domain.md). Two streaming passes over the
/// blob: the first validates every row (and that each member exists) and hashes the content; a file with any invalid
/// row applies nothing and its result lists every invalid row. The second applies the rows, each with its own
/// idempotency key (given, or content hash + row), so a redelivery or the same file dropped again applies nothing new
/// (<c>duplicate</c>). Rows are applied in chunks with many in flight; rows of one member share one commit.
/// </summary>
public sealed partial class AdjustmentImport(BlobStorage blobs, LedgerStore store, MemberLedger ledger, CosmosStorage cosmos,
    Settings.ProgramSettingsStore settingsStore, TimeProvider clock, ILogger<AdjustmentImport> log)
{
    public const string FunctionName = "ImportAdjustments";
    public const string Prefix = "adjustments/";
    /// <summary>Rows held in memory at once while applying.</summary>
    public const int ChunkRows = 5_000;
    /// <summary>Row operations in flight at once.</summary>
    public const int InFlightMax = 64;
    /// <summary>Members remembered as existing during validation before the set is cleared (bounds memory).</summary>
    public const int KnownMembersMax = 100_000;

    public sealed record Summary(string Status, long Rows, long Applied, long Duplicate, long Rejected, long Invalid);

    private sealed record ImportJob([property: JsonPropertyName("id")] string Id, string Pk, string Blob, string ETag, Summary Summary, DateTimeOffset CompletedAt);

    /// <summary>
    /// The blob trigger's invocation for blob <c>imports/adjustments/{name}</c>. A blob that is gone, changed while it
    /// was read, or cannot be named (a name whose path segments resolve elsewhere, such as <c>../x.csv</c>) is a failed
    /// invocation, answered non-2xx and logged, never an unhandled error: the host retries it and then sends it to
    /// poison, as it does for any failure. Outages still propagate (503).
    /// </summary>
    public async Task<IResult> InvokeAsync(string name, CancellationToken cancellationToken)
    {
        if (UnreadableName(name) is { } why)
        {
            LogUnreadable(name, why);
            return Problems.For(Problems.InvalidRequest, $"The blob cannot be read by its name: {why}.");
        }
        try
        {
            var summary = await RunAsync(name, cancellationToken);
            return InvocationReply.Ok($"{name}: {summary.Status}, {summary.Rows} rows, {summary.Applied} applied, {summary.Duplicate} duplicate, {summary.Rejected} rejected, {summary.Invalid} invalid.");
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.BlobNotFound)
        {
            LogUnreadable(name, "it does not exist (deleted before it was read?)");
            return Problems.For(Problems.NotFound, "The blob does not exist.");
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ConditionNotMet)
        {
            LogUnreadable(name, "it was replaced while it was read; the new version is imported on its own");
            return Problems.For(Problems.PreconditionFailed, "The blob was replaced while it was read.");
        }
        catch (RequestFailedException e) when (e.Status == 400)
        {
            LogUnreadable(name, $"storage refused its name ({e.ErrorCode})");
            return Problems.For(Problems.InvalidRequest, "Storage refused the blob's name.");
        }
    }

    /// <summary>Longest blob name Azure Storage accepts.</summary>
    public const int BlobNameLengthMax = 1024;

    /// <summary>
    /// Why a blob name cannot be read as given, or null. Clients resolve <c>.</c> and <c>..</c> segments of a URL
    /// before sending it, so <c>adjustments/../adjustments/x.csv</c> would read (and answer for) another blob.
    /// </summary>
    public static string? UnreadableName(string name)
    {
        if (name.Length is 0 || (Prefix.Length + name.Length) > BlobNameLengthMax) return $"its path must be 1–{BlobNameLengthMax} characters";
        if (TextRules.Check(name) is not null) return "it holds control characters or broken Unicode";
        if (name.Contains('\\')) return "it holds a backslash, which storage reads as a slash";
        if (name.Split('/').Any(segment => segment is "" or "." or "..") || name.EndsWith('.')) return "a path segment is empty, '.' or '..', or the name ends with a dot";
        return null;
    }

    public async Task<Summary> RunAsync(string name, CancellationToken cancellationToken)
    {
        var blob = blobs.Container(BlobContainers.Imports).GetBlobClient(Prefix + name);
        var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        var jobId = "adjustments-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{name}|{properties.ETag}")))[..40];
        if (await ReceiptAsync(jobId, cancellationToken) is { } done)
        {
            return done.Summary; // This blob version was processed already: a redelivery.
        }

        // One delivery of a file at a time (ImportLease says why); one that ran meanwhile leaves its receipt.
        var resultBlob = blobs.Container(BlobContainers.Results).GetBlockBlobClient($"{Prefix}{name}.result.csv");
        await using var lease = await ImportLease.AcquireAsync(resultBlob, log, cancellationToken);
        if (await ReceiptAsync(jobId, cancellationToken) is { } doneMeanwhile)
        {
            return doneMeanwhile.Summary;
        }

        // The result replaces the file only once this delivery has written all of it: a delivery that fails must not
        // leave a partial file in place of the complete one of an earlier delivery.
        await using var output = new StagedBlockBlobStream(resultBlob, lease.Conditions);
        var conditions = new BlobRequestConditions { IfMatch = properties.ETag };
        Summary summary;
        await using (var writer = AdjustmentResultCsv.CreateWriter(output))
        {
            var (invalid, rows, contentHash) = await ValidateAsync(blob, conditions, writer, cancellationToken);
            summary = invalid > 0
                ? new Summary("invalid", rows, 0, 0, 0, invalid)
                : await ApplyAsync(blob, conditions, name, contentHash, rows, writer, cancellationToken);
        }
        await output.CommitAsync(cancellationToken);
        await cosmos.Jobs.UpsertItemAsync(new ImportJob(jobId, "imports", name, properties.ETag.ToString(), summary, clock.GetUtcNow()),
            new Microsoft.Azure.Cosmos.PartitionKey("imports"), cancellationToken: cancellationToken);
        LogImported(name, summary.Status, summary.Rows, summary.Applied, summary.Duplicate, summary.Rejected, summary.Invalid);
        return summary;
    }

    private async Task<ImportJob?> ReceiptAsync(string jobId, CancellationToken cancellationToken) =>
        (await CosmosStorage.ReadOrNullAsync<ImportJob>(cosmos.Jobs, jobId, "imports", cancellationToken)).Item;

    private async Task<(long Invalid, long Rows, string ContentHash)> ValidateAsync(Azure.Storage.Blobs.BlobClient blob,
        BlobRequestConditions conditions, CsvResultWriter writer, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var blobContent = await blob.OpenReadAsync(new Azure.Storage.Blobs.Models.BlobOpenReadOptions(false) { Conditions = conditions }, cancellationToken);
        var content = new HashingStream(blobContent, hash);
        long invalid = 0, rows = 0;
        var known = new HashSet<string>(StringComparer.Ordinal);
        var keys = new KeysInFile();
        var expiryMax = (await settingsStore.GetAsync(cancellationToken)).DateOf(clock.GetUtcNow()).AddDays(AdjustmentsFeature.ExpiryDaysAheadMax);
        try
        {
            var pending = new List<AdjustmentCsvRow>();
            await foreach (var outcome in new AdjustmentCsvReader().ReadAsync(content, cancellationToken))
            {
                rows++;
                if (outcome is InvalidAdjustmentCsvRow bad)
                {
                    invalid++;
                    await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(bad.Row, bad.MemberId ?? "", bad.PointsText ?? "",
                        AdjustmentResultStatus.Invalid, string.Join(';', bad.Errors.Select(e => e.Code)),
                        string.Join("; ", bad.Errors.Select(e => $"{e.Field}: {e.Message}")), null), cancellationToken);
                    continue;
                }
                var row = (AdjustmentCsvRow)outcome;
                if (row.ExpiresOn > expiryMax)
                {
                    invalid++;
                    await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(row.Row, row.MemberId, Text(row.Points), AdjustmentResultStatus.Invalid,
                        CsvRowErrorCodes.InvalidDate, $"expires_on: at most {AdjustmentsFeature.ExpiryDaysAheadMax:N0} days (10 years) from today.", null), cancellationToken);
                    continue;
                }
                if (keys.FirstRowWithOtherContent(row) is { } first)
                {
                    // Applying both would apply one and refuse the other: the validation pass sees it, so the file is refused.
                    invalid++;
                    await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(row.Row, row.MemberId, Text(row.Points), AdjustmentResultStatus.Invalid,
                        CsvRowErrorCodes.IdempotencyKeyReused,
                        $"idempotency_key: row {first} has the same key with a different adjustment; give each adjustment its own key.", null), cancellationToken);
                    continue;
                }
                pending.Add(row);
                if (pending.Count >= ChunkRows)
                {
                    invalid += await CheckMembersExistAsync(pending, known, writer, cancellationToken);
                    pending.Clear();
                }
            }
            invalid += await CheckMembersExistAsync(pending, known, writer, cancellationToken);
            if (rows == 0)
            {
                await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(0, "", "", AdjustmentResultStatus.Invalid, CsvFileErrorCodes.NoRows,
                    "no rows: the file has a header but no data rows, so nothing was applied.", null), cancellationToken);
                return (1, 0, "");
            }
        }
        catch (CsvFileRejectedException e)
        {
            await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(e.Error.Row ?? 0, "", "", AdjustmentResultStatus.Invalid,
                e.Error.Code, e.Error.Message, null), cancellationToken);
            return (invalid + 1, rows, "");
        }
        return (invalid, rows, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private async Task<long> CheckMembersExistAsync(List<AdjustmentCsvRow> rows, HashSet<string> known, CsvResultWriter writer,
        CancellationToken cancellationToken)
    {
        if (known.Count > KnownMembersMax) known.Clear();
        var unknown = rows.Select(r => r.MemberId).Where(m => !known.Contains(m)).Distinct(StringComparer.Ordinal).ToList();
        var missing = new HashSet<string>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(unknown, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (memberId, ct) =>
        {
            var (account, _) = await store.ReadAccountAsync(MemberId.Parse(memberId), ct);
            lock (missing)
            {
                if (account is null) missing.Add(memberId);
                else known.Add(memberId);
            }
        });
        long invalid = 0;
        foreach (var row in rows.Where(r => missing.Contains(r.MemberId)))
        {
            invalid++;
            await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(row.Row, row.MemberId, Text(row.Points),
                AdjustmentResultStatus.Invalid, "member_not_found", "member_id: no such member.", null), cancellationToken);
        }
        return invalid;
    }

    private async Task<Summary> ApplyAsync(Azure.Storage.Blobs.BlobClient blob, BlobRequestConditions conditions, string name,
        string contentHash, long rows, CsvResultWriter writer, CancellationToken cancellationToken)
    {
        await using var content = await blob.OpenReadAsync(new Azure.Storage.Blobs.Models.BlobOpenReadOptions(false) { Conditions = conditions }, cancellationToken);
        long applied = 0, duplicate = 0, rejected = 0;
        var chunk = new List<(AdjustmentCsvRow Row, Task<RowOutcome> Outcome)>(ChunkRows);
        var inFlight = new SemaphoreSlim(InFlightMax); // Not disposed: after a failure, rows still in flight release it later.

        async Task FlushAsync()
        {
            foreach (var (row, task) in chunk)
            {
                var (status, code, message, balance) = await task;
                _ = status switch
                {
                    AdjustmentResultStatus.Applied => ++applied,
                    AdjustmentResultStatus.Duplicate => ++duplicate,
                    _ => ++rejected,
                };
                await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(row.Row, row.MemberId, Text(row.Points), status, code, message, balance), cancellationToken);
            }
            chunk.Clear();
        }

        await foreach (var outcome in new AdjustmentCsvReader().ReadAsync(content, cancellationToken))
        {
            var row = (AdjustmentCsvRow)outcome;
            var adjustment = new Adjustment(row.Points, row.Kind == AdjustmentKinds.Special ? LotKind.Special : LotKind.Regular, row.ExpiresOn, row.Reason);
            var key = row.IdempotencyKey ?? $"csv:{contentHash[..32]}:{row.Row}";
            await inFlight.WaitAsync(cancellationToken);
            chunk.Add((row, DescribeAsync(ledger.ExecuteAsync(MemberId.Parse(row.MemberId),
                AdjustmentsFeature.Operation(adjustment, $"import:{name}", key, RequestReader.HashOf("CSV", Prefix, new { row.MemberId, adjustment }))), inFlight)));
            if (chunk.Count >= ChunkRows) await FlushAsync();
        }
        await FlushAsync();
        return new Summary(rejected > 0 ? "completed_with_rejections" : "completed", rows, applied, duplicate, rejected, 0);
    }

    /// <summary>What the result file needs of a row's result, taken as soon as it is known: the chunk then holds these
    /// few fields, not every row's account document until the chunk is written out.</summary>
    private readonly record struct RowOutcome(string Status, string Code, string Message, long? Balance);

    private static async Task<RowOutcome> DescribeAsync(Task<OperationResult> result, SemaphoreSlim inFlight)
    {
        try
        {
            return Describe(await result);
        }
        finally
        {
            inFlight.Release();
        }
    }

    private static RowOutcome Describe(OperationResult result) => result switch
    {
        OperationResult.Applied { Result: Adjustment.Response applied } => new(AdjustmentResultStatus.Applied, "", "", applied.Balance),
        OperationResult.Replayed r => new(AdjustmentResultStatus.Duplicate, "duplicate", "Applied before with the same idempotency key.",
            r.ResultAs<Adjustment.Response>().Balance),
        OperationResult.Rejected r => new(AdjustmentResultStatus.Rejected, Problems.Of(r.Reason).Code, r.Detail, null),
        OperationResult.KeyReused => new(AdjustmentResultStatus.Rejected, "idempotency_key_reused", "The idempotency key was used for a different row.", null),
        OperationResult.MemberNotFound => new(AdjustmentResultStatus.Rejected, "member_not_found", "No such member.", null),
        _ => throw new ArgumentOutOfRangeException(nameof(result)),
    };

    private static string Text(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import {Blob}: cannot be read, {Reason}; the invocation fails (the host retries it, then sends it to poison)")]
    private partial void LogUnreadable(string blob, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {Blob}: {Status}, {Rows} rows, {Applied} applied, {Duplicate} duplicate, {Rejected} rejected, {Invalid} invalid")]
    private partial void LogImported(string blob, string status, long rows, long applied, long duplicate, long rejected, long invalid);

    /// <summary>
    /// The idempotency keys given in one file, each with the first row that used it and a hash of that row's
    /// adjustment: 40-odd bytes per keyed row (hashes, not the keys themselves), so about 40 MiB for a file of a
    /// million keyed rows, the most a file may hold.
    /// </summary>
    private sealed class KeysInFile
    {
        private readonly Dictionary<UInt128, (long Row, UInt128 Content)> _firstUse = [];

        /// <summary>The first row that used this row's key for a different adjustment, or null (no key, a new key, or the same adjustment again).</summary>
        public long? FirstRowWithOtherContent(AdjustmentCsvRow row)
        {
            if (row.IdempotencyKey is not { } key) return null;
            var content = HashOf($"{row.MemberId}\n{row.Points}\n{row.Kind}\n{row.ExpiresOn:yyyy-MM-dd}\n{row.Reason}");
            var keyHash = HashOf(key);
            if (_firstUse.TryAdd(keyHash, (row.Row, content))) return null;
            var first = _firstUse[keyHash];
            return first.Content == content ? null : first.Row;
        }

        private static UInt128 HashOf(string text) =>
            System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
    }

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
}

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
            return await import.InvokeAsync(name, http.RequestAborted);
        });
}

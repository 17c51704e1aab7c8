using System.Security.Cryptography;
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
public sealed class AdjustmentImport(BlobStorage blobs, LedgerStore store, MemberLedger ledger, CosmosStorage cosmos,
    Settings.ProgramSettingsStore settingsStore, TimeProvider clock, ILogger<AdjustmentImport> log) : CsvImport(blobs, cosmos, clock, log)
{
    public const string FunctionName = "ImportAdjustments";
    public const string Prefix = "adjustments/";
    /// <summary>Members remembered as existing during validation before the set is cleared (bounds memory).</summary>
    public const int KnownMembersMax = 100_000;

    protected override string Folder => Prefix;

    protected override CsvResultWriter CreateResultWriter(Stream destination) => AdjustmentResultCsv.CreateWriter(destination);

    protected override ValueTask WriteFileErrorAsync(CsvResultWriter writer, long row, string code, string message, CancellationToken cancellationToken) =>
        AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(row, "", "", ImportRowStatus.Invalid, code, message, null), cancellationToken);

    protected override async Task ValidateAsync(Stream content, Tally tally, CsvResultWriter writer, CancellationToken cancellationToken)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        var keys = new KeysInFile();
        var expiryMax = (await settingsStore.GetAsync(cancellationToken)).DateOf(Clock.GetUtcNow()).AddDays(AdjustmentsFeature.ExpiryDaysAheadMax);
        var pending = new List<AdjustmentCsvRow>();
        await foreach (var outcome in new AdjustmentCsvReader().ReadAsync(content, cancellationToken))
        {
            tally.Rows++;
            if (outcome is InvalidAdjustmentCsvRow bad)
            {
                tally.Invalid++;
                await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(bad.Row, bad.MemberId ?? "", bad.PointsText ?? "",
                    ImportRowStatus.Invalid, string.Join(';', bad.Errors.Select(e => e.Code)),
                    string.Join("; ", bad.Errors.Select(e => $"{e.Field}: {e.Message}")), null), cancellationToken);
                continue;
            }
            var row = (AdjustmentCsvRow)outcome;
            if (row.ExpiresOn > expiryMax)
            {
                tally.Invalid++;
                await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(row.Row, row.MemberId, Text(row.Points), ImportRowStatus.Invalid,
                    CsvRowErrorCodes.InvalidDate, $"expires_on: at most {AdjustmentsFeature.ExpiryDaysAheadMax:N0} days (10 years) from today.", null), cancellationToken);
                continue;
            }
            if (keys.FirstRowWithOtherContent(row) is { } first)
            {
                // Applying both would apply one and refuse the other: the validation pass sees it, so the file is refused.
                tally.Invalid++;
                await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(row.Row, row.MemberId, Text(row.Points), ImportRowStatus.Invalid,
                    CsvRowErrorCodes.IdempotencyKeyReused,
                    $"idempotency_key: row {first} has the same key with a different adjustment; give each adjustment its own key.", null), cancellationToken);
                continue;
            }
            pending.Add(row);
            if (pending.Count >= ChunkRows)
            {
                tally.Invalid += await CheckMembersExistAsync(pending, known, writer, cancellationToken);
                pending.Clear();
            }
        }
        tally.Invalid += await CheckMembersExistAsync(pending, known, writer, cancellationToken);
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
                ImportRowStatus.Invalid, "member_not_found", "member_id: no such member.", null), cancellationToken);
        }
        return invalid;
    }

    protected override Task<Summary> ApplyAsync(Stream content, ImportedFile file, long rows, CsvResultWriter writer, CancellationToken cancellationToken) =>
        ApplyRowsAsync(new AdjustmentCsvReader().ReadAsync(content, cancellationToken).Cast<AdjustmentCsvRow>(), rows,
            async row =>
            {
                var adjustment = new Adjustment(row.Points, row.Kind == AdjustmentKinds.Special ? LotKind.Special : LotKind.Regular, row.ExpiresOn, row.Reason);
                return Describe(await CommitRowAsync(ledger, MemberId.Parse(row.MemberId), AdjustmentsFeature.Operation(adjustment, $"import:{file.Name}",
                    row.IdempotencyKey ?? file.RowKey(row.Row), RequestReader.HashOf("CSV", Prefix, new { row.MemberId, adjustment }))));
            },
            async (row, outcome) =>
            {
                var ((status, code, message), balance) = outcome;
                await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(row.Row, row.MemberId, Text(row.Points), status, code, message, balance), cancellationToken);
                return status;
            },
            cancellationToken);

    /// <summary>What the result file needs of a row's result, taken as soon as it is known: the chunk then holds these
    /// few fields, not every row's account document until the chunk is written out.</summary>
    private readonly record struct RowOutcome(ImportRowResult Result, long? Balance);

    private static RowOutcome Describe(OperationResult result) => new(ImportRowResult.Of(result), result switch
    {
        OperationResult.Applied { Result: Adjustment.Response applied } => applied.Balance,
        OperationResult.Replayed replayed => replayed.ResultAs<Adjustment.Response>().Balance,
        _ => null,
    });

    private static string Text(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

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
}

/// <summary>CSV bulk adjustments dropped into blob storage (csv.md), through the blob-triggered <c>ImportAdjustments</c>.</summary>
public sealed class ImportsFeature : Feature
{
    /// <summary>Largest inline trigger payload accepted: the Functions front end caps bodies at 100 MB (facts §1.7).</summary>
    public const long InvocationBodyBytesMax = 140L * 1024 * 1024;

    public override void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddSingleton<AdjustmentImport>();

    public override void MapFunctions(WebApplication app) => MapImport<AdjustmentImport>(app, AdjustmentImport.FunctionName);

    /// <summary>Maps the blob-triggered function of an import (its declaration names the folder it watches).</summary>
    public static void MapImport<TImport>(WebApplication app, string functionName) where TImport : IBlobImport =>
        app.MapFunction(functionName, async (HttpContext http, TImport import) =>
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

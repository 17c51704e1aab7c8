using System.Globalization;
using System.Text.RegularExpressions;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Imports;
using Points.Functions.Imports.Csv;
using Points.Functions.Ledger;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Members;

/// <summary>A data row of a migration file, as read: valid when <see cref="Errors"/> is empty. <see cref="IsTotal"/>: the control total trailer.</summary>
public sealed record MigrationCsvRow(long Row, string MemberId, long Points, LotKind Kind, DateOnly EarnedOn, DateOnly? ExpiresOn, string? Reference, bool IsTotal,
    IReadOnlyList<CsvRowError> Errors);

/// <summary>
/// Opening balances dropped at <c>imports/migration/{name}</c> (issue 17): one row per lot a member had in the old
/// system — points, kind, original earn date, expiry date — each becoming a <c>migrate</c> entry that keeps those dates.
/// The file carries a control total (in its name, <c>…total-12345.csv</c>, or a last row <c>#total</c> / <c>合計</c> with
/// the points): the whole file is refused unless its points add up to it. Validated whole first; then each row applies
/// once (its key: content hash + row); a lot already expired is that row's <c>rejected</c>; a member migrated by
/// another file is <c>duplicate</c> (<c>already_migrated</c>). The result ends with a summary line: members, lots,
/// points by kind, against the control total.
/// </summary>
public sealed partial class MigrationImport(BlobStorage blobs, CosmosStorage cosmos, MemberLedger ledger, ProgramSettingsStore settingsStore, TimeProvider clock,
    ILogger<MigrationImport> log) : MemberRowImport(blobs, cosmos, clock, log)
{
    public const string FunctionName = "ImportMigration";
    public const string Prefix = "migration/";
    /// <summary>The status of the summary line that ends the result file.</summary>
    public const string SummaryStatus = "summary";
    public static readonly IReadOnlySet<string> TotalMarkers = new HashSet<string>(StringComparer.Ordinal) { "#total", "#TOTAL", "合計" };

    private const int MemberIdColumn = 0, PointsColumn = 1, KindColumn = 2, EarnedOnColumn = 3, ExpiresOnColumn = 4, ReferenceColumn = 5;

    public static IReadOnlyList<CsvColumnName> Columns { get; } =
    [
        new("member_id", "会員ID", IsRequired: true),
        new("points", "ポイント", IsRequired: true),
        new("kind", "種別", IsRequired: true),
        new("earned_on", "付与日", IsRequired: true),
        new("expires_on", "有効期限", IsRequired: false),
        new("reference", "移行参照", IsRequired: false),
    ];

    protected override string Folder => Prefix;

    /// <summary>The control total a file name carries (<c>…total-12345…</c>, <c>…合計-12345…</c>), or null.</summary>
    public static long? TotalInName(string name) =>
        TotalPattern().Match(name) is { Success: true } match && long.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var total) ? total : null;

    [GeneratedRegex(@"(?:total|合計)[-_=]?(\d{1,18})", RegexOptions.IgnoreCase)]
    private static partial Regex TotalPattern();

    protected override async Task ValidateAsync(Stream content, Tally tally, CsvResultWriter writer, CancellationToken cancellationToken)
    {
        var today = (await settingsStore.GetAsync(cancellationToken)).DateOf(Clock.GetUtcNow());
        long sum = 0;
        long? trailer = null, trailerRow = null;
        await foreach (var row in ReadAsync(content, cancellationToken))
        {
            tally.Rows++;
            var errors = row.Errors.ToList();
            if (trailerRow is { } last) errors.Add(new("member_id", "rows_after_total", $"row {last} is the control total; it must be the last row."));
            if (row.IsTotal)
            {
                (trailer, trailerRow) = (row.Points, row.Row);
            }
            else if (errors.Count == 0)
            {
                if (row.EarnedOn > today) errors.Add(new("earned_on", CsvRowErrorCodes.InvalidDate, "earned_on must not be in the future."));
                sum += row.Points;
            }
            if (errors.Count == 0) continue;
            tally.Invalid++;
            await WriteInvalidAsync(writer, row.Row, row.MemberId, errors, cancellationToken);
        }
        if (tally.Invalid > 0 || tally.Rows == 0) return;
        var named = TotalInName(tally.Name);
        var (code, message) = (named, trailer) switch
        {
            (null, null) => ("control_total_missing", "The file carries no control total: name it …total-{points}.csv or end it with a row '#total' (合計) and the points."),
            ({ } n, { } t) when n != t => ("control_total_mismatch", $"The file name says {n:N0} points and the #total row {t:N0}."),
            _ when (named ?? trailer) != sum => ("control_total_mismatch", $"The rows add up to {sum:N0} points; the control total is {(named ?? trailer):N0}. Nothing was applied."),
            _ => (null, null),
        };
        if (code is null) return;
        tally.Invalid++;
        await WriteFileErrorAsync(writer, trailerRow ?? 0, code, message!, cancellationToken);
    }

    protected override async Task<Summary> ApplyAsync(Stream content, ImportedFile file, long rows, CsvResultWriter writer, CancellationToken cancellationToken)
    {
        var members = new HashSet<string>(StringComparer.Ordinal);
        var byKind = new SortedDictionary<LotKind, (long Lots, long Points)>();
        long? total = TotalInName(file.Name);
        // The trailer is the control total, not a lot: read for the summary, not applied.
        var lots = ReadAsync(content, cancellationToken).Where(row =>
        {
            if (row.IsTotal) total = row.Points;
            return !row.IsTotal;
        });
        var summary = await ApplyRowsAsync(lots, rows,
            row => ApplyRowAsync(row, file),
            async (row, result) =>
            {
                await WriteAsync(writer, row.Row, row.MemberId, result, cancellationToken);
                if (result.Status == ImportRowStatus.Applied)
                {
                    members.Add(row.MemberId);
                    var (lots, points) = byKind.GetValueOrDefault(row.Kind);
                    byKind[row.Kind] = (lots + 1, points + row.Points);
                }
                return result.Status;
            },
            cancellationToken);
        // Plain numbers and no commas: the line reads the same in any spreadsheet locale.
        var kinds = string.Join("; ", Enum.GetValues<LotKind>().Order().Select(k => $"{k.ToString().ToLowerInvariant()} {Number(byKind.GetValueOrDefault(k).Points)}"));
        var applied = byKind.Values.Sum(v => v.Points);
        await WriteAsync(writer, rows + 1, "", new ImportRowResult(SummaryStatus, applied == total ? "control_total_matched" : "control_total_partly_applied",
            $"members {Number(members.Count)}; lots {Number(byKind.Values.Sum(v => v.Lots))}; points {Number(applied)} ({kinds}); control total {Number(total ?? 0)}"), cancellationToken);
        return summary;
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private async Task<ImportRowResult> ApplyRowAsync(MigrationCsvRow row, ImportedFile file)
    {
        var lot = new MigratedLot(row.Kind, new PointAmount(row.Points), row.EarnedOn, row.ExpiresOn, row.Reference);
        var result = await CommitRowAsync(ledger, MemberId.Parse(row.MemberId), new MemberOperation($"import:{Prefix}{file.Name}", file.RowKey(row.Row),
            RequestReader.HashOf("CSV", Prefix, new { row.MemberId, lot }), input => Migration.Decide(input.Member, lot, file.ContentHash, row.Row, input.Context)));
        return result switch
        {
            OperationResult.Rejected { Reason: MigrationRejection.AlreadyMigrated } refused => new(ImportRowStatus.Duplicate, "already_migrated", refused.Detail),
            _ => ImportRowResult.Of(result),
        };
    }

    /// <summary>Reads the rows of <paramref name="content"/>, checked for format only.</summary>
    public static IAsyncEnumerable<MigrationCsvRow> ReadAsync(Stream content, CancellationToken cancellationToken) =>
        CsvImportFile.ReadRowsAsync(content, Columns, CsvImportLimits.Default, Check, cancellationToken);

    private static MigrationCsvRow Check(CsvImportFile file)
    {
        var errors = new List<CsvRowError>();
        void Add(int column, string code, string message) => errors.Add(new CsvRowError(Columns[column].Name, code, message));
        string? Optional(int column) => CsvRowChecks.Optional(file, column);
        DateOnly? Date(int column) => CsvRowChecks.Date(file, column, Columns[column].Name, errors);

        var memberId = file.Field(MemberIdColumn);
        var isTotal = TotalMarkers.Contains(memberId);
        var pointsText = file.Field(PointsColumn);
        var pointsMax = isTotal ? long.MaxValue / 2 : PointAmount.PerRequestMax;
        if (!long.TryParse(pointsText, NumberStyles.None, CultureInfo.InvariantCulture, out var points) || points < 1 || points > pointsMax)
            Add(PointsColumn, "invalid_points", $"points must be a whole number 1..{pointsMax}.");
        if (isTotal)
        {
            if (CsvRowChecks.ExtraFields(file) is { } extraOnTotal) errors.Add(extraOnTotal);
            return new MigrationCsvRow(file.Row, memberId, points, LotKind.Regular, default, null, null, true, errors);
        }
        if (CsvRowChecks.MemberId(memberId) is { } badMemberId) errors.Add(badMemberId);
        LotKind? kind = file.Field(KindColumn) switch
        {
            "regular" or "通常" => LotKind.Regular,
            "special" or "期間限定" => LotKind.Special,
            "purchased" or "購入" => LotKind.Purchased,
            _ => null,
        };
        if (kind is null) Add(KindColumn, "invalid_kind", "kind must be regular (通常), special (期間限定) or purchased (購入).");
        var earnedOn = Date(EarnedOnColumn);
        if (earnedOn is null && Optional(EarnedOnColumn) is null) Add(EarnedOnColumn, CsvRowErrorCodes.InvalidDate, "earned_on is required: the day the points were earned in the old system.");
        var expiresOn = Date(ExpiresOnColumn);
        if (expiresOn is null && Optional(ExpiresOnColumn) is null && kind is LotKind.Regular or LotKind.Special)
            Add(ExpiresOnColumn, CsvRowErrorCodes.InvalidDate, "expires_on is required for regular and special points: the expiry they had in the old system.");
        if (expiresOn < earnedOn) Add(ExpiresOnColumn, CsvRowErrorCodes.InvalidDate, "expires_on must not be before earned_on.");
        var reference = Optional(ReferenceColumn);
        if (reference is { Length: > EntryDetails.ReferenceLengthMax } || (reference is not null && TextRules.Check(reference) is not null))
            Add(ReferenceColumn, "invalid_reference", $"reference: at most {EntryDetails.ReferenceLengthMax} characters, no control characters.");
        if (CsvRowChecks.ExtraFields(file) is { } extra) errors.Add(extra);
        return new MigrationCsvRow(file.Row, memberId, points, kind ?? LotKind.Regular, earnedOn ?? default, expiresOn, reference, false, errors);
    }
}

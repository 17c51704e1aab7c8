using System.Collections.Immutable;
using System.Globalization;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Imports;
using Points.Functions.Imports.Csv;
using Points.Functions.Ledger;
using Points.Functions.Settings;
using Points.Functions.SpecialPoints;
using Points.Functions.Storage;

namespace Points.Functions.Members;

/// <summary>A data row of a purchase history file, as read: valid when <see cref="Errors"/> is empty.</summary>
public sealed record PastPurchaseCsvRow(long Row, string MemberId, string OrderId, DateOnly Day, long AmountYen, ImmutableArray<string> Skus, IReadOnlyList<CsvRowError> Errors);

/// <summary>
/// Past purchases dropped at <c>imports/purchases/{name}</c> (issue 17): a business arrives with years of orders, and
/// "no purchase in the last year" must work on day one. Each order goes to the member's purchase history (the pages
/// segments read) and counts in its month for the rank metric (the 13 months the member keeps); no points are
/// awarded (events keep their 30-day window; this is the path for older history). Once per order id: the same order
/// again is <c>duplicate</c> (by its idempotency key, and for good by the history page that holds it). Orders older
/// than the history the program keeps (<c>specialPoints.purchaseHistoryMonths</c>) are that row's <c>rejected</c>.
/// </summary>
public sealed class PurchaseHistoryImport(BlobStorage blobs, CosmosStorage cosmos, MemberLedger ledger, PurchaseHistory history, ProgramSettingsStore settingsStore,
    TimeProvider clock, ILogger<PurchaseHistoryImport> log) : MemberRowImport(blobs, cosmos, clock, log)
{
    public const string FunctionName = "ImportPurchaseHistory";
    public const string Prefix = "purchases/";
    public const int SkusMax = 50;

    private const int MemberIdColumn = 0, OrderIdColumn = 1, PurchasedOnColumn = 2, AmountColumn = 3, SkusColumn = 4;

    public static IReadOnlyList<CsvColumnName> Columns { get; } =
    [
        new("member_id", "会員ID", IsRequired: true),
        new("order_id", "注文番号", IsRequired: true),
        new("purchased_on", "購入日", IsRequired: true),
        new("amount", "金額", IsRequired: true),
        new("skus", "商品", IsRequired: false),
    ];

    protected override string Folder => Prefix;

    protected override async Task ValidateAsync(Stream content, Tally tally, CsvResultWriter writer, CancellationToken cancellationToken)
    {
        var today = (await settingsStore.GetAsync(cancellationToken)).DateOf(Clock.GetUtcNow());
        var firstRowOf = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var row in ReadAsync(content, cancellationToken))
        {
            tally.Rows++;
            var errors = row.Errors.ToList();
            if (row.Day > today) errors.Add(new("purchased_on", CsvRowErrorCodes.InvalidDate, "purchased_on must not be in the future."));
            if (errors.Count == 0 && !firstRowOf.TryAdd(row.OrderId, row.Row))
                errors.Add(new("order_id", "duplicate_order", $"row {firstRowOf[row.OrderId]} has this order; give each order one row."));
            if (errors.Count == 0) continue;
            tally.Invalid++;
            await WriteInvalidAsync(writer, row.Row, row.MemberId, errors, cancellationToken);
        }
    }

    protected override async Task<Summary> ApplyAsync(Stream content, ImportedFile file, long rows, CsvResultWriter writer, CancellationToken cancellationToken)
    {
        var settings = await settingsStore.GetAsync(cancellationToken);
        var oldest = settings.DateOf(Clock.GetUtcNow()).AddMonths(-settings.SpecialPoints.PurchaseHistoryMonths + 1);
        oldest = new DateOnly(oldest.Year, oldest.Month, 1);
        return await ApplyRowsAsync(ReadAsync(content, cancellationToken), rows, row => ApplyRowAsync(row, file, oldest, cancellationToken),
            async (row, result) =>
            {
                await WriteAsync(writer, row.Row, row.MemberId, result, cancellationToken);
                return result.Status;
            },
            cancellationToken);
    }

    private async Task<ImportRowResult> ApplyRowAsync(PastPurchaseCsvRow row, ImportedFile file, DateOnly oldest, CancellationToken cancellationToken)
    {
        if (row.Day < oldest)
            return new(ImportRowStatus.Rejected, "older_than_history", $"The program keeps purchase history from {oldest:yyyy-MM-dd} (specialPoints.purchaseHistoryMonths).");
        var memberId = MemberId.Parse(row.MemberId);
        // An order recorded before stays in its month's page for good: a file imported again later (past the idempotency
        // keys' 7 days) must not count it twice in the rank metric.
        if (await history.ContainsAsync(memberId, row.Day, PastPurchases.EventIdOf(row.OrderId), cancellationToken))
            return new(ImportRowStatus.Duplicate, "duplicate", "This order is in the member's purchase history already.");
        var purchase = new PastPurchase(row.OrderId, row.Day, new Yen(row.AmountYen), row.Skus);
        var result = await CommitRowAsync(ledger, memberId, new MemberOperation($"import:{Prefix}{file.Name}", "purchase-history:" + row.OrderId,
            RequestReader.HashOf("CSV", Prefix, new { row.MemberId, purchase }), input => PastPurchases.Record(input.Member, purchase)));
        return ImportRowResult.Of(result);
    }

    /// <summary>Reads the rows of <paramref name="content"/>, checked for format only.</summary>
    public static IAsyncEnumerable<PastPurchaseCsvRow> ReadAsync(Stream content, CancellationToken cancellationToken) =>
        CsvImportFile.ReadRowsAsync(content, Columns, CsvImportLimits.Default, Check, cancellationToken);

    private static PastPurchaseCsvRow Check(CsvImportFile file)
    {
        var errors = new List<CsvRowError>();
        void Add(int column, string code, string message) => errors.Add(new CsvRowError(Columns[column].Name, code, message));

        var memberId = file.Field(MemberIdColumn);
        if (CsvRowChecks.MemberId(memberId) is { } badMemberId) errors.Add(badMemberId);
        var orderId = file.Field(OrderIdColumn);
        if (!RequestReader.IsWellFormedId(orderId)) Add(OrderIdColumn, "invalid_order_id", $"order_id must be 1–{RequestReader.IdLengthMax} characters [A-Za-z0-9._:-].");
        if (!DateOnly.TryParseExact(file.Field(PurchasedOnColumn), CsvRowChecks.DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            Add(PurchasedOnColumn, CsvRowErrorCodes.InvalidDate, "purchased_on must be a date written yyyy-MM-dd or yyyy/MM/dd.");
        if (!long.TryParse(file.Field(AmountColumn), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount < 1 || amount > Yen.Max)
            Add(AmountColumn, "invalid_amount", $"amount must be a whole number of yen 1..{Yen.Max}.");
        var skus = (file.Field(SkusColumn) ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToImmutableArray();
        if (skus.Length > SkusMax || skus.Any(s => !RequestReader.IsWellFormedId(s)))
            Add(SkusColumn, "invalid_skus", $"skus: at most {SkusMax}, separated by ';', each 1–{RequestReader.IdLengthMax} characters [A-Za-z0-9._:-].");
        if (CsvRowChecks.ExtraFields(file) is { } extra) errors.Add(extra);
        return new PastPurchaseCsvRow(file.Row, memberId, orderId, day, amount, skus, errors);
    }
}

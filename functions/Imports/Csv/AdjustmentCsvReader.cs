using System.Globalization;

namespace Points.Functions.Imports.Csv;

/// <summary>
/// Reads <c>imports/adjustments/*.csv</c> (csv.md): one outcome per non-blank data row, lazily, in file order.
/// Rows are checked for format only (nothing here knows members or balances), and every problem of a row is reported.
/// </summary>
/// <remarks>
/// Problems with the file as a whole (see <see cref="CsvFileErrorCodes"/>) are thrown as
/// <see cref="CsvFileRejectedException"/> from the enumeration, possibly after rows were already yielded: the whole
/// file is then rejected, so callers validate every row before applying any (domain.md, CSV bulk adjustments).
/// </remarks>
public sealed class AdjustmentCsvReader(CsvImportLimits limits)
{
    public const long PointsMagnitudeMax = Points.Domain.Adjustments.Adjustment.PointsMagnitudeMax;
    public const int MemberIdLengthMax = Points.Domain.Primitives.MemberId.LengthMax;
    public const int ReasonLengthMax = Points.Domain.Adjustments.Adjustment.ReasonLengthMax;
    public const int IdempotencyKeyLengthMax = Api.RequestReader.IdempotencyKeyLengthMax;

    private const int MemberIdColumn = 0;
    private const int PointsColumn = 1;
    private const int KindColumn = 2;
    private const int ExpiresOnColumn = 3;
    private const int ReasonColumn = 4;
    private const int IdempotencyKeyColumn = 5;

    /// <summary>The columns, in the order of the column constants above.</summary>
    public static IReadOnlyList<CsvColumnName> Columns { get; } =
    [
        new("member_id", "会員ID", IsRequired: true),
        new("points", "ポイント", IsRequired: true),
        new("kind", "種別", IsRequired: false),
        new("expires_on", "有効期限", IsRequired: false),
        new("reason", "理由", IsRequired: true),
        new("idempotency_key", "冪等キー", IsRequired: false),
    ];

    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy/MM/dd"];

    public AdjustmentCsvReader() : this(CsvImportLimits.Default) { }

    /// <summary>Reads the rows of <paramref name="content"/>, which the caller keeps owning.</summary>
    /// <exception cref="CsvFileRejectedException">The file as a whole is rejected (thrown during enumeration).</exception>
    public IAsyncEnumerable<AdjustmentCsvOutcome> ReadAsync(Stream content, CancellationToken cancellationToken = default) =>
        CsvImportFile.ReadRowsAsync(content, Columns, limits, file => Check(file) with { Line = file.Line }, cancellationToken);

    private static AdjustmentCsvOutcome Check(CsvImportFile file)
    {
        var errors = new List<CsvRowError>();
        void Add(int column, string code, string message) => errors.Add(new CsvRowError(Columns[column].Name, code, message));

        var memberId = file.Field(MemberIdColumn);
        if (CsvRowChecks.MemberId(memberId) is { } badMemberId) errors.Add(badMemberId);

        var pointsText = file.Field(PointsColumn);
        long? points = null;
        if (pointsText.Length == 0)
        {
            Add(PointsColumn, CsvRowErrorCodes.Required, "points is required.");
        }
        // Strict on purpose: a plain integer with an optional sign, no separators or decimals, so "1,000" or "1.5"
        // never means something the admin did not intend.
        else if (!long.TryParse(pointsText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            Add(PointsColumn, CsvRowErrorCodes.InvalidPoints, "points must be a whole number such as 100 or -50, without separators.");
        }
        else if (parsed == 0)
        {
            Add(PointsColumn, CsvRowErrorCodes.InvalidPoints, "points must not be 0.");
        }
        else if (parsed is > PointsMagnitudeMax or < -PointsMagnitudeMax)
        {
            Add(PointsColumn, CsvRowErrorCodes.InvalidPoints, $"points must be within ±{PointsMagnitudeMax:N0}.");
        }
        else
        {
            points = parsed;
        }
        var isDeduction = points < 0;

        var kindText = file.Field(KindColumn);
        var kind = ParseKind(kindText);
        if (kind is null && IsPurchased(kindText))
        {
            Add(KindColumn, CsvRowErrorCodes.InvalidKind, Adjustments.AdjustmentsFeature.PurchasedKindRefused);
        }
        else if (kind is null)
        {
            Add(KindColumn, CsvRowErrorCodes.InvalidKind, "kind must be empty, regular (通常) or special (期間限定).");
        }
        else if (isDeduction && kind == AdjustmentKinds.Special)
        {
            // A deduction takes points from lots in consumption order (domain.md); it cannot aim at one kind.
            Add(KindColumn, CsvRowErrorCodes.InvalidKind, "A deduction (negative points) takes points in consumption order; leave kind empty or regular.");
        }

        // Only a grant of special points names its expiry. Regular points get theirs from the program's expiry
        // policy and a deduction creates no points, so an expires_on there is an error rather than silently ignored.
        var expiresOnText = file.Field(ExpiresOnColumn);
        DateOnly? expiresOn = null;
        if (expiresOnText.Length > 0 && (isDeduction || kind == AdjustmentKinds.Regular))
        {
            Add(ExpiresOnColumn, CsvRowErrorCodes.ExpiryNotAllowed, isDeduction
                ? "expires_on must be empty for a deduction (negative points)."
                : "expires_on must be empty for regular points: their expiry follows the program's policy.");
        }
        else if (expiresOnText.Length > 0)
        {
            if (DateOnly.TryParseExact(expiresOnText, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                expiresOn = date;
            }
            else
            {
                Add(ExpiresOnColumn, CsvRowErrorCodes.InvalidDate, "expires_on must be a date written yyyy-MM-dd or yyyy/MM/dd, such as 2026-12-31.");
            }
        }
        else if (kind == AdjustmentKinds.Special && !isDeduction)
        {
            Add(ExpiresOnColumn, CsvRowErrorCodes.ExpiryRequired, "expires_on is required for special points.");
        }

        // Lengths count UTF-16 code units, as every length check of the API does, so a reason valid here is valid there.
        var reason = file.Field(ReasonColumn);
        if (reason.Length == 0)
        {
            Add(ReasonColumn, CsvRowErrorCodes.Required, "reason is required.");
        }
        else if (reason.Length > ReasonLengthMax)
        {
            Add(ReasonColumn, CsvRowErrorCodes.InvalidReason, $"reason must be at most {ReasonLengthMax} characters.");
        }
        else if (Api.TextRules.Check(reason) is { } notText)
        {
            Add(ReasonColumn, CsvRowErrorCodes.InvalidReason, $"reason {char.ToLowerInvariant(notText[0])}{notText[1..]}");
        }

        var idempotencyKey = file.Field(IdempotencyKeyColumn);
        if (idempotencyKey.Length > 0 && !Api.RequestReader.IsWellFormedKey(idempotencyKey))
        {
            Add(IdempotencyKeyColumn, CsvRowErrorCodes.InvalidIdempotencyKey, $"idempotency_key must be 1–{IdempotencyKeyLengthMax} characters of A–Z, a–z, 0–9, '.', '_', ':' or '-'.");
        }

        if (CsvRowChecks.ExtraFields(file) is { } extra) errors.Add(extra);

        if (errors.Count > 0)
        {
            return new InvalidAdjustmentCsvRow(file.Row, NullIfEmpty(memberId), NullIfEmpty(pointsText), errors);
        }
        return new AdjustmentCsvRow(file.Row, memberId, points!.Value, kind!, expiresOn, reason, NullIfEmpty(idempotencyKey));
    }

    private static string? ParseKind(string text) => text switch
    {
        "" or "通常" => AdjustmentKinds.Regular,
        "期間限定" => AdjustmentKinds.Special,
        _ when text.Equals(AdjustmentKinds.Regular, StringComparison.OrdinalIgnoreCase) => AdjustmentKinds.Regular,
        _ when text.Equals(AdjustmentKinds.Special, StringComparison.OrdinalIgnoreCase) => AdjustmentKinds.Special,
        _ => null,
    };

    /// <summary>Purchased points (購入) are refused by their own message, the API's: they come only from PayPal purchases.</summary>
    private static bool IsPurchased(string text) => text == "購入" || text.Equals("purchased", StringComparison.OrdinalIgnoreCase);

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
}

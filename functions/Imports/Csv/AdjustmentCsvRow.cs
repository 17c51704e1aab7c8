namespace Points.Functions.Imports.Csv;

/// <summary>
/// What reading one data row of an adjustments file gives: a valid <see cref="AdjustmentCsvRow"/> or an
/// <see cref="InvalidAdjustmentCsvRow"/>. A closed set: no other kinds exist.
/// </summary>
public abstract record AdjustmentCsvOutcome
{
    private protected AdjustmentCsvOutcome(long row) => Row = row;

    /// <summary>The 1-based data row (header excluded), as the result file reports it.</summary>
    public long Row { get; }

    /// <summary>The 1-based physical line where the row starts (header = line 1), for finding it in an editor.</summary>
    public long Line { get; init; }
}

/// <summary>A row that passed every check of the file format. Whether it can be applied is decided by the ledger.</summary>
/// <param name="Row">The 1-based data row.</param>
/// <param name="MemberId">1–64 chars of <c>[A-Za-z0-9._-]</c>; not yet known to exist.</param>
/// <param name="Points">Signed, non-zero, at most <see cref="AdjustmentCsvReader.PointsMagnitudeMax"/> either way. Negative deducts.</param>
/// <param name="Kind"><see cref="AdjustmentKinds.Regular"/> or <see cref="AdjustmentKinds.Special"/>; always regular for a deduction.</param>
/// <param name="ExpiresOn">Set exactly when <paramref name="Kind"/> is special (a grant of special points); the last day the points can be used, in the program zone.</param>
/// <param name="Reason">Trimmed, 1–200 chars.</param>
/// <param name="IdempotencyKey">
/// As given, or null when the column is absent or empty: the caller then derives one from the file content and row number.
/// </param>
public sealed record AdjustmentCsvRow(
    long Row, string MemberId, long Points, string Kind, DateOnly? ExpiresOn, string Reason, string? IdempotencyKey)
    : AdjustmentCsvOutcome(Row);

/// <summary>A row with at least one problem; every problem of the row is listed.</summary>
/// <param name="Row">The 1-based data row.</param>
/// <param name="MemberId">The member id as written (trimmed), or null when empty: echoed into the result file.</param>
/// <param name="PointsText">The points as written (trimmed), or null when empty: echoed into the result file.</param>
/// <param name="Errors">At least one, in the order the fields are checked.</param>
public sealed record InvalidAdjustmentCsvRow(long Row, string? MemberId, string? PointsText, IReadOnlyList<CsvRowError> Errors)
    : AdjustmentCsvOutcome(Row);

/// <summary>The kinds of points an adjustment grants, as written in <see cref="AdjustmentCsvRow.Kind"/>.</summary>
public static class AdjustmentKinds
{
    public const string Regular = "regular";
    public const string Special = "special";
}

using System.Globalization;

namespace Points.Functions.Imports.Csv;

/// <summary>One line of the result file of an adjustments import (csv.md).</summary>
/// <param name="Row">The 1-based data row of the input file.</param>
/// <param name="MemberId">As written in the input (empty when it was missing).</param>
/// <param name="Points">As written in the input, so an invalid value is shown as it was.</param>
/// <param name="Status">One of <see cref="ImportRowStatus"/>.</param>
/// <param name="Code">The error code for rejected and invalid rows (several joined by <c>;</c>), empty otherwise.</param>
/// <param name="Message">Why, for the admin.</param>
/// <param name="BalanceAfter">The member's balance after the row was applied, when it was.</param>
public sealed record AdjustmentResultRow(
    long Row, string MemberId, string Points, string Status, string Code, string Message, long? BalanceAfter);

/// <summary>The layout of the adjustments result file: <c>row, member_id, points, status, code, message, balance_after</c>.</summary>
public static class AdjustmentResultCsv
{
    public static IReadOnlyList<CsvColumn> Columns { get; } =
    [
        new("row", IsNumeric: true),
        new("member_id"),
        new("points", IsNumeric: true),
        new("status"),
        new("code"),
        new("message"),
        new("balance_after", IsNumeric: true),
    ];

    /// <summary>Starts a result file on <paramref name="destination"/> with its header row.</summary>
    public static CsvResultWriter CreateWriter(Stream destination, CsvOutputEncoding encoding = CsvOutputEncoding.Utf8Bom) =>
        CsvResultWriter.Create(destination, Columns, encoding);

    /// <summary>Writes one result line to a writer made by <see cref="CreateWriter"/>.</summary>
    public static ValueTask WriteAsync(CsvResultWriter writer, AdjustmentResultRow result, CancellationToken cancellationToken = default) =>
        writer.WriteRowAsync(
            [
                result.Row.ToString(CultureInfo.InvariantCulture),
                result.MemberId,
                result.Points,
                result.Status,
                result.Code,
                result.Message,
                result.BalanceAfter?.ToString(CultureInfo.InvariantCulture),
            ],
            cancellationToken);
}

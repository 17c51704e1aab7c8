using System.Globalization;
using Points.Functions.Imports.Csv;
using Points.Functions.Storage;

namespace Points.Functions.Imports;

/// <summary>
/// The imports whose rows each concern a member and answer a status (members, opening balances, past purchases): one
/// result file shape, <c>row, member_id, status, code, message</c>, and one way to report an invalid row.
/// </summary>
public abstract class MemberRowImport(BlobStorage blobs, CosmosStorage cosmos, TimeProvider clock, ILogger log) : CsvImport(blobs, cosmos, clock, log)
{
    public static readonly IReadOnlyList<CsvColumn> ResultColumns = [new("row", IsNumeric: true), new("member_id"), new("status"), new("code"), new("message")];

    protected override CsvResultWriter CreateResultWriter(Stream destination) => CsvResultWriter.Create(destination, ResultColumns);

    protected override ValueTask WriteFileErrorAsync(CsvResultWriter writer, long row, string code, string message, CancellationToken cancellationToken) =>
        WriteAsync(writer, row, "", new ImportRowResult(ImportRowStatus.Invalid, code, message), cancellationToken);

    protected static ValueTask WriteAsync(CsvResultWriter writer, long row, string memberId, ImportRowResult result, CancellationToken cancellationToken) =>
        writer.WriteRowAsync([row.ToString(CultureInfo.InvariantCulture), memberId, result.Status, result.Code, result.Message], cancellationToken);

    /// <summary>The result line of an invalid row: every code, and every field's message.</summary>
    protected static ValueTask WriteInvalidAsync(CsvResultWriter writer, long row, string memberId, IReadOnlyCollection<CsvRowError> errors, CancellationToken cancellationToken) =>
        WriteAsync(writer, row, memberId, new ImportRowResult(ImportRowStatus.Invalid, string.Join(';', errors.Select(e => e.Code)),
            string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}"))), cancellationToken);
}

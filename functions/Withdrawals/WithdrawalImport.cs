using System.Globalization;
using System.Security.Cryptography;
using Points.Domain.Primitives;
using Points.Domain.Withdrawals;
using Points.Functions.Api;
using Points.Functions.Imports;
using Points.Functions.Imports.Csv;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Functions.Withdrawals;

/// <summary>
/// Bulk status updates of withdrawal requests dropped at <c>imports/withdrawals/{name}</c> (csv.md): each row
/// approves, rejects or marks paid one request, exactly as the admin API's transition of the same name does. The whole
/// file is validated first (format, one row per request); a request whose state does not allow the move is a
/// <c>rejected</c> row (<c>invalid_state</c>, <c>withdrawal_not_found</c>) while the other rows apply. Rows are keyed
/// by the file's content and row number, so the same file dropped again applies nothing new (<c>duplicate</c>).
/// </summary>
public sealed class WithdrawalImport(BlobStorage blobs, MemberLedger ledger, CosmosStorage cosmos, TimeProvider clock, ILogger<WithdrawalImport> log)
    : CsvImport(blobs, cosmos, clock, log)
{
    public const string FunctionName = "ImportWithdrawals";
    public const string Prefix = "withdrawals/";

    protected override string Folder => Prefix;

    protected override CsvResultWriter CreateResultWriter(Stream destination) => CsvResultWriter.Create(destination, WithdrawalCsv.ResultColumns);

    protected override ValueTask WriteFileErrorAsync(CsvResultWriter writer, long row, string code, string message, CancellationToken cancellationToken) =>
        WithdrawalCsv.WriteResultAsync(writer, new WithdrawalCsvRow(row, "", "", "", null, []), new(ImportRowStatus.Invalid, code, message), cancellationToken);

    protected override async Task ValidateAsync(Stream content, Tally tally, CsvResultWriter writer, CancellationToken cancellationToken)
    {
        // One row per request: two rows moving one request (approve, then paid) would race in one commit batch, so the
        // second move goes in a second file. Hashes of (member, request), 16 bytes a row: 16 MiB at the most rows a file holds.
        var firstRowOf = new Dictionary<UInt128, long>();
        await foreach (var row in WithdrawalCsv.ReadAsync(content, cancellationToken))
        {
            tally.Rows++;
            var errors = row.Errors;
            if (errors.Count == 0 && !firstRowOf.TryAdd(HashOf(row), row.Row))
            {
                errors = [new CsvRowError("withdrawal_id", WithdrawalCsv.DuplicateRequest,
                    $"row {firstRowOf[HashOf(row)]} already moves this request; put a second move of one request in a later file.")];
            }
            if (errors.Count == 0) continue;
            tally.Invalid++;
            await WithdrawalCsv.WriteResultAsync(writer, row, new(ImportRowStatus.Invalid, string.Join(';', errors.Select(e => e.Code)),
                string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}"))), cancellationToken);
        }
    }

    protected override Task<Summary> ApplyAsync(Stream content, ImportedFile file, long rows, CsvResultWriter writer, CancellationToken cancellationToken) =>
        ApplyRowsAsync(WithdrawalCsv.ReadAsync(content, cancellationToken), rows,
            async row => ImportRowResult.Of(await CommitRowAsync(ledger, MemberId.Parse(row.MemberId), new MemberOperation($"import:{Prefix}{file.Name}",
                file.RowKey(row.Row), RequestReader.HashOf("CSV", Prefix, new { row.MemberId, row.WithdrawalId, row.Action, row.Reason }),
                WithdrawalsFeature.TransitionOf(row.Action, row.WithdrawalId, row.Reason)))),
            async (row, result) =>
            {
                await WithdrawalCsv.WriteResultAsync(writer, row, result, cancellationToken);
                return result.Status;
            },
            cancellationToken);

    private static UInt128 HashOf(WithdrawalCsvRow row) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{row.MemberId}\n{row.WithdrawalId}")));
}

/// <summary>A data row of a withdrawals file, as read: valid when <see cref="Errors"/> is empty.</summary>
/// <param name="Action">One of <see cref="WithdrawalCsv.Approve"/>, <see cref="WithdrawalCsv.Reject"/>, <see cref="WithdrawalCsv.Paid"/>; as written when invalid.</param>
/// <param name="Reason">Given only with a rejection; shown to the member with the request.</param>
public sealed record WithdrawalCsvRow(long Row, string MemberId, string WithdrawalId, string Action, string? Reason, IReadOnlyList<CsvRowError> Errors);

/// <summary>The layout of <c>imports/withdrawals/*.csv</c> and of its result file (csv.md).</summary>
public static class WithdrawalCsv
{
    public const string Approve = "approve";
    public const string Reject = "reject";
    public const string Paid = "paid";
    public const string InvalidWithdrawalId = "invalid_withdrawal_id";
    public const string InvalidAction = "invalid_action";
    public const string ReasonNotAllowed = "reason_not_allowed";
    /// <summary>An earlier row of the file moves the same request.</summary>
    public const string DuplicateRequest = "duplicate_request";

    private const int MemberIdColumn = 0;
    private const int WithdrawalIdColumn = 1;
    private const int ActionColumn = 2;
    private const int ReasonColumn = 3;

    /// <summary>The columns, in the order of the column constants above.</summary>
    public static IReadOnlyList<CsvColumnName> Columns { get; } =
    [
        new("member_id", "会員ID", IsRequired: true),
        new("withdrawal_id", "出金ID", IsRequired: true),
        new("action", "処理", IsRequired: true),
        new("reason", "理由", IsRequired: false),
    ];

    public static IReadOnlyList<CsvColumn> ResultColumns { get; } =
        [new("row", IsNumeric: true), new("member_id"), new("withdrawal_id"), new("action"), new("status"), new("code"), new("message")];

    /// <summary>Reads the rows of <paramref name="content"/>, checked for format only (nothing here knows requests or their states).</summary>
    /// <exception cref="CsvFileRejectedException">The file as a whole is rejected (thrown during enumeration).</exception>
    public static IAsyncEnumerable<WithdrawalCsvRow> ReadAsync(Stream content, CancellationToken cancellationToken) =>
        CsvImportFile.ReadRowsAsync(content, Columns, CsvImportLimits.Default, Check, cancellationToken);

    public static ValueTask WriteResultAsync(CsvResultWriter writer, WithdrawalCsvRow row, ImportRowResult result,
        CancellationToken cancellationToken) =>
        writer.WriteRowAsync([row.Row.ToString(CultureInfo.InvariantCulture), row.MemberId, row.WithdrawalId, row.Action, result.Status, result.Code, result.Message],
            cancellationToken);

    private static WithdrawalCsvRow Check(CsvImportFile file)
    {
        var errors = new List<CsvRowError>();
        void Add(int column, string code, string message) => errors.Add(new CsvRowError(Columns[column].Name, code, message));

        var memberId = file.Field(MemberIdColumn);
        if (CsvRowChecks.MemberId(memberId) is { } badMemberId) errors.Add(badMemberId);

        var withdrawalId = file.Field(WithdrawalIdColumn);
        if (withdrawalId.Length == 0) Add(WithdrawalIdColumn, CsvRowErrorCodes.Required, "withdrawal_id is required.");
        else if (!RequestReader.IsWellFormedId(withdrawalId))
            Add(WithdrawalIdColumn, InvalidWithdrawalId, $"withdrawal_id must be 1–{RequestReader.IdLengthMax} characters of A–Z, a–z, 0–9, '.', '_', ':' or '-'.");

        var actionText = file.Field(ActionColumn);
        var action = ParseAction(actionText);
        if (actionText.Length == 0) Add(ActionColumn, CsvRowErrorCodes.Required, "action is required.");
        else if (action is null) Add(ActionColumn, InvalidAction, "action must be approve (承認), reject (却下) or paid (支払済).");

        var reason = file.Field(ReasonColumn);
        if (reason.Length > 0 && action is not null and not Reject)
            Add(ReasonColumn, ReasonNotAllowed, "reason is kept only with reject; leave it empty for approve and paid.");
        else if (reason.Length > WithdrawalsFeature.ReasonLengthMax)
            Add(ReasonColumn, CsvRowErrorCodes.InvalidReason, $"reason must be at most {WithdrawalsFeature.ReasonLengthMax} characters.");
        else if (reason.Length > 0 && TextRules.Check(reason) is { } notText)
            Add(ReasonColumn, CsvRowErrorCodes.InvalidReason, $"reason {char.ToLowerInvariant(notText[0])}{notText[1..]}");

        if (CsvRowChecks.ExtraFields(file) is { } extra) errors.Add(extra);

        return new WithdrawalCsvRow(file.Row, memberId, withdrawalId, action ?? actionText, reason.Length == 0 ? null : reason, errors);
    }

    private static string? ParseAction(string text) => text switch
    {
        "承認" => Approve,
        "却下" => Reject,
        "支払済" or "支払済み" => Paid,
        _ when text.Equals(Approve, StringComparison.OrdinalIgnoreCase) => Approve,
        _ when text.Equals(Reject, StringComparison.OrdinalIgnoreCase) => Reject,
        _ when text.Equals(Paid, StringComparison.OrdinalIgnoreCase) => Paid,
        _ => null,
    };
}

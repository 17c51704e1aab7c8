using Azure.Storage.Blobs.Specialized;
using Points.Domain.Primitives;
using Points.Functions.Imports.Csv;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Withdrawals;

public sealed record WithdrawalExportRequest(DateOnly? Date, CsvOutputEncoding? Encoding);

public sealed record WithdrawalExport(string BlobName, DateOnly Date, long Rows);

/// <summary>
/// The day's approved withdrawals as a CSV for the accounts team (F25): <c>exports/withdrawals/{date}.csv</c>, Excel-ready
/// (UTF-8 with BOM; <c>{date}.shift_jis.csv</c> when asked), formula injection neutralised, the bank account in full —
/// this file and the transfer file are the only places the number is decrypted to. Written daily for the day before
/// (<c>ExportWithdrawals</c>, catching up missed days) and on an admin's request.
/// </summary>
public sealed partial class WithdrawalExports(WithdrawalRecords records, BankAccounts accounts, BlobStorage blobs, JobCheckpoints checkpoints,
    ProgramSettingsStore settingsStore, TimeProvider clock, ILogger<WithdrawalExports> log)
{
    public const string FunctionName = "ExportWithdrawals";
    public const string Folder = "withdrawals/";

    /// <summary>csv.md "Exports", withdrawals.</summary>
    private static readonly IReadOnlyList<CsvColumn> Columns =
    [
        new("withdrawal_id"), new("member_id"), new("requested_at"), new("status"), new("points", IsNumeric: true),
        new("gross_yen", IsNumeric: true), new("fee_yen", IsNumeric: true), new("tax_yen", IsNumeric: true), new("net_yen", IsNumeric: true),
        new("bank_code"), new("branch_code"), new("account_type"), new("account_number"), new("holder_kana"),
    ];

    public async Task<WithdrawalExport> WriteAsync(DateOnly day, CsvOutputEncoding encoding, CancellationToken cancellationToken)
    {
        var name = $"{Folder}{CalendarText.DayOf(day)}{(encoding == CsvOutputEncoding.ShiftJis ? ".shift_jis" : "")}.csv";
        var listings = (await records.ListAsync(WithdrawalRecords.ApprovedOnList(day), null, cancellationToken)).OrderBy(l => l.RequestedAt).ThenBy(l => l.Id, StringComparer.Ordinal);
        var blob = blobs.Container(BlobContainers.Exports).GetBlockBlobClient(name);
        long rows;
        await using (var output = await blob.OpenWriteAsync(overwrite: true, cancellationToken: cancellationToken))
        await using (var csv = CsvResultWriter.Create(output, Columns, encoding))
        {
            foreach (var listing in listings)
            {
                if (!MemberId.TryParse(listing.MemberId, out var memberId) || await records.ReadAsync(memberId, listing.Id, cancellationToken) is not { } record) continue;
                var account = record.BankAccount is { } bank ? accounts.Open(bank, memberId) : null;
                await csv.WriteRowAsync([record.WithdrawalId, record.MemberId, Instant(record.RequestedAt), record.Status.ToString().ToLowerInvariant(),
                    Number(record.Points), Number(record.GrossYen), Number(record.FeeYen), Number(record.TaxYen), Number(record.NetYen), account?.BankCode,
                    account?.BranchCode, account?.AccountType.ToString().ToLowerInvariant(), account?.AccountNumber, account?.HolderKana], cancellationToken);
            }
            rows = csv.RowsWritten;
        }
        LogWritten(name, rows);
        return new WithdrawalExport($"{BlobContainers.Exports}/{name}", day, rows);
    }

    /// <summary>The daily run: every day since the last one exported, up to yesterday (program zone).</summary>
    public async Task<string> RunDailyAsync(CancellationToken cancellationToken)
    {
        var yesterday = (await settingsStore.GetAsync(cancellationToken)).DateOf(clock.GetUtcNow()).AddDays(-1);
        var written = new List<string>();
        foreach (var day in JobCheckpoints.DaysDue(await checkpoints.LastCompletedAsync(FunctionName, cancellationToken), yesterday))
        {
            var export = await WriteAsync(day, CsvOutputEncoding.Utf8Bom, cancellationToken);
            await checkpoints.CompleteAsync(FunctionName, CalendarText.DayOf(day), cancellationToken);
            written.Add($"{export.BlobName} ({export.Rows} rows)");
        }
        return $"{FunctionName}: {(written.Count == 0 ? "nothing due" : string.Join(", ", written))}.";
    }

    private static string Number(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Instant(DateTimeOffset at) => at.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "Withdrawal export {Blob}: {Rows} rows")]
    private partial void LogWritten(string blob, long rows);
}

using System.Globalization;
using System.Text;

namespace Points.Domain.Withdrawals;

/// <summary>The paying company's account, as the bank assigned it (the header record of a transfer file).</summary>
/// <param name="ConsignorCode">振込依頼人コード: 10 digits from the bank.</param>
/// <param name="NameKana">振込依頼人名: half-width katakana, at most 40.</param>
public sealed record ZenginConsignor(string ConsignorCode, string NameKana, string BankCode, string BankNameKana, string BranchCode, string BranchNameKana,
    AccountType AccountType, string AccountNumber);

/// <summary>One transfer: to <paramref name="To"/>, <paramref name="AmountYen"/> yen, with <paramref name="Reference"/> as EDI information (≤ 20).</summary>
public sealed record ZenginTransfer(BankAccount To, long AmountYen, string Reference);

/// <summary>
/// A Zengin 総合振込 file (functions-and-paypal-facts.md §4.2): 120-character fixed-width records — header (1), one data
/// record (2) per transfer, trailer (8) with their count and total, end (9) — numeric fields right-justified and
/// zero-filled, text left-justified and space-filled, in the Zengin character set, encoded one byte per character
/// (Shift_JIS half-width) with CRLF after each record. Recipients' bank and branch names are left blank: the codes
/// identify them, and the app does not keep a bank directory.
/// </summary>
public static class ZenginFile
{
    public const int RecordLength = 120;
    public const long AmountMax = 9_999_999_999;
    public const int TransfersMax = 999_999;
    public const int ReferenceLengthMax = 20;

    public static IReadOnlyList<string> Records(ZenginConsignor from, DateOnly transferOn, IReadOnlyList<ZenginTransfer> transfers)
    {
        if (transfers.Count > TransfersMax) throw new ArgumentOutOfRangeException(nameof(transfers), $"At most {TransfersMax} transfers per file.");
        var records = new List<string>(transfers.Count + 3)
        {
            Record('1', N(21, 2), "0", N(from.ConsignorCode, 10), C(from.NameKana, 40), N(transferOn.ToString("MMdd", CultureInfo.InvariantCulture), 4),
                N(from.BankCode, 4), C(from.BankNameKana, 15), N(from.BranchCode, 3), C(from.BranchNameKana, 15), N((int)from.AccountType, 1),
                N(from.AccountNumber, 7), C("", 17)),
        };
        foreach (var transfer in transfers)
        {
            if (transfer.AmountYen is <= 0 or > AmountMax) throw new ArgumentOutOfRangeException(nameof(transfers), $"A transfer is 1..{AmountMax} yen.");
            var to = transfer.To;
            records.Add(Record('2', N(to.BankCode, 4), C("", 15), N(to.BranchCode, 3), C("", 15), N(0, 4), N((int)to.AccountType, 1), N(to.AccountNumber, 7),
                C(to.HolderKana, 30), N(transfer.AmountYen, 10), "0", C(transfer.Reference, ReferenceLengthMax), " ", "Y", C("", 7)));
        }
        records.Add(Record('8', N(transfers.Count, 6), N(transfers.Sum(t => t.AmountYen), 12), C("", 101)));
        records.Add(Record('9', C("", 119)));
        return records;
    }

    /// <summary>The records as the bank reads them: one byte per character, CRLF after each.</summary>
    public static byte[] Encode(IEnumerable<string> records) => ZenginText.Encode(string.Concat(records.Select(r => r + "\r\n")));

    private static string Record(char kind, params string[] fields)
    {
        var record = kind + string.Concat(fields);
        return record.Length == RecordLength ? record : throw new InvalidOperationException($"A record of kind {kind} is {record.Length} characters, not {RecordLength}.");
    }

    private static string N(long value, int width) => N(value.ToString(CultureInfo.InvariantCulture), width);

    private static string N(string digits, int width) =>
        digits.Length <= width && digits.All(char.IsAsciiDigit) ? digits.PadLeft(width, '0') : throw new ArgumentException($"'{digits}' does not fit N{width}.", nameof(digits));

    private static string C(string text, int width)
    {
        var zengin = ZenginText.ToHalfWidth(text);
        return zengin.Length <= width && ZenginText.IsAllowed(zengin) ? zengin.PadRight(width, ' ') : throw new ArgumentException($"A text field does not fit C{width} in the Zengin set.", nameof(text));
    }
}

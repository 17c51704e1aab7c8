using System.Text;

namespace Points.Domain.Withdrawals;

/// <summary>The kinds of deposit account Zengin transfers name (預金種目), with their codes.</summary>
public enum AccountType
{
    /// <summary>普通 (code 1).</summary>
    Ordinary = 1,
    /// <summary>当座 (code 2).</summary>
    Current = 2,
    /// <summary>貯蓄 (code 4).</summary>
    Savings = 4,
}

/// <summary>
/// A member's bank account for payouts, as validated: 4-digit bank code, 3-digit branch code, account type, 7-digit
/// account number and the holder's name in half-width katakana of the Zengin character set (at most 30). Construct
/// with <see cref="TryCreate"/> at the edge; the number is personal data: the app keeps it encrypted and shows
/// <see cref="MaskedNumber"/> only.
/// </summary>
public sealed record BankAccount
{
    public const int HolderKanaLengthMax = 30;

    public string BankCode { get; }
    public string BranchCode { get; }
    public AccountType AccountType { get; }
    public string AccountNumber { get; }
    public string HolderKana { get; }

    private BankAccount(string bankCode, string branchCode, AccountType accountType, string accountNumber, string holderKana) =>
        (BankCode, BranchCode, AccountType, AccountNumber, HolderKana) = (bankCode, branchCode, accountType, accountNumber, holderKana);

    /// <summary>The last four digits, the rest starred: <c>***4567</c>.</summary>
    public string MaskedNumber => "***" + AccountNumber[^4..];

    /// <summary>Checks every field; the errors name the fields (api.md's field names).</summary>
    public static bool TryCreate(string? bankCode, string? branchCode, string? accountType, string? accountNumber, string? holderKana,
        out BankAccount? account, out Dictionary<string, string[]> errors)
    {
        errors = [];
        if (!IsDigits(bankCode, 4)) errors["bankCode"] = ["Four digits."];
        if (!IsDigits(branchCode, 3)) errors["branchCode"] = ["Three digits."];
        AccountType? type = accountType switch { "ordinary" => AccountType.Ordinary, "current" => AccountType.Current, "savings" => AccountType.Savings, _ => null };
        if (type is null) errors["accountType"] = ["ordinary, current or savings."];
        if (!IsDigits(accountNumber, 7)) errors["accountNumber"] = ["Seven digits."];
        var kana = holderKana is null ? null : ZenginText.ToHalfWidth(holderKana);
        if (kana is null || kana.Trim().Length == 0 || kana.Length > HolderKanaLengthMax || !ZenginText.IsAllowed(kana))
            errors["holderKana"] = [$"The holder's name in katakana (half- or full-width), at most {HolderKanaLengthMax} characters of the Zengin set."];
        account = errors.Count == 0 ? new BankAccount(bankCode!, branchCode!, type!.Value, accountNumber!, kana!.Trim()) : null;
        return account is not null;
    }

    /// <summary>The account as it was stored (decrypted): trusted, its fields were checked when it was created.</summary>
    public static BankAccount FromStored(string bankCode, string branchCode, AccountType accountType, string accountNumber, string holderKana) =>
        new(bankCode, branchCode, accountType, accountNumber, holderKana);

    private static bool IsDigits(string? text, int length) => text is { } t && t.Length == length && t.All(char.IsAsciiDigit);

    // A record prints no number: a bank account in an exception message or a log line would leak it.
    public override string ToString() => $"BankAccount {BankCode}-{BranchCode} {MaskedNumber}";
}

/// <summary>
/// Text of Zengin transfer files: half-width katakana (JIS X 0201, one byte each in Shift_JIS), upper-case letters,
/// digits, space and a few symbols. Full-width katakana, letters, digits and the full-width space are narrowed; small
/// kana become large (Zengin has none); voiced kana become a kana plus ﾞ or ﾟ.
/// </summary>
public static class ZenginText
{
    // Full-width katakana U+30A1..U+30F6 in order, each as its half-width form ("" for none).
    private static readonly string[] Katakana =
    [
        "ｱ", "ｱ", "ｲ", "ｲ", "ｳ", "ｳ", "ｴ", "ｴ", "ｵ", "ｵ", "ｶ", "ｶﾞ", "ｷ", "ｷﾞ", "ｸ", "ｸﾞ", "ｹ", "ｹﾞ", "ｺ", "ｺﾞ",
        "ｻ", "ｻﾞ", "ｼ", "ｼﾞ", "ｽ", "ｽﾞ", "ｾ", "ｾﾞ", "ｿ", "ｿﾞ", "ﾀ", "ﾀﾞ", "ﾁ", "ﾁﾞ", "ﾂ", "ﾂ", "ﾂﾞ", "ﾃ", "ﾃﾞ", "ﾄ", "ﾄﾞ",
        "ﾅ", "ﾆ", "ﾇ", "ﾈ", "ﾉ", "ﾊ", "ﾊﾞ", "ﾊﾟ", "ﾋ", "ﾋﾞ", "ﾋﾟ", "ﾌ", "ﾌﾞ", "ﾌﾟ", "ﾍ", "ﾍﾞ", "ﾍﾟ", "ﾎ", "ﾎﾞ", "ﾎﾟ",
        "ﾏ", "ﾐ", "ﾑ", "ﾒ", "ﾓ", "ﾔ", "ﾔ", "ﾕ", "ﾕ", "ﾖ", "ﾖ", "ﾗ", "ﾘ", "ﾙ", "ﾚ", "ﾛ", "ﾜ", "ﾜ", "ｲ", "ｴ", "ｦ", "ﾝ",
        "ｳﾞ", "ｶ", "ｹ",
    ];

    private const string SmallHalfWidth = "ｧｨｩｪｫｬｭｮｯ";
    private const string LargeHalfWidth = "ｱｲｳｴｵﾔﾕﾖﾂ";
    private const string Symbols = " ().-/,";

    public static string ToHalfWidth(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is >= '\u30A1' and <= '\u30F6') builder.Append(Katakana[c - '\u30A1']);
            else if (c == 'ー' || c == '－' || c == '‐') builder.Append(c == 'ー' ? 'ｰ' : '-');
            else if (c == '\u3000') builder.Append(' ');
            else if (c is >= '！' and <= '～') builder.Append(char.ToUpperInvariant((char)(c - '！' + '!')));
            else if (SmallHalfWidth.IndexOf(c, StringComparison.Ordinal) is var small and >= 0) builder.Append(LargeHalfWidth[small]);
            else builder.Append(char.ToUpperInvariant(c));
        }
        return builder.ToString();
    }

    /// <summary>Half-width katakana (ｦ…ﾟ, ｰ), A–Z, 0–9 and <c> ().-/,</c>.</summary>
    public static bool IsAllowed(string text) =>
        text.All(c => c is >= '\uFF66' and <= '\uFF9F' || char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || Symbols.Contains(c, StringComparison.Ordinal));

    /// <summary>One byte per character as in Shift_JIS: ASCII as is, half-width katakana U+FF61–U+FF9F as 0xA1–0xDF.</summary>
    public static byte[] Encode(string text)
    {
        var bytes = new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            bytes[i] = c switch
            {
                <= '\u007F' => (byte)c,
                >= '\uFF61' and <= '\uFF9F' => (byte)(c - '\uFF61' + 0xA1),
                _ => throw new ArgumentException($"Character U+{(int)c:X4} has no single-byte form.", nameof(text)),
            };
        }
        return bytes;
    }
}

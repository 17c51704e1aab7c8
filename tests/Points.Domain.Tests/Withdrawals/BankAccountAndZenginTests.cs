using System.Text;
using Points.Domain.Withdrawals;

namespace Points.Domain.Tests.Withdrawals;

public sealed class BankAccountAndZenginTests
{
    [Theory]
    [InlineData("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ")]
    [InlineData("ｷﾞﾝｺｳ ﾊﾅｺ", "ｷﾞﾝｺｳ ﾊﾅｺ")]
    [InlineData("ポイント（カ", "ﾎﾟｲﾝﾄ(ｶ")]
    [InlineData("ショウジ　キョウコ", "ｼﾖｳｼﾞ ｷﾖｳｺ")] // small kana become large (Zengin has none), full-width space
    [InlineData("ｻﾄｳ ｯｷ", "ｻﾄｳ ﾂｷ")]
    [InlineData("ｽｽﾞｷ ａｂｃ１２", "ｽｽﾞｷ ABC12")]
    public void HolderKana_IsNarrowedToTheZenginSet(string given, string stored)
    {
        Assert.True(BankAccount.TryCreate("0001", "123", "ordinary", "1234567", given, out var account, out var errors), string.Join(";", errors.Keys));
        Assert.Equal(stored, account!.HolderKana);
    }

    [Theory]
    [InlineData("001", "123", "ordinary", "1234567", "ﾔﾏﾀﾞ", "bankCode")]
    [InlineData("0001", "12a", "ordinary", "1234567", "ﾔﾏﾀﾞ", "branchCode")]
    [InlineData("0001", "123", "checking", "1234567", "ﾔﾏﾀﾞ", "accountType")]
    [InlineData("0001", "123", "ordinary", "123456", "ﾔﾏﾀﾞ", "accountNumber")]
    [InlineData("0001", "123", "ordinary", "1234567", "山田", "holderKana")]
    [InlineData("0001", "123", "ordinary", "1234567", "   ", "holderKana")]
    [InlineData("0001", "123", "ordinary", "1234567", "ｱｲｳｴｵｱｲｳｴｵｱｲｳｴｵｱｲｳｴｵｱｲｳｴｵｱｲｳｴｵｱ", "holderKana")]
    public void InvalidField_IsNamed(string bank, string branch, string type, string number, string kana, string field)
    {
        Assert.False(BankAccount.TryCreate(bank, branch, type, number, kana, out _, out var errors));
        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void Masked_ShowsTheLastFourDigitsOnly_AndTheRecordNeverPrintsTheNumber()
    {
        BankAccount.TryCreate("0001", "123", "ordinary", "1234567", "ﾔﾏﾀﾞ", out var account, out _);
        Assert.Equal("***4567", account!.MaskedNumber);
        Assert.DoesNotContain("1234567", account.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ZenginFile_Has120ByteRecords_AndATrailerThatAddsUp_ReadBackByPosition()
    {
        var from = new ZenginConsignor("1234567890", "ﾎﾟｲﾝﾄ(ｶ", "0009", "ﾐﾂｲｽﾐﾄﾓ", "100", "ﾎﾝﾃﾝ", AccountType.Current, "7654321");
        var transfers = new[] { ("0001", "001", "1111111", "ﾔﾏﾀﾞ ﾀﾛｳ", 134_355L, "W0001"), ("0005", "250", "2222222", "ｻﾄｳ ﾊﾅｺ", 99_670L, "W0002") }
            .Select(t =>
            {
                BankAccount.TryCreate(t.Item1, t.Item2, "ordinary", t.Item3, t.Item4, out var to, out _);
                return new ZenginTransfer(to!, t.Item5, t.Item6);
            }).ToList();

        var bytes = ZenginFile.Encode(ZenginFile.Records(from, new DateOnly(2026, 12, 25), transfers));

        // An independent reading: split on CRLF, every record exactly 120 bytes, fields by the published positions.
        var records = Split(bytes);
        Assert.Equal(5, records.Count);
        Assert.All(records, r => Assert.Equal(120, r.Length));
        Assert.Equal("1210", Field(records[0], 1, 4));
        Assert.Equal(("1234567890", "1225", "0009", "100", "2", "7654321"),
            (Field(records[0], 5, 10), Field(records[0], 55, 4), Field(records[0], 59, 4), Field(records[0], 78, 3), Field(records[0], 96, 1), Field(records[0], 97, 7)));
        Assert.Equal(("2", "0001", "001", "1", "1111111", "0000134355", "W0001"),
            (Field(records[1], 1, 1), Field(records[1], 2, 4), Field(records[1], 21, 3), Field(records[1], 43, 1), Field(records[1], 44, 7), Field(records[1], 81, 10), Field(records[1], 92, 20).TrimEnd()));
        Assert.Equal(0xD4, records[1][50]); // 受取人名 starts with ﾔ, byte 0xD4 in Shift_JIS
        Assert.Equal(("8", "000002", "000000234025"), (Field(records[3], 1, 1), Field(records[3], 2, 6), Field(records[3], 8, 12)));
        Assert.Equal(new string(' ', 119), Field(records[4], 2, 119));
        Assert.Equal(transfers.Sum(t => t.AmountYen), records.Skip(1).Take(2).Sum(r => long.Parse(Field(r, 81, 10), System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static List<byte[]> Split(byte[] bytes)
    {
        var records = new List<byte[]>();
        for (var start = 0; start < bytes.Length;)
        {
            var end = Array.IndexOf(bytes, (byte)'\r', start);
            Assert.Equal((byte)'\n', bytes[end + 1]);
            records.Add(bytes[start..end]);
            start = end + 2;
        }
        return records;
    }

    /// <summary>1-based position and length, as the bank's specification writes them (ASCII fields only).</summary>
    private static string Field(byte[] record, int position, int length) => Encoding.ASCII.GetString(record, position - 1, length);
}

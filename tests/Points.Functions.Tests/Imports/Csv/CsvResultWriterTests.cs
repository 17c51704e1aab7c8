using System.Text;
using CsvHelper;
using Points.Functions.Imports.Csv;

namespace Points.Functions.Tests.Imports.Csv;

public class CsvResultWriterTests
{
    private static readonly CsvColumn[] TextAndNumber = [new("text"), new("number", IsNumeric: true)];

    private static async Task<byte[]> WriteAsync(
        IReadOnlyList<CsvColumn> columns, IEnumerable<string?[]> rows, CsvOutputEncoding encoding = CsvOutputEncoding.Utf8Bom)
    {
        using var destination = new MemoryStream();
        await using (var writer = CsvResultWriter.Create(destination, columns, encoding))
        {
            foreach (var row in rows)
            {
                await writer.WriteRowAsync(row);
            }
        }
        return destination.ToArray();
    }

    // Reads the written file back as a spreadsheet or another program would see the cells.
    private static List<string[]> ReadBack(byte[] file, Encoding encoding)
    {
        using var csv = CsvReader.Create(new StreamReader(new MemoryStream(file), encoding), new CsvReaderOptions { Separator = ',', HasHeader = false });
        var rows = new List<string[]>();
        while (csv.Read())
        {
            rows.Add(Enumerable.Range(0, csv.FieldCount).Select(i => csv.GetString(i) ?? "").ToArray());
        }
        return rows;
    }

    [Fact]
    public async Task Create_ByDefault_WritesUtf8WithBomAndCrLf()
    {
        var file = await WriteAsync(TextAndNumber, [["日本語", "1"]]);

        Assert.Equal(CsvInput.Utf8("text,number\r\n日本語,1\r\n", withBom: true), file);
    }

    [Theory]
    [InlineData("=SUM(A1)", "'=SUM(A1)")]
    [InlineData("-abc", "'-abc")]
    [InlineData("+81-3-1234", "'+81-3-1234")]
    [InlineData("@x", "'@x")]
    [InlineData("\tx", "'\tx")]
    [InlineData("\rx", "'\rx")]
    [InlineData("plain text", "plain text")]
    [InlineData("a=b", "a=b")]
    [InlineData("", "")]
    public async Task WriteRow_TextCell_PrefixesFormulaStartsWithApostrophe(string value, string cell)
    {
        var file = await WriteAsync(TextAndNumber, [[value, "1"]]);

        Assert.Equal(["text", "number"], ReadBack(file, Encoding.UTF8)[0]);
        Assert.Equal([cell, "1"], ReadBack(file, Encoding.UTF8)[1]);
    }

    [Theory]
    [InlineData("-50", "-50")]
    [InlineData("+50", "50")]
    [InlineData("1000000000", "1000000000")]
    [InlineData("-12.50", "-12.50")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public async Task WriteRow_NumberInNumericColumn_WritesItAsIs(string? value, string cell)
    {
        var file = await WriteAsync(TextAndNumber, [["x", value]]);

        Assert.Equal(["x", cell], ReadBack(file, Encoding.UTF8)[1]);
        Assert.EndsWith($"x,{cell}\r\n", Encoding.UTF8.GetString(file), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("-abc", "'-abc")]
    [InlineData("1,000", "1,000")]
    public async Task WriteRow_TextInNumericColumn_IsProtectedLikeText(string value, string cell)
    {
        var file = await WriteAsync(TextAndNumber, [["x", value]]);

        Assert.Equal(["x", cell], ReadBack(file, Encoding.UTF8)[1]);
    }

    [Fact]
    public async Task WriteRow_QuotesCommasQuotesAndLineBreaks()
    {
        var file = await WriteAsync(TextAndNumber, [["a, \"b\"\r\nc", "1"]]);

        Assert.EndsWith("\"a, \"\"b\"\"\r\nc\",1\r\n", Encoding.UTF8.GetString(file), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ShiftJis_RoundTripsJapaneseWithoutBom()
    {
        var file = await WriteAsync(TextAndNumber, [["年末感謝キャンペーン（期間限定）①", "-200"], ["=危険", "3"]], CsvOutputEncoding.ShiftJis);

        Assert.Equal((byte)'t', file[0]);
        Assert.Equal(
            [["text", "number"], ["年末感謝キャンペーン（期間限定）①", "-200"], ["'=危険", "3"]],
            ReadBack(file, CsvInput.ShiftJis));
    }

    [Fact]
    public async Task Create_ShiftJisWithCharacterItLacks_WritesQuestionMark()
    {
        var file = await WriteAsync(TextAndNumber, [["ok 😀", "1"]], CsvOutputEncoding.ShiftJis);

        Assert.Equal(["ok ??", "1"], ReadBack(file, CsvInput.ShiftJis)[1]);
    }

    [Fact]
    public async Task WriteRow_WrongNumberOfCells_Throws()
    {
        await using var writer = CsvResultWriter.Create(new MemoryStream(), TextAndNumber);

        await Assert.ThrowsAsync<ArgumentException>(() => writer.WriteRowAsync(["only one"]).AsTask());
    }

    [Fact]
    public async Task WriteRow_ManyRows_ReachTheDestinationAsTheyComeNotAtTheEnd()
    {
        using var destination = new MemoryStream();
        var writer = CsvResultWriter.Create(destination, TextAndNumber);
        for (var i = 0; i < 20_000; i++)
        {
            await writer.WriteRowAsync([$"row {i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
        var writtenBeforeTheEnd = destination.Length;

        await writer.DisposeAsync();

        Assert.Equal(20_000, writer.RowsWritten);
        // At most one 64 KiB buffer is held back at any time.
        Assert.InRange(destination.Length - writtenBeforeTheEnd, 0, 64 * 1024);
        Assert.True(destination.Length > 4 * 64 * 1024);
    }

    [Fact]
    public async Task AdjustmentResultCsv_WriteAsync_WritesTheResultLayout()
    {
        using var destination = new MemoryStream();
        await using (var writer = AdjustmentResultCsv.CreateWriter(destination))
        {
            await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(1, "m1", "-50", ImportRowStatus.Applied, "", "", 150));
            await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(2, "m2", "=1+1", ImportRowStatus.Invalid, "invalid_points", "points must be a whole number.", null));
            await AdjustmentResultCsv.WriteAsync(writer, new AdjustmentResultRow(3, "m3", "-500", ImportRowStatus.Rejected, "insufficient_points", "残高不足", null));
        }

        Assert.Equal(
            CsvInput.Utf8(
                "row,member_id,points,status,code,message,balance_after\r\n"
                + "1,m1,-50,applied,,,150\r\n"
                + "2,m2,\"'=1+1\",invalid,invalid_points,points must be a whole number.,\r\n"
                + "3,m3,-500,rejected,insufficient_points,残高不足,\r\n",
                withBom: true),
            destination.ToArray());
    }
}

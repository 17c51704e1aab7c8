using Points.Functions.Imports.Csv;

namespace Points.Functions.Tests.Imports.Csv;

public class AdjustmentCsvReaderTests
{
    private static AdjustmentCsvRow Valid(AdjustmentCsvOutcome outcome) => Assert.IsType<AdjustmentCsvRow>(outcome);

    private static InvalidAdjustmentCsvRow Invalid(AdjustmentCsvOutcome outcome) => Assert.IsType<InvalidAdjustmentCsvRow>(outcome);

    [Fact]
    public async Task Read_Utf8WithBom_ParsesRows()
    {
        var file = CsvInput.Utf8(
            CsvInput.Header + "\r\n"
            + "m-001,100,,,誕生日ボーナス,k1\r\n"
            + "m-002,-30,regular,,お詫び訂正,\r\n",
            withBom: true);

        var rows = (await CsvInput.ReadAllAsync(file)).Select(Valid).ToList();

        Assert.Equal(
            [
                new AdjustmentCsvRow(1, "m-001", 100, AdjustmentKinds.Regular, null, "誕生日ボーナス", "k1") { Line = 2 },
                new AdjustmentCsvRow(2, "m-002", -30, AdjustmentKinds.Regular, null, "お詫び訂正", null) { Line = 3 },
            ],
            rows);
    }

    [Fact]
    public async Task Read_Utf8WithoutBom_ParsesRows()
    {
        var file = CsvInput.Utf8(CsvInput.Header + "\n" + "m1,500,special,2026-12-31,キャンペーン,\n");

        var row = Valid(Assert.Single(await CsvInput.ReadAllAsync(file)));

        Assert.Equal(new AdjustmentCsvRow(1, "m1", 500, AdjustmentKinds.Special, new DateOnly(2026, 12, 31), "キャンペーン", null) { Line = 2 }, row);
    }

    [Fact]
    public async Task Read_ShiftJisWithJapaneseHeaders_ParsesRows()
    {
        var file = CsvInput.InShiftJis(
            "会員ID,ポイント,種別,有効期限,理由,冪等キー\r\n"
            + "m1,1000,期間限定,2027/03/31,年末感謝キャンペーン（期間限定）,c-2026-12:m1\r\n"
            + "m2,-200,通常,,ご利用取消に伴う減算,\r\n");

        var rows = (await CsvInput.ReadAllAsync(file)).Select(Valid).ToList();

        Assert.Equal(
            [
                new AdjustmentCsvRow(1, "m1", 1000, AdjustmentKinds.Special, new DateOnly(2027, 3, 31), "年末感謝キャンペーン（期間限定）", "c-2026-12:m1") { Line = 2 },
                new AdjustmentCsvRow(2, "m2", -200, AdjustmentKinds.Regular, null, "ご利用取消に伴う減算", null) { Line = 3 },
            ],
            rows);
    }

    [Fact]
    public async Task Read_JapaneseHeadersWithFullWidthLettersAndSpaces_MatchesAliases()
    {
        var file = CsvInput.Utf8(" 会員ＩＤ ,ポイント,理由\r\nm1,10,テスト\r\n");

        var row = Valid(Assert.Single(await CsvInput.ReadAllAsync(file)));

        Assert.Equal("m1", row.MemberId);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\n")]
    public async Task Read_EitherLineEnding_ParsesTheSameRows(string newLine)
    {
        var file = CsvInput.Utf8(string.Join(newLine, CsvInput.Header, "m1,1,,,a,", "m2,2,,,b,") + newLine);

        var rows = (await CsvInput.ReadAllAsync(file)).Select(Valid).ToList();

        Assert.Equal(["m1", "m2"], rows.Select(r => r.MemberId));
        Assert.Equal(["a", "b"], rows.Select(r => r.Reason));
    }

    [Fact]
    public async Task Read_QuotedFieldsWithCommasLineBreaksAndQuotes_Unescapes()
    {
        var file = CsvInput.Utf8(
            CsvInput.Header + "\r\n"
            + "\"m1\",\"1\",\"\",\"\",\"refund, order 12\",\"\"\r\n"
            + "m2,2,,,\"line one\r\nline \"\"two\"\"\",\r\n"
            + "m3,3,,,after,\r\n");

        var rows = await CsvInput.ReadAllAsync(file);

        // A quoted line break keeps the row whole (the next row is still row 3, on line 5); a reason is one line of text.
        Assert.Equal(["refund, order 12", "after"], rows.OfType<AdjustmentCsvRow>().Select(r => r.Reason));
        Assert.Equal([1L, 2, 3], rows.Select(r => r.Row));
        Assert.Equal([2L, 3, 5], rows.Select(r => r.Line));
        var broken = Assert.IsType<InvalidAdjustmentCsvRow>(rows[1]);
        Assert.Equal((CsvRowErrorCodes.InvalidReason, "reason"), (broken.Errors.Single().Code, broken.Errors.Single().Field));
    }

    [Fact]
    public async Task Read_QuotedQuotes_Unescape()
    {
        var rows = (await CsvInput.ReadAllAsync(CsvInput.Utf8(CsvInput.Header + "\r\n" + "m2,2,,,\"line \"\"two\"\"\",\r\n"))).Select(Valid).ToList();

        Assert.Equal(["line \"two\""], rows.Select(r => r.Reason));
    }

    /// <summary>Regression (review): NUL, ESC and line breaks were stored in reasons; a reason is plain text now, as over the API.</summary>
    [Theory]
    [InlineData("a\u0000b")]
    [InlineData("a\u001b[31mred")]
    [InlineData("\"two\r\nlines\"")]
    [InlineData("tab\there")]
    [InlineData("c1\u0085control")]
    public async Task Read_ReasonWithControlCharacters_IsInvalidReason(string reason)
    {
        var outcome = Assert.Single(await CsvInput.ReadAllAsync(CsvInput.Utf8(CsvInput.Header + "\r\n" + $"m1,10,,,{reason},\r\n")));

        var error = Assert.Single(Assert.IsType<InvalidAdjustmentCsvRow>(outcome).Errors);
        Assert.Equal((CsvRowErrorCodes.InvalidReason, "reason"), (error.Code, error.Field));
        Assert.Contains("control characters", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Regression (review): the API granted purchased points that the import refused; both refuse them with one message.</summary>
    [Theory]
    [InlineData("purchased")]
    [InlineData("Purchased")]
    [InlineData("購入")]
    public async Task Read_KindPurchased_IsInvalidKind_WithTheApisMessage(string kind)
    {
        var outcome = Assert.Single(await CsvInput.ReadAllAsync(CsvInput.Utf8(CsvInput.Header + "\r\n" + $"m1,10,{kind},,r,\r\n")));

        var error = Assert.Single(Assert.IsType<InvalidAdjustmentCsvRow>(outcome).Errors);
        Assert.Equal((CsvRowErrorCodes.InvalidKind, Points.Functions.Adjustments.AdjustmentsFeature.PurchasedKindRefused), (error.Code, error.Message));
    }

    [Fact]
    public async Task Read_ShuffledMixedCaseHeadersWithUnknownColumn_MatchesByName()
    {
        var file = CsvInput.Utf8(
            " Reason ,NOTE,Idempotency_Key,POINTS,Member_Id\r\n"
            + "goodwill,ignored note,key-1,25,m1\r\n");

        var row = Valid(Assert.Single(await CsvInput.ReadAllAsync(file)));

        Assert.Equal(new AdjustmentCsvRow(1, "m1", 25, AdjustmentKinds.Regular, null, "goodwill", "key-1") { Line = 2 }, row);
    }

    [Theory]
    [InlineData("m1,+100,,,r,", 100, "regular", null)]
    [InlineData("m1,100,REGULAR,,r,", 100, "regular", null)]
    [InlineData("m1,100,Special,2026/12/31,r,", 100, "special", "2026-12-31")]
    [InlineData("m1,100,期間限定,2026-01-05,r,", 100, "special", "2026-01-05")]
    [InlineData("m1,-50,,,r,", -50, "regular", null)]
    [InlineData("m1,-50,regular,,r,", -50, "regular", null)]
    [InlineData("m1,1000000000,,,r,", 1_000_000_000, "regular", null)]
    [InlineData("m1,-1000000000,,,r,", -1_000_000_000, "regular", null)]
    [InlineData("\u3000m1 , 7 ,,, r\u3000,", 7, "regular", null)]
    public async Task Read_ValidValue_ParsesIt(string line, long points, string kind, string? expiresOn)
    {
        var row = Valid(Assert.Single(await CsvInput.ReadAllAsync(CsvInput.Utf8(CsvInput.Header + "\r\n" + line + "\r\n"))));

        Assert.Equal("m1", row.MemberId);
        Assert.Equal(points, row.Points);
        Assert.Equal(kind, row.Kind);
        Assert.Equal(expiresOn is null ? null : DateOnly.Parse(expiresOn, System.Globalization.CultureInfo.InvariantCulture), row.ExpiresOn);
        Assert.Equal("r", row.Reason);
    }

    [Fact]
    public async Task Read_LongestValidFields_ParsesThem()
    {
        var memberId = new string('M', 64);
        var reason = new string('理', 200);
        var key = "a:" + new string('k', 126);
        var file = CsvInput.Utf8($"{CsvInput.Header}\r\n{memberId},1,,,{reason},{key}\r\n");

        var row = Valid(Assert.Single(await CsvInput.ReadAllAsync(file)));

        Assert.Equal((memberId, reason, key), (row.MemberId, row.Reason, row.IdempotencyKey));
    }

    public static TheoryData<string, string, string> InvalidValues => new()
    {
        { ",100,,,r,", "member_id", CsvRowErrorCodes.Required },
        { "bad id!,100,,,r,", "member_id", CsvRowErrorCodes.InvalidMemberId },
        { "会員1,100,,,r,", "member_id", CsvRowErrorCodes.InvalidMemberId },
        { new string('m', 65) + ",100,,,r,", "member_id", CsvRowErrorCodes.InvalidMemberId },
        { "m1,,,,r,", "points", CsvRowErrorCodes.Required },
        { "m1,abc,,,r,", "points", CsvRowErrorCodes.InvalidPoints },
        { "m1,1.5,,,r,", "points", CsvRowErrorCodes.InvalidPoints },
        { "m1,\"1,000\",,,r,", "points", CsvRowErrorCodes.InvalidPoints },
        { "m1,１００,,,r,", "points", CsvRowErrorCodes.InvalidPoints },
        { "m1,0,,,r,", "points", CsvRowErrorCodes.InvalidPoints },
        { "m1,1000000001,,,r,", "points", CsvRowErrorCodes.InvalidPoints },
        { "m1,-1000000001,,,r,", "points", CsvRowErrorCodes.InvalidPoints },
        { "m1,99999999999999999999,,,r,", "points", CsvRowErrorCodes.InvalidPoints },
        { "m1,100,bonus,,r,", "kind", CsvRowErrorCodes.InvalidKind },
        { "m1,-100,special,,r,", "kind", CsvRowErrorCodes.InvalidKind },
        { "m1,100,special,2026-13-01,r,", "expires_on", CsvRowErrorCodes.InvalidDate },
        { "m1,100,special,2026.12.31,r,", "expires_on", CsvRowErrorCodes.InvalidDate },
        { "m1,100,special,2026/1/5,r,", "expires_on", CsvRowErrorCodes.InvalidDate },
        { "m1,100,special,20261231,r,", "expires_on", CsvRowErrorCodes.InvalidDate },
        { "m1,100,special,,r,", "expires_on", CsvRowErrorCodes.ExpiryRequired },
        { "m1,100,期間限定,,r,", "expires_on", CsvRowErrorCodes.ExpiryRequired },
        { "m1,100,,2026-12-31,r,", "expires_on", CsvRowErrorCodes.ExpiryNotAllowed },
        { "m1,100,regular,2026-12-31,r,", "expires_on", CsvRowErrorCodes.ExpiryNotAllowed },
        { "m1,-100,,2026-12-31,r,", "expires_on", CsvRowErrorCodes.ExpiryNotAllowed },
        { "m1,100,,,,", "reason", CsvRowErrorCodes.Required },
        { "m1,100,,,\"  \",", "reason", CsvRowErrorCodes.Required },
        { "m1,100,,," + new string('x', 201) + ",", "reason", CsvRowErrorCodes.InvalidReason },
        { "m1,100,,,r,bad key!", "idempotency_key", CsvRowErrorCodes.InvalidIdempotencyKey },
        { "m1,100,,,r," + new string('k', 129), "idempotency_key", CsvRowErrorCodes.InvalidIdempotencyKey },
        { "m1,100,,,r, unquoted, comma,k1", "row", CsvRowErrorCodes.TooManyFields },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public async Task Read_InvalidValue_ReportsFieldAndCode(string line, string field, string code)
    {
        var row = Invalid(Assert.Single(await CsvInput.ReadAllAsync(CsvInput.Utf8(CsvInput.Header + "\r\n" + line + "\r\n"))));

        var error = Assert.Single(row.Errors);
        Assert.Equal((field, code), (error.Field, error.Code));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public async Task Read_RowWithSeveralProblems_ReportsEveryOneInColumnOrder()
    {
        var file = CsvInput.Utf8(CsvInput.Header + "\r\n" + "bad id!,1.5,bonus,31/12/2026,,key with spaces\r\n");

        var row = Invalid(Assert.Single(await CsvInput.ReadAllAsync(file)));

        Assert.Equal(
            [
                ("member_id", CsvRowErrorCodes.InvalidMemberId),
                ("points", CsvRowErrorCodes.InvalidPoints),
                ("kind", CsvRowErrorCodes.InvalidKind),
                ("expires_on", CsvRowErrorCodes.InvalidDate),
                ("reason", CsvRowErrorCodes.Required),
                ("idempotency_key", CsvRowErrorCodes.InvalidIdempotencyKey),
            ],
            row.Errors.Select(e => (e.Field, e.Code)));
        Assert.Equal(("bad id!", "1.5"), (row.MemberId, row.PointsText));
    }

    [Fact]
    public async Task Read_InvalidRowsAmongValidOnes_KeepsRowNumbersAndReadsOn()
    {
        var file = CsvInput.Utf8(CsvInput.Header + "\r\n" + "m1,1,,,a,\r\n" + ",,,,,\r\n" + "m3,0,,,c,\r\n" + "m4,4,,,d,\r\n");

        var outcomes = await CsvInput.ReadAllAsync(file);

        Assert.Equal([typeof(AdjustmentCsvRow), typeof(InvalidAdjustmentCsvRow), typeof(AdjustmentCsvRow)], outcomes.Select(o => o.GetType()));
        Assert.Equal([1L, 3, 4], outcomes.Select(o => o.Row));
        var invalid = Invalid(outcomes[1]);
        Assert.Equal(("m3", "0"), (invalid.MemberId, invalid.PointsText));
    }

    [Fact]
    public async Task Read_BlankRowsAndTrailingEmptyFields_PassesOverThemButCountsThem()
    {
        var file = CsvInput.Utf8(CsvInput.Header + ",\r\n" + "m1,1,,,a,,\r\n" + "\r\n" + ", ,,,,,\r\n" + "m4,4,,,d,,\r\n" + "\r\n");

        var outcomes = await CsvInput.ReadAllAsync(file);

        Assert.Equal([1L, 4], outcomes.Select(Valid).Select(r => r.Row));
    }

    [Fact]
    public async Task Read_HeaderOnly_YieldsNothing()
    {
        Assert.Empty(await CsvInput.ReadAllAsync(CsvInput.Utf8(CsvInput.Header + "\r\n")));
    }

    [Theory]
    [InlineData("member_id,points,kind", "reason [理由]")]
    [InlineData("会員ID,理由", "points [ポイント]")]
    [InlineData("kind,expires_on", "member_id [会員ID], points [ポイント], reason [理由]")]
    public async Task Read_MissingRequiredColumn_RejectsFileNamingTheColumn(string header, string named)
    {
        var error = await CsvInput.RejectionOfAsync(CsvInput.Utf8(header + "\r\nx,y,z\r\n"));

        Assert.Equal(CsvFileErrorCodes.MissingColumn, error.Code);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Null(error.Row);
    }

    [Fact]
    public async Task Read_ColumnUnderBothNames_RejectsFileAsDuplicateColumn()
    {
        var error = await CsvInput.RejectionOfAsync(CsvInput.Utf8("member_id,会員ID,points,reason\r\nm1,m2,1,r\r\n"));

        Assert.Equal(CsvFileErrorCodes.DuplicateColumn, error.Code);
        Assert.Contains("member_id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_EmptyFile_RejectsFile()
    {
        Assert.Equal(CsvFileErrorCodes.EmptyFile, (await CsvInput.RejectionOfAsync([])).Code);
    }

    [Theory]
    [InlineData("m1,1,,,a,\r\nm2,2,,,\"unterminated,\r\nm3,3,,,c,\r\n", 2, 3)]
    [InlineData("m1,1,,,a,\r\nm2,2,,,\"line\r\nbreak\",\r\nm3,3,,,c\"d,\r\n", 3, 5)]
    [InlineData("m1,1,,,\"closed\"then text,\r\n", 1, 2)]
    public async Task Read_BrokenQuoting_RejectsFileWithRowAndLine(string rows, long row, long line)
    {
        var error = await CsvInput.RejectionOfAsync(CsvInput.Utf8(CsvInput.Header + "\r\n" + rows));

        Assert.Equal(CsvFileErrorCodes.MalformedCsv, error.Code);
        Assert.Equal((row, line), (error.Row, error.Line));
        Assert.Contains($"Row {row}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_BrokenQuotingInHeader_RejectsFileWithoutRow()
    {
        var error = await CsvInput.RejectionOfAsync(CsvInput.Utf8("member_id,\"points,reason\r\nm1,1,r\r\n"));

        Assert.Equal(CsvFileErrorCodes.MalformedCsv, error.Code);
        Assert.Null(error.Row);
    }

    [Fact]
    public async Task Read_RowLongerThanRowBytesMax_RejectsFileInsteadOfBuffering()
    {
        var limits = new CsvImportLimits(RowBytesMax: 1024);
        var file = CsvInput.Utf8(CsvInput.Header + "\r\n" + "m1,1,,,\"" + new string('x', 100_000) + "\",\r\n");

        var error = await CsvInput.RejectionOfAsync(file, limits);

        Assert.Equal(CsvFileErrorCodes.MalformedCsv, error.Code);
        Assert.Equal(1, error.Row);
        // Regression (review): the message named the constants RowBytesMax and CsvHelper's MaxRecordSize.
        Assert.Contains("longer than 1,024 bytes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Max", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_MoreRowsThanRowsPerFileMax_RejectsFileAsTooManyRows()
    {
        var limits = new CsvImportLimits(RowsPerFileMax: 3);
        var rows = string.Concat(Enumerable.Range(1, 4).Select(i => $"m{i},{i},,,r,\r\n"));

        var error = await CsvInput.RejectionOfAsync(CsvInput.Utf8(CsvInput.Header + "\r\n" + rows), limits);

        Assert.Equal((CsvFileErrorCodes.TooManyRows, 4L), (error.Code, error.Row));
        Assert.Contains("more than 3 data rows", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Max", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_ExactlyRowsPerFileMax_ReadsEveryRow()
    {
        var limits = new CsvImportLimits(RowsPerFileMax: 3);
        var rows = string.Concat(Enumerable.Range(1, 3).Select(i => $"m{i},{i},,,r,\r\n"));

        Assert.Equal(3, (await CsvInput.ReadAllAsync(CsvInput.Utf8(CsvInput.Header + "\r\n" + rows), limits)).Count);
    }

    [Theory]
    [InlineData(1_000)] // the limit is passed while the encoding is probed
    [InlineData(20_000)] // the limit is passed while rows are read, past the probe
    public async Task Read_MoreBytesThanFileBytesMax_RejectsFileAsTooLarge(int rows)
    {
        var file = CsvInput.Utf8(CsvInput.Header + "\r\n" + string.Concat(Enumerable.Range(1, rows).Select(i => $"m{i},{i},,,r,\r\n")));
        var limits = new CsvImportLimits(FileBytesMax: file.Length - 1);

        var error = await CsvInput.RejectionOfAsync(file, limits);

        Assert.Equal(CsvFileErrorCodes.FileTooLarge, error.Code);
        Assert.Contains($"larger than {limits.FileBytesMax:N0} bytes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Max", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_ExactlyFileBytesMax_ReadsEveryRow()
    {
        var file = CsvInput.Utf8(CsvInput.Header + "\r\n" + "m1,1,,,r,\r\n");

        Assert.Single(await CsvInput.ReadAllAsync(file, new CsvImportLimits(FileBytesMax: file.Length)));
    }

    [Fact]
    public async Task Read_Utf8StartThenShiftJisPastProbe_RejectsFileAsInvalidEncoding()
    {
        var utf8Rows = string.Concat(Enumerable.Range(1, 5000).Select(i => $"m{i},{i},,,reason,\r\n"));
        byte[] file = [.. CsvInput.Utf8(CsvInput.Header + "\r\n" + utf8Rows), .. CsvInput.InShiftJis("m0,1,,,理由,\r\n")];

        var error = await CsvInput.RejectionOfAsync(file);

        Assert.Equal(CsvFileErrorCodes.InvalidEncoding, error.Code);
    }

    [Fact]
    public async Task Read_Utf16File_RejectsFileAsUnsupportedEncoding()
    {
        byte[] file = [.. System.Text.Encoding.Unicode.Preamble, .. System.Text.Encoding.Unicode.GetBytes(CsvInput.Header)];

        Assert.Equal(CsvFileErrorCodes.UnsupportedEncoding, (await CsvInput.RejectionOfAsync(file)).Code);
    }

    [Fact]
    public async Task Read_CallerStream_IsLeftOpen()
    {
        var stream = new MemoryStream(CsvInput.Utf8(CsvInput.Header + "\r\nm1,1,,,r,\r\n"));

        await foreach (var _ in new AdjustmentCsvReader().ReadAsync(stream))
        {
        }

        Assert.True(stream.CanRead);
    }
}

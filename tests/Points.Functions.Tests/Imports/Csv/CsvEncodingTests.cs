using System.Text;
using Points.Functions.Imports.Csv;

namespace Points.Functions.Tests.Imports.Csv;

public class CsvEncodingTests
{
    [Fact]
    public void Detect_Utf8Bom_ReturnsUtf8WithBom() =>
        Assert.Equal(CsvInputEncoding.Utf8WithBom, CsvEncoding.Detect(CsvInput.Utf8("会員ID,ポイント", withBom: true), isWholeFile: true));

    [Fact]
    public void Detect_AsciiOnly_ReturnsUtf8() =>
        Assert.Equal(CsvInputEncoding.Utf8, CsvEncoding.Detect(CsvInput.Utf8("member_id,points\r\nm1,100\r\n"), isWholeFile: true));

    [Fact]
    public void Detect_Utf8JapaneseWithoutBom_ReturnsUtf8() =>
        Assert.Equal(CsvInputEncoding.Utf8, CsvEncoding.Detect(CsvInput.Utf8("会員ID,理由\r\nm1,誕生日ボーナス\r\n"), isWholeFile: true));

    [Fact]
    public void Detect_ShiftJisJapanese_ReturnsShiftJis() =>
        Assert.Equal(CsvInputEncoding.ShiftJis, CsvEncoding.Detect(CsvInput.InShiftJis("会員ID,理由\r\nm1,誕生日ボーナス\r\n"), isWholeFile: true));

    [Fact]
    public void Detect_Utf8SequenceCutByProbeLimit_ReturnsUtf8()
    {
        var cut = CsvInput.Utf8("reason,あ")[..^1];

        Assert.Equal(CsvInputEncoding.Utf8, CsvEncoding.Detect(cut, isWholeFile: false));
    }

    [Fact]
    public void Detect_Utf8SequenceCutAtEndOfFile_ReturnsShiftJis()
    {
        var cut = CsvInput.Utf8("reason,あ")[..^1];

        Assert.Equal(CsvInputEncoding.ShiftJis, CsvEncoding.Detect(cut, isWholeFile: true));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, (byte)'a', 0 })]
    [InlineData(new byte[] { 0xFE, 0xFF, 0, (byte)'a' })]
    public void Detect_Utf16Bom_RejectsFileAsUnsupportedEncoding(byte[] probe)
    {
        var rejection = Assert.Throws<CsvFileRejectedException>(() => CsvEncoding.Detect(probe, isWholeFile: true));

        Assert.Equal(CsvFileErrorCodes.UnsupportedEncoding, rejection.Error.Code);
    }

    [Fact]
    public async Task OpenAsync_Utf8WithBom_DropsTheBom()
    {
        var detected = await CsvEncoding.OpenAsync(new TrickleStream(CsvInput.Utf8("会員ID\r\n", withBom: true)));

        Assert.Equal(CsvInputEncoding.Utf8WithBom, detected.Encoding);
        Assert.Equal("会員ID", await detected.Reader.ReadLineAsync());
    }

    [Fact]
    public async Task OpenAsync_CharacterStraddlingProbeEndOnNonSeekableStream_DecodesEveryCharacter()
    {
        // 'あ' is 3 bytes in UTF-8; its first byte is the probe's last byte.
        var text = new string('a', CsvLimits.EncodingProbeBytesMax - 1) + "あ" + new string('b', 10_000) + "い";
        var detected = await CsvEncoding.OpenAsync(new TrickleStream(CsvInput.Utf8(text), chunkBytes: 1000));

        Assert.Equal(CsvInputEncoding.Utf8, detected.Encoding);
        Assert.Equal(text, await detected.Reader.ReadToEndAsync());
    }

    [Fact]
    public async Task OpenAsync_ShiftJis_DecodesJapanese()
    {
        var detected = await CsvEncoding.OpenAsync(new TrickleStream(CsvInput.InShiftJis("理由,期間限定キャンペーン①")));

        Assert.Equal(CsvInputEncoding.ShiftJis, detected.Encoding);
        Assert.Equal("理由,期間限定キャンペーン①", await detected.Reader.ReadToEndAsync());
    }

    [Fact]
    public async Task OpenAsync_Utf8StartThenShiftJisPastProbe_FailsLoudlyInsteadOfMojibake()
    {
        byte[] file = [.. CsvInput.Utf8(new string('a', CsvLimits.EncodingProbeBytesMax + 10)), .. CsvInput.InShiftJis("理由")];
        var detected = await CsvEncoding.OpenAsync(new TrickleStream(file));

        Assert.Equal(CsvInputEncoding.Utf8, detected.Encoding);
        await Assert.ThrowsAsync<DecoderFallbackException>(() => detected.Reader.ReadToEndAsync());
    }
}

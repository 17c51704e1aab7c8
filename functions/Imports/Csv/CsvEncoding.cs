using System.Buffers;
using System.Text;

namespace Points.Functions.Imports.Csv;

/// <summary>The encodings an imported CSV file may be in (csv.md: "detect, don't ask").</summary>
public enum CsvInputEncoding
{
    Utf8WithBom,
    Utf8,
    /// <summary>Shift_JIS as Windows writes it: code page 932, what Japanese Excel saves as "CSV (comma delimited)".</summary>
    ShiftJis,
}

/// <summary>The text of a file, decoded as detected. The reader owns the wrappers around the file's stream, not the stream itself.</summary>
public sealed record DetectedCsvText(CsvInputEncoding Encoding, TextReader Reader);

/// <summary>Detects the encoding of an imported CSV file and decodes it strictly.</summary>
public static class CsvEncoding
{
    public const int ShiftJisCodePage = 932;

    private const int DecodeBufferBytes = 16 * 1024;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];
    private static ReadOnlySpan<byte> Utf16LittleEndianBom => [0xFF, 0xFE];
    private static ReadOnlySpan<byte> Utf16BigEndianBom => [0xFE, 0xFF];

    // Both decoders throw on invalid bytes instead of substituting U+FFFD: detection only sees the first
    // EncodingProbeBytesMax bytes, and a file that turns out to be another encoding later must be rejected,
    // not imported as mojibake.
    public static Encoding StrictUtf8 { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Taken from the provider directly rather than registering it process-wide: nothing else needs to change.
    public static Encoding StrictShiftJis { get; } = CodePagesEncodingProvider.Instance.GetEncoding(
        ShiftJisCodePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)
        ?? throw new InvalidOperationException("Code page 932 (Shift_JIS) is not available.");

    /// <summary>
    /// Reads up to <see cref="CsvLimits.EncodingProbeBytesMax"/> bytes of <paramref name="content"/>, detects the
    /// encoding from them, and returns a reader that decodes the whole file (the probe replayed, then the rest
    /// streamed). Works on non-seekable streams; never reads more than the probe ahead of the reader.
    /// </summary>
    /// <exception cref="CsvFileRejectedException">The file starts with a UTF-16 byte order mark.</exception>
    public static async Task<DetectedCsvText> OpenAsync(Stream content, CancellationToken cancellationToken = default)
    {
        var probe = new byte[CsvLimits.EncodingProbeBytesMax];
        var length = await content.ReadAtLeastAsync(probe, probe.Length, throwOnEndOfStream: false, cancellationToken)
            .ConfigureAwait(false);
        var encoding = Detect(probe.AsSpan(0, length), isWholeFile: length < probe.Length);

        // The byte order mark is dropped here, so it can never end up in the first header name.
        var start = encoding == CsvInputEncoding.Utf8WithBom ? Utf8Bom.Length : 0;
        var text = new StreamReader(
            new ReplayStream(probe.AsMemory(start, length - start), content),
            encoding == CsvInputEncoding.ShiftJis ? StrictShiftJis : StrictUtf8,
            detectEncodingFromByteOrderMarks: false,
            DecodeBufferBytes,
            leaveOpen: false);
        return new DetectedCsvText(encoding, text);
    }

    /// <summary>
    /// A byte order mark decides; otherwise text that is valid UTF-8 is UTF-8 (pure ASCII included, which reads the
    /// same either way), and anything else is Shift_JIS. Shift_JIS Japanese text is practically never valid UTF-8.
    /// </summary>
    /// <param name="probe">The first bytes of the file.</param>
    /// <param name="isWholeFile">
    /// False when the probe was cut at its size limit: a multi-byte UTF-8 sequence cut by that cut is then not held
    /// against the file.
    /// </param>
    /// <exception cref="CsvFileRejectedException">The probe starts with a UTF-16 byte order mark.</exception>
    public static CsvInputEncoding Detect(ReadOnlySpan<byte> probe, bool isWholeFile)
    {
        if (probe.StartsWith(Utf8Bom))
        {
            return CsvInputEncoding.Utf8WithBom;
        }
        if (probe.StartsWith(Utf16LittleEndianBom) || probe.StartsWith(Utf16BigEndianBom))
        {
            throw new CsvFileRejectedException(new CsvFileError(
                CsvFileErrorCodes.UnsupportedEncoding,
                "The file is UTF-16. Save it as UTF-8 or Shift_JIS (CSV)."));
        }
        return IsUtf8(probe, isWholeFile) ? CsvInputEncoding.Utf8 : CsvInputEncoding.ShiftJis;
    }

    private static bool IsUtf8(ReadOnlySpan<byte> bytes, bool isWholeFile)
    {
        while (!bytes.IsEmpty)
        {
            var firstNonAscii = bytes.IndexOfAnyExceptInRange((byte)0x00, (byte)0x7F);
            if (firstNonAscii < 0)
            {
                return true;
            }
            bytes = bytes[firstNonAscii..];
            switch (Rune.DecodeFromUtf8(bytes, out _, out var consumed))
            {
                case OperationStatus.Done:
                    bytes = bytes[consumed..];
                    break;
                case OperationStatus.NeedMoreData:
                    // A valid start of a sequence that the probe's end cut off.
                    return !isWholeFile;
                default:
                    return false;
            }
        }
        return true;
    }
}

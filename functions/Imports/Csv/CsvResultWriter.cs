using System.Globalization;
using System.Text;
using CsvHelper;

namespace Points.Functions.Imports.Csv;

/// <summary>The encodings the system writes CSV in (csv.md: UTF-8 with BOM by default, Shift_JIS when asked).</summary>
public enum CsvOutputEncoding
{
    /// <summary>UTF-8 with a byte order mark, which Excel needs to open UTF-8 as UTF-8.</summary>
    Utf8Bom,
    /// <summary>Code page 932. A character it cannot represent (such as an emoji) is written as '?'.</summary>
    ShiftJis,
}

/// <summary>A column of an output file. A numeric column writes numbers as they are; anything else in it is text.</summary>
public sealed record CsvColumn(string Name, bool IsNumeric = false);

/// <summary>
/// Writes a result or export CSV to a stream as rows come: RFC 4180, CRLF, in the requested encoding, with spreadsheet
/// formula injection neutralised. Memory stays at one buffer: CsvHelper hands its 64 KiB buffer to the destination
/// whenever it is mostly full (the destination itself, e.g. a blob write stream, is flushed only by
/// disposal, so a blob is not cut into many small blocks).
/// </summary>
/// <remarks>
/// Formula injection: a text cell that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or CR gets a leading
/// <c>'</c> (and quotes), so Excel shows it as text. In a numeric column a value that is a number (an integer, or a
/// decimal with a point) is written as is, so <c>-50</c> stays <c>-50</c>; a value that is not a number, such as the
/// points text echoed from an invalid input row, is still text and is protected like any other.
/// </remarks>
public sealed class CsvResultWriter : IAsyncDisposable
{
    private readonly CsvWriter _csv;
    private readonly TextWriter? _text;
    private readonly IReadOnlyList<CsvColumn> _columns;

    private readonly int _headerRecords;

    private CsvResultWriter(CsvWriter csv, TextWriter? text, IReadOnlyList<CsvColumn> columns, int headerRecords)
    {
        _headerRecords = headerRecords;
        _csv = csv;
        _text = text;
        _columns = columns;
    }

    /// <summary>
    /// Starts a file on <paramref name="destination"/> (which the caller keeps owning) with the header row; without
    /// <paramref name="header"/>, rows only and no byte order mark (a part of a file whose start is written elsewhere).
    /// </summary>
    public static CsvResultWriter Create(
        Stream destination, IReadOnlyList<CsvColumn> columns, CsvOutputEncoding encoding = CsvOutputEncoding.Utf8Bom, bool header = true)
    {
        ArgumentOutOfRangeException.ThrowIfZero(columns.Count);
        var options = new CsvWriterOptions
        {
            NewLine = "\r\n",
            Injection = CsvInjection.Escape,
            FormatProvider = CultureInfo.InvariantCulture,
            WriteByteOrderMark = header && encoding == CsvOutputEncoding.Utf8Bom,
        };
        TextWriter? text = null;
        CsvWriter csv;
        if (encoding == CsvOutputEncoding.ShiftJis)
        {
            // CsvHelper writes UTF-8 to streams; for any other encoding it writes UTF-16 text to a TextWriter that encodes it.
            text = new StreamWriter(destination, ShiftJisForOutput, bufferSize: 16 * 1024, leaveOpen: true);
            csv = CsvWriter.Create(text, options, leaveOpen: true);
        }
        else
        {
            csv = CsvWriter.Create(destination, options, leaveOpen: true);
        }
        if (header) csv.WriteHeader(columns.Select(c => c.Name).ToArray());
        return new CsvResultWriter(csv, text, columns, header ? 1 : 0);
    }

    /// <summary>Complete records written so far, the header excluded.</summary>
    public long RowsWritten => _csv.RecordCount - _headerRecords;

    /// <summary>The index of the first cell <paramref name="encoding"/> cannot write as it is, or null (UTF-8 writes everything).</summary>
    public static int? Unwritable(IReadOnlyList<string?> cells, CsvOutputEncoding encoding)
    {
        if (encoding != CsvOutputEncoding.ShiftJis) return null;
        for (var i = 0; i < cells.Count; i++)
        {
            try
            {
                if (cells[i] is { } text) StrictShiftJis.GetByteCount(text);
            }
            catch (EncoderFallbackException)
            {
                return i;
            }
        }
        return null;
    }

    private static Encoding StrictShiftJis { get; } = CodePagesEncodingProvider.Instance.GetEncoding(
        CsvEncoding.ShiftJisCodePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)
        ?? throw new InvalidOperationException("Code page 932 (Shift_JIS) is not available.");

    /// <summary>Writes one row; <paramref name="cells"/> has one value per column, null for an empty cell.</summary>
    public ValueTask WriteRowAsync(IReadOnlyList<string?> cells, CancellationToken cancellationToken = default)
    {
        if (cells.Count != _columns.Count)
        {
            throw new ArgumentException($"A row of this file has {_columns.Count} cells, not {cells.Count}.", nameof(cells));
        }
        for (var i = 0; i < cells.Count; i++)
        {
            WriteCell(cells[i], _columns[i].IsNumeric);
        }
        return _csv.EndRecordAsync(cancellationToken);
    }

    /// <summary>Writes what is buffered to the destination, flushes it, and leaves it open.</summary>
    public async ValueTask DisposeAsync()
    {
        await _csv.DisposeAsync().ConfigureAwait(false);
        if (_text is not null)
        {
            await _text.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void WriteCell(string? value, bool isNumeric)
    {
        // CsvHelper's injection guard applies to text, not to numbers it formats itself: numbers go in as numbers.
        if (isNumeric && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            _csv.WriteField(integer, default);
        }
        else if (isNumeric && decimal.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            _csv.WriteField(number, default);
        }
        else
        {
            _csv.WriteField(value);
        }
    }

    // An export must not fail on one character Shift_JIS lacks, and best-fit mapping would silently write a
    // look-alike; '?' is visibly a substitute. UTF-8, the default, is lossless.
    private static Encoding ShiftJisForOutput { get; } = CodePagesEncodingProvider.Instance.GetEncoding(
        CsvEncoding.ShiftJisCodePage, new EncoderReplacementFallback("?"), DecoderFallback.ExceptionFallback)
        ?? throw new InvalidOperationException("Code page 932 (Shift_JIS) is not available.");
}

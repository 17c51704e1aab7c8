using System.Text;
using CsvHelper;

namespace Points.Functions.Imports.Csv;

/// <summary>
/// An imported CSV file read one row at a time by the common rules of csv.md: encoding detected, a header row
/// whose columns may come in any order under their canonical or Japanese names, unknown columns ignored, CRLF or LF,
/// RFC 4180 quoting, and the limits of <see cref="CsvImportLimits"/>. Memory does not grow with the file: it holds
/// the encoding probe, CsvHelper's buffer (bounded by <see cref="CsvImportLimits.RowBytesMax"/>) and the current row.
/// </summary>
/// <remarks>
/// Row numbering: <see cref="Row"/> is the 1-based number of the data row, the header not counted; rows that are
/// blank are counted too (callers pass over them), so numbers follow the file's layout and are stable for the same
/// content. <see cref="Line"/> is the physical line where the row starts (header = line 1); the two differ once a
/// quoted field holds a line break.
/// Every problem with the file as a whole is thrown as <see cref="CsvFileRejectedException"/>.
/// </remarks>
public sealed class CsvImportFile : IAsyncDisposable
{
    private readonly CsvReader _csv;
    private readonly int[] _fieldIndexByColumn;
    private readonly int _headerFieldCount;
    private readonly long _rowsMax;
    private readonly int _rowBytesMax;

    private CsvImportFile(CsvInputEncoding encoding, CsvReader csv, int[] fieldIndexByColumn, int headerFieldCount, CsvImportLimits limits)
    {
        Encoding = encoding;
        _csv = csv;
        _fieldIndexByColumn = fieldIndexByColumn;
        _headerFieldCount = headerFieldCount;
        _rowsMax = limits.RowsPerFileMax;
        _rowBytesMax = limits.RowBytesMax;
    }

    public CsvInputEncoding Encoding { get; }

    /// <summary>The 1-based data row the file is on (header excluded).</summary>
    public long Row => _csv.RowNumber;

    /// <summary>The 1-based physical line where the current row starts (header = line 1).</summary>
    public long Line => _csv.LineNumber;

    /// <summary>
    /// Opens <paramref name="content"/> and reads its header, matching it against <paramref name="columns"/>;
    /// <see cref="Field"/> then takes an index into <paramref name="columns"/>. The caller keeps owning the stream.
    /// </summary>
    /// <exception cref="CsvFileRejectedException">
    /// The file is empty, has a malformed header, lacks a required column, names one twice, or is in an unsupported encoding.
    /// </exception>
    public static async Task<CsvImportFile> OpenAsync(
        Stream content, IReadOnlyList<CsvColumnName> columns, CsvImportLimits limits, CancellationToken cancellationToken = default)
    {
        var text = await CsvEncoding.OpenAsync(new ByteLimitedStream(content, limits.FileBytesMax), cancellationToken)
            .ConfigureAwait(false);
        var csv = CsvReader.Create(text.Reader, ReaderOptions(limits), leaveOpen: false);
        try
        {
            await ReadHeaderAsync(csv, text.Encoding, limits.RowBytesMax, cancellationToken).ConfigureAwait(false);
            var fieldIndexByColumn = MatchHeader(csv.Headers, columns);
            return new CsvImportFile(text.Encoding, csv, fieldIndexByColumn, csv.Headers.Count, limits);
        }
        catch
        {
            await csv.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Reads every non-blank data row of <paramref name="content"/> (which the caller keeps owning), lazily and in file
    /// order, as <paramref name="check"/> makes of it: the common loop of every import's reader.
    /// </summary>
    /// <exception cref="CsvFileRejectedException">The file as a whole is rejected (thrown during enumeration, possibly after rows).</exception>
    public static async IAsyncEnumerable<T> ReadRowsAsync<T>(Stream content, IReadOnlyList<CsvColumnName> columns, CsvImportLimits limits,
        Func<CsvImportFile, T> check, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var file = await OpenAsync(content, columns, limits, cancellationToken).ConfigureAwait(false);
        await using (file.ConfigureAwait(false))
        {
            while (await file.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!file.IsBlank)
                {
                    yield return check(file);
                }
            }
        }
    }

    /// <summary>Moves to the next data row; false at the end of the file.</summary>
    /// <exception cref="CsvFileRejectedException">Malformed quoting, a row or file too large, too many rows, or bytes invalid in the encoding.</exception>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken = default)
    {
        bool hasRow;
        try
        {
            hasRow = await _csv.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CsvFormatException e)
        {
            throw Malformed(e, _rowBytesMax);
        }
        catch (DecoderFallbackException e)
        {
            throw InvalidEncoding(Encoding, e);
        }
        if (hasRow && Row > _rowsMax)
        {
            throw new CsvFileRejectedException(new CsvFileError(
                CsvFileErrorCodes.TooManyRows,
                $"The file has more than {_rowsMax:N0} data rows, the most one file may hold. Split it into smaller files.",
                Row,
                Line));
        }
        return hasRow;
    }

    /// <summary>
    /// The value of column <paramref name="column"/> (an index into the columns given to <see cref="OpenAsync"/>) in
    /// the current row, with surrounding whitespace removed (full-width spaces too); empty when the file has no such
    /// column or the row is short.
    /// </summary>
    public string Field(int column)
    {
        var index = _fieldIndexByColumn[column];
        return index < 0 || index >= _csv.FieldCount ? string.Empty : (_csv.GetString(index) ?? string.Empty).Trim();
    }

    /// <summary>Whether every field of the current row is empty or whitespace, like the trailing <c>,,,,</c> rows spreadsheets save.</summary>
    public bool IsBlank => AllBlankFrom(0);

    /// <summary>Whether the row has non-empty fields beyond the header's columns: values that belong to no column.</summary>
    public bool HasFieldsBeyondHeader => !AllBlankFrom(_headerFieldCount);

    public ValueTask DisposeAsync() => _csv.DisposeAsync();

    private bool AllBlankFrom(int firstField)
    {
        for (var i = firstField; i < _csv.FieldCount; i++)
        {
            if (!_csv.IsEmpty(i) && !string.IsNullOrWhiteSpace(_csv.GetString(i)))
            {
                return false;
            }
        }
        return true;
    }

    private static CsvReaderOptions ReaderOptions(CsvImportLimits limits) => new()
    {
        Separator = ',',
        DetectSeparatorHint = false,
        HasHeader = true,
        Mode = CsvMode.Rfc4180,
        AllowLineBreaksInQuotes = true,
        // Empty lines are read as blank rows so that they keep their number (see the remarks on row numbering).
        SkipEmptyLines = false,
        MalformedData = CsvMalformedDataHandling.Throw,
        FieldCountMismatch = CsvFieldCountHandling.Allow,
        MissingField = CsvMissingFieldHandling.ReturnEmpty,
        // Trimming is done by Field with .NET's whitespace rules, which include the full-width space.
        TrimWhitespace = false,
        TrackLineNumbers = true,
        MaxRecordSize = limits.RowBytesMax,
        // Values can be personal data; messages of file errors end up in result files and logs.
        IncludeValuesInExceptions = false,
    };

    private static async Task ReadHeaderAsync(
        CsvReader csv, CsvInputEncoding encoding, int rowBytesMax, CancellationToken cancellationToken)
    {
        try
        {
            await csv.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (CsvFormatException e)
        {
            throw Malformed(e, rowBytesMax);
        }
        catch (DecoderFallbackException e)
        {
            throw InvalidEncoding(encoding, e);
        }
    }

    private static int[] MatchHeader(IReadOnlyList<string> header, IReadOnlyList<CsvColumnName> columns)
    {
        if (header.Count == 0)
        {
            throw new CsvFileRejectedException(new CsvFileError(
                CsvFileErrorCodes.EmptyFile, "The file is empty: its first row must be a header naming the columns."));
        }
        var fieldIndexByColumn = new int[columns.Count];
        for (var column = 0; column < columns.Count; column++)
        {
            fieldIndexByColumn[column] = -1;
            for (var field = 0; field < header.Count; field++)
            {
                if (!columns[column].IsNamedBy(header[field]))
                {
                    continue;
                }
                if (fieldIndexByColumn[column] >= 0)
                {
                    throw new CsvFileRejectedException(new CsvFileError(
                        CsvFileErrorCodes.DuplicateColumn,
                        $"The header names column {columns[column]} more than once."));
                }
                fieldIndexByColumn[column] = field;
            }
        }
        var missing = columns.Where((column, i) => column.IsRequired && fieldIndexByColumn[i] < 0).ToList();
        if (missing.Count > 0)
        {
            throw new CsvFileRejectedException(new CsvFileError(
                CsvFileErrorCodes.MissingColumn,
                $"The header lacks required column{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}."));
        }
        return fieldIndexByColumn;
    }

    private static CsvFileRejectedException Malformed(CsvFormatException e, int rowBytesMax)
    {
        // CsvHelper counts the header as record 1; our rows are data rows. Its message names the problem without values.
        long? row = e.RecordNumber > 1 ? e.RecordNumber - 1 : null;
        long? line = e.LineNumber > 0 ? e.LineNumber : null;
        var where = row is null ? "The header row" : $"Row {row} (line {line})";
        // CsvHelper's own message counts the header as a record and names its settings: say it in the admin's terms.
        var why = e.Message.Contains("MaxRecordSize", StringComparison.Ordinal)
            ? $"is longer than {rowBytesMax:N0} bytes, the most one row may hold (a quote that is never closed makes a row run on)."
            : $"is not valid CSV ({CauseOf(e.Message)}): quote a value that holds a comma, a quote or a line break, and double the quotes inside it.";
        return new CsvFileRejectedException(new CsvFileError(CsvFileErrorCodes.MalformedCsv, $"{where} {why}", row, line), e);
    }

    /// <summary>The cause in CsvHelper's message ("Malformed CSV in record 2 (line 2): a quoted field that is never closed (byte offset 80).").</summary>
    private static string CauseOf(string message)
    {
        var start = message.IndexOf("): ", StringComparison.Ordinal);
        if (start < 0) return "broken quoting";
        var cause = message[(start + 3)..];
        var end = cause.IndexOf(" (byte offset", StringComparison.Ordinal);
        return (end >= 0 ? cause[..end] : cause).TrimEnd('.');
    }

    private static CsvFileRejectedException InvalidEncoding(CsvInputEncoding encoding, DecoderFallbackException e) =>
        // The decoder runs ahead of the rows by its buffer, so the row is not known precisely.
        new(
            new CsvFileError(
                CsvFileErrorCodes.InvalidEncoding,
                $"The file started as {Describe(encoding)} but contains bytes that are not valid {Describe(encoding)} "
                + "further on (mixed encodings?). Save the whole file as UTF-8 or Shift_JIS."),
            e);

    private static string Describe(CsvInputEncoding encoding) => encoding switch
    {
        CsvInputEncoding.ShiftJis => "Shift_JIS",
        _ => "UTF-8",
    };
}

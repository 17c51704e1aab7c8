namespace Points.Functions.Imports.Csv;

/// <summary>
/// Why a whole file is rejected: nothing in it is applied, and its result file says why.
/// </summary>
/// <param name="Code">One of <see cref="CsvFileErrorCodes"/>.</param>
/// <param name="Message">For the admin who dropped the file; never contains field values.</param>
/// <param name="Row">The 1-based data row (header excluded) where the problem was found, or null when it concerns the header or the file as a whole.</param>
/// <param name="Line">The 1-based physical line (header = line 1) where that row starts, when known.</param>
public sealed record CsvFileError(string Code, string Message, long? Row = null, long? Line = null);

/// <summary>The stable codes of <see cref="CsvFileError"/>.</summary>
public static class CsvFileErrorCodes
{
    /// <summary>No header row: the file is empty.</summary>
    public const string EmptyFile = "empty_file";
    /// <summary>A header and no data rows (blank rows aside): nothing to apply, most likely the wrong file.</summary>
    public const string NoRows = "no_rows";
    /// <summary>A required column is not in the header.</summary>
    public const string MissingColumn = "missing_column";
    /// <summary>A column appears twice (e.g. both <c>member_id</c> and <c>会員ID</c>), so which one counts is ambiguous.</summary>
    public const string DuplicateColumn = "duplicate_column";
    /// <summary>More than <see cref="CsvImportLimits.FileBytesMax"/> bytes.</summary>
    public const string FileTooLarge = "file_too_large";
    /// <summary>More than <see cref="CsvImportLimits.RowsPerFileMax"/> data rows.</summary>
    public const string TooManyRows = "too_many_rows";
    /// <summary>Broken quoting, or a row longer than <see cref="CsvImportLimits.RowBytesMax"/>.</summary>
    public const string MalformedCsv = "malformed_csv";
    /// <summary>Bytes that are not valid in the detected encoding (e.g. Shift_JIS after a UTF-8 start).</summary>
    public const string InvalidEncoding = "invalid_encoding";
    /// <summary>An encoding other than UTF-8 or Shift_JIS, recognised by its byte order mark (UTF-16).</summary>
    public const string UnsupportedEncoding = "unsupported_encoding";
}

/// <summary>
/// Thrown while a CSV file is opened or read when the file as a whole must be rejected. It is the only exception that
/// means "the file is bad": callers catch exactly this type, write <see cref="Error"/> to the result file and apply
/// nothing. Anything else thrown while reading (storage outages, cancellation) is not about the file and propagates.
/// </summary>
/// <remarks>
/// An exception rather than a returned result because these problems surface part-way through a lazily read stream
/// (a bad quote at row 800,000, the byte limit at 100 MiB); a result type would make every row consumer check for it.
/// </remarks>
public sealed class CsvFileRejectedException(CsvFileError error, Exception? innerException = null)
    : Exception(error.Message, innerException)
{
    public CsvFileError Error { get; } = error;
}

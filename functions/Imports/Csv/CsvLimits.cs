namespace Points.Functions.Imports.Csv;

/// <summary>The limits on every imported CSV file (csv.md). Exceeding one rejects the whole file.</summary>
public static class CsvLimits
{
    /// <summary>100 MiB of file content, counted in bytes as they are read (a byte order mark included).</summary>
    public const long FileBytesMax = 100L * 1024 * 1024;

    /// <summary>Data rows per file, header excluded.</summary>
    public const long RowsPerFileMax = 1_000_000;

    /// <summary>
    /// One row, in bytes of UTF-8 text. CsvHelper 34 bounds records rather than fields: this is what stops a giant
    /// field, or an unclosed quote that would swallow the rest of the file, from growing the read buffer. A real
    /// adjustment row is a few hundred bytes; 64 KiB leaves room for extra columns that are ignored.
    /// </summary>
    public const int RowBytesMax = 64 * 1024;

    /// <summary>How much of the start of a file the encoding is detected from.</summary>
    public const int EncodingProbeBytesMax = 64 * 1024;
}

/// <summary>The limits one import applies; <see cref="Default"/> everywhere except tests, which lower them.</summary>
public sealed record CsvImportLimits(
    long FileBytesMax = CsvLimits.FileBytesMax,
    long RowsPerFileMax = CsvLimits.RowsPerFileMax,
    int RowBytesMax = CsvLimits.RowBytesMax)
{
    public static CsvImportLimits Default { get; } = new();
}

namespace Points.Functions.Imports.Csv;

/// <summary>One problem with one field of a data row. A row reports every problem it has, not only the first.</summary>
/// <param name="Field">The canonical column name (e.g. <c>points</c>), or <c>row</c> for the row as a whole.</param>
/// <param name="Code">One of <see cref="CsvRowErrorCodes"/>.</param>
/// <param name="Message">For the admin; names the rule, never echoes the value.</param>
public sealed record CsvRowError(string Field, string Code, string Message);

/// <summary>The checks every import's rows share.</summary>
public static class CsvRowChecks
{
    /// <summary>The problem with a <c>member_id</c> cell, or null.</summary>
    public static CsvRowError? MemberId(string value) => value.Length == 0
        ? new("member_id", CsvRowErrorCodes.Required, "member_id is required.")
        : Points.Domain.Primitives.MemberId.IsWellFormed(value) ? null
        : new("member_id", CsvRowErrorCodes.InvalidMemberId,
            $"member_id must be 1–{Points.Domain.Primitives.MemberId.LengthMax} characters of A–Z, a–z, 0–9, '.', '_' or '-'.");

    /// <summary>The dates a cell may hold.</summary>
    public static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy/MM/dd"];

    /// <summary>The cell's text, or null when it is empty.</summary>
    public static string? Optional(CsvImportFile file, int column) => file.Field(column) is { Length: > 0 } text ? text : null;

    /// <summary>The date in the cell (yyyy-MM-dd or yyyy/MM/dd), or null when it is empty; a cell that is not a date adds its error.</summary>
    public static DateOnly? Date(CsvImportFile file, int column, string name, List<CsvRowError> errors)
    {
        if (Optional(file, column) is not { } text) return null;
        if (DateOnly.TryParseExact(text, DateFormats, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date)) return date;
        errors.Add(new CsvRowError(name, CsvRowErrorCodes.InvalidDate, $"{name} must be a date written yyyy-MM-dd or yyyy/MM/dd."));
        return null;
    }

    /// <summary>The problem of a row with values beyond the header's columns, or null.</summary>
    public static CsvRowError? ExtraFields(CsvImportFile file) => file.HasFieldsBeyondHeader
        ? new("row", CsvRowErrorCodes.TooManyFields, "The row has values beyond the header's columns; quote values that contain commas.")
        : null;
}

/// <summary>The stable codes of <see cref="CsvRowError"/>, in the order a row's fields are checked.</summary>
public static class CsvRowErrorCodes
{
    public const string Required = "required";
    public const string InvalidMemberId = "invalid_member_id";
    public const string InvalidPoints = "invalid_points";
    public const string InvalidKind = "invalid_kind";
    public const string InvalidDate = "invalid_date";
    public const string ExpiryRequired = "expiry_required";
    public const string ExpiryNotAllowed = "expiry_not_allowed";
    public const string InvalidReason = "invalid_reason";
    public const string InvalidIdempotencyKey = "invalid_idempotency_key";
    /// <summary>An earlier row of the same file has the same idempotency key with different content: one of them would be refused.</summary>
    public const string IdempotencyKeyReused = "idempotency_key_reused";
    /// <summary>The row has values in fields beyond the header's columns: most likely an unquoted comma that shifted them.</summary>
    public const string TooManyFields = "too_many_fields";
}

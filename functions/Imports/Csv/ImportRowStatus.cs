namespace Points.Functions.Imports.Csv;

/// <summary>The status of a row in the result file of any CSV import (csv.md).</summary>
public static class ImportRowStatus
{
    public const string Applied = "applied";
    /// <summary>The row's idempotency key was applied before (the same file dropped again): nothing new happened.</summary>
    public const string Duplicate = "duplicate";
    /// <summary>Valid, but the ledger refused it at apply time (e.g. insufficient points, a withdrawal in another state); the other rows still applied.</summary>
    public const string Rejected = "rejected";
    /// <summary>Failed the format checks; a file with any invalid row applies nothing.</summary>
    public const string Invalid = "invalid";
}

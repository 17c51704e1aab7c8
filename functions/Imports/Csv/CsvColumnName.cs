using System.Text;

namespace Points.Functions.Imports.Csv;

/// <summary>A column an import understands: its canonical name, the Japanese alias also accepted, and whether the file must have it.</summary>
public sealed record CsvColumnName(string Name, string JapaneseAlias, bool IsRequired)
{
    /// <summary>How the admin sees the column in messages: <c>member_id [会員ID]</c>, as csv.md writes it.</summary>
    public override string ToString() => $"{Name} [{JapaneseAlias}]";

    /// <summary>
    /// Whether a header cell names this column: surrounding whitespace ignored, case ignored, and width folded (NFKC),
    /// so <c> Member_ID </c> and <c>会員ＩＤ</c> written with full-width letters both match.
    /// </summary>
    public bool IsNamedBy(string headerCell)
    {
        var name = headerCell.Trim().Normalize(NormalizationForm.FormKC);
        return name.Equals(Name, StringComparison.OrdinalIgnoreCase)
            || name.Equals(JapaneseAlias.Normalize(NormalizationForm.FormKC), StringComparison.OrdinalIgnoreCase);
    }
}

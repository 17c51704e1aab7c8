using System.Globalization;
using System.Text;

namespace Points.Benchmarks.Infrastructure;

/// <summary>
/// One line of the report. <see cref="Value"/> is null when the figure could not be measured (the feature is not built
/// yet, or the scenario failed); <see cref="Note"/> then says why. <see cref="Met"/> is null for context figures that
/// have no target.
/// </summary>
public sealed record Figure(
    string Scenario,
    string Name,
    double? Value,
    string Unit,
    string? Target = null,
    bool? Met = null,
    string? Note = null)
{
    public static Figure NotAvailable(string scenario, string name, string unit, string? target, string reason) =>
        new(scenario, name, null, unit, target, null, reason);

    /// <summary>A figure with a "value ≥ target" goal.</summary>
    public static Figure AtLeast(string scenario, string name, double value, string unit, double target, string? note = null) =>
        new(scenario, name, value, unit, "≥ " + Format(target, unit), value >= target, note);

    /// <summary>A figure with a "value ≤ target" goal.</summary>
    public static Figure AtMost(string scenario, string name, double value, string unit, double target, string? note = null) =>
        new(scenario, name, value, unit, "≤ " + Format(target, unit), value <= target, note);

    /// <summary>A figure with a "value &lt; target" goal.</summary>
    public static Figure Below(string scenario, string name, double value, string unit, double target, string? note = null) =>
        new(scenario, name, value, unit, "< " + Format(target, unit), value < target, note);

    /// <summary>A correctness check: the value is what was counted, the target what it must equal.</summary>
    public static Figure Exactly(string scenario, string name, double value, string unit, double expected, string? note = null) =>
        new(scenario, name, value, unit, "= " + Format(expected, unit), Math.Abs(value - expected) < 1e-9, note);

    /// <summary>A scenario that did not complete: a missed "completes" target, with what happened.</summary>
    public static Figure ScenarioFailed(int number, string title, string note) =>
        new($"{number} {title}", "scenario failed", null, "", "completes", false, note);

    public static Figure Context(string scenario, string name, double value, string unit, string? note = null) =>
        new(scenario, name, value, unit, null, null, note);

    public string ValueText => Value is { } v ? Format(v, Unit) : "n/a";

    public string MetText => Met switch { true => "yes", false => "NO", null => Value is null && Target is not null ? "—" : "" };

    public static string Format(double value, string unit)
    {
        var number = unit switch
        {
            "ratio" or "×" => value.ToString("0.00", CultureInfo.InvariantCulture),
            "ms" or "s" or "µs" or "ns" => value >= 100 ? value.ToString("#,0", CultureInfo.InvariantCulture) : value.ToString("0.00", CultureInfo.InvariantCulture),
            "MiB" or "KiB" => value.ToString("#,0.0", CultureInfo.InvariantCulture),
            _ when Math.Abs(value - Math.Round(value)) < 1e-9 => value.ToString("#,0", CultureInfo.InvariantCulture),
            _ when Math.Abs(value) >= 100 => value.ToString("#,0", CultureInfo.InvariantCulture),
            _ => value.ToString("0.00", CultureInfo.InvariantCulture),
        };
        return unit is "ratio" or "" ? number : $"{number} {unit}";
    }
}

/// <summary>Renders figures as a plain-text table (and as Markdown for the README).</summary>
public static class FigureTable
{
    private static readonly string[] Headers = ["scenario", "figure", "value", "target", "met?"];

    public static string Render(IReadOnlyList<Figure> figures, bool markdown)
    {
        var rows = figures.Select(f => new[] { f.Scenario, f.Name, f.ValueText, f.Target ?? "", f.MetText }).ToList();
        var notes = figures.Select(f => f.Note).ToList();
        var text = new StringBuilder();
        if (markdown)
        {
            text.AppendLine("| " + string.Join(" | ", Headers) + " | note |");
            text.AppendLine("| " + string.Join(" | ", Headers.Append("note").Select(_ => "---")) + " |");
            for (var i = 0; i < rows.Count; i++)
            {
                text.AppendLine("| " + string.Join(" | ", rows[i].Append(notes[i] ?? "").Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
            }
            return text.ToString();
        }
        var widths = Enumerable.Range(0, Headers.Length).Select(c => Math.Max(Headers[c].Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length))).ToArray();
        string Line(IReadOnlyList<string> cells) =>
            string.Join("  ", cells.Select((c, i) => i == 2 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd();
        text.AppendLine(Line(Headers));
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        string? previous = null;
        for (var i = 0; i < rows.Count; i++)
        {
            if (previous is not null && previous != rows[i][0]) text.AppendLine();
            previous = rows[i][0];
            text.AppendLine(Line(rows[i]));
            if (notes[i] is { Length: > 0 } note) text.AppendLine(new string(' ', widths[0] + 4) + "↳ " + note);
        }
        return text.ToString();
    }
}

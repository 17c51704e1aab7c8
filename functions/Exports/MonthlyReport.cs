using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Specialized;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Imports.Csv;
using Points.Functions.Ledger;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Exports;

/// <summary>
/// The monthly report (F30, seed 002): points issued, used, expired, purchased and withdrawn by day and by area, members
/// by rank, and what is owed by kind — summed by the export scan's pages (as counts named <c>report|…</c>), then written
/// as a self-contained HTML page (tables and inline SVG bar charts, no script, no CDN) and the same numbers as CSV.
/// </summary>
public static class MonthlyReport
{
    public const string Prefix = "report|";
    public static readonly IReadOnlyList<string> Categories = ["issued", "used", "expired", "purchased", "withdrawn"];
    public static readonly IReadOnlyList<CsvColumn> Columns = [new("section"), new("key"), new("category"), new("points", true)];

    /// <summary>The category of an entry's points in the report, or null (holds, releases, extensions, pending promises).</summary>
    public static string? CategoryOf(JournalEntry entry) => entry.Type switch
    {
        _ when entry.Pending => null,
        EntryType.Earn or EntryType.Activate => "issued",
        EntryType.Adjust when entry.Points.IsPositive => "issued",
        EntryType.Spend => "used",
        EntryType.Expire or EntryType.Invalidate => "expired",
        EntryType.Purchase => "purchased",
        EntryType.Withdraw => "withdrawn",
        _ => null,
    };

    /// <summary>What one document adds to the report of the export's period.</summary>
    public static IEnumerable<(string Key, long Points)> SumsOf(JsonElement document, ExportDocument export, ProgramSettings settings, DateOnly today)
    {
        var type = document.TryGetProperty("docType", out var t) ? t.GetString() : null;
        var entries = type switch
        {
            AccountDocument.Type => document.GetProperty("journal").Deserialize<ImmutableArray<JournalEntry>>(JsonDefaults.Options),
            JournalPageDocument.Type => document.GetProperty("entries").Deserialize<ImmutableArray<JournalEntry>>(JsonDefaults.Options),
            _ => [],
        };
        foreach (var entry in entries)
        {
            var day = ProgramCalendar.DateOf(entry.OccurredAt, settings.Zone);
            if ((export.From is { } from && day < from) || (export.To is { } to && day > to) || CategoryOf(entry) is not { } category) continue;
            var points = Math.Abs(entry.Points.Value);
            yield return ($"{Prefix}day|{CalendarText.DayOf(day)}|{category}", points);
            yield return ($"{Prefix}area|{Stores.StoreHierarchy.AreaOf(settings.Stores, entry.StoreId) ?? "(none)"}|{category}", points);
        }
        if (type == AccountDocument.Type && document.TryGetProperty("member", out var json) && json.Deserialize<Member>(JsonDefaults.Options) is { } member)
        {
            yield return ($"{Prefix}rank|{member.Earning.Rank}|members", 1);
            foreach (var kind in member.Ledger.Lots.Where(l => !l.IsDueOn(today)).GroupBy(l => l.Kind))
                yield return ($"{Prefix}owed|{JsonNamingPolicy.CamelCase.ConvertName(kind.Key.ToString())}|points", kind.Sum(l => l.Remaining.Value));
        }
    }

    /// <summary>The report's lines from the scan's totals: (section, key, category, points), in a stable order.</summary>
    public static List<(string Section, string Key, string Category, long Points)> Lines(IReadOnlyDictionary<string, long> sums) =>
        [.. sums.Where(t => t.Key.StartsWith(Prefix, StringComparison.Ordinal))
            .Select(t => t.Key[Prefix.Length..].Split('|') is [var section, var key, var category] ? (section, key, category, t.Value) : throw new FormatException(t.Key))
            .OrderBy(l => l.section, StringComparer.Ordinal).ThenBy(l => l.key, StringComparer.Ordinal).ThenBy(l => l.category, StringComparer.Ordinal)];

    /// <summary>Months of the liability trend: this one and the eleven before.</summary>
    public const int TrendMonths = 12;

    public static string MonthlyBlobOf(DateOnly month) => $"reports/{CalendarText.MonthOf(month)}.csv";

    /// <summary>
    /// Writes <c>{blob}.csv</c> (the numbers) and <c>{blob}.html</c> (the page) from the totals, with the liability trend:
    /// what was owed at the end of each of the months before, as their monthly reports said, and now.
    /// </summary>
    public static async Task WriteAsync(BlobStorage blobs, ExportDocument export, IReadOnlyDictionary<string, long> totals, CancellationToken cancellationToken)
    {
        var lines = Lines(totals);
        var container = blobs.Container(BlobContainers.Exports);
        if (export.From is { } from)
        {
            var owedNow = lines.Where(l => l.Section == "owed").Sum(l => l.Points);
            var trend = new List<(string Section, string Key, string Category, long Points)> { ("trend", CalendarText.MonthOf(from), "owed", owedNow) };
            for (var month = from.AddMonths(-1); month > from.AddMonths(-TrendMonths); month = month.AddMonths(-1))
            {
                var earlier = container.GetBlobClient(MonthlyBlobOf(month));
                if (!await earlier.ExistsAsync(cancellationToken)) continue;
                var text = (await earlier.DownloadContentAsync(cancellationToken)).Value.Content.ToString();
                var owed = text.Split("\r\n").Select(l => l.Split(',')).Where(c => c.Length == 4 && c[0] == "owed")
                    .Sum(c => long.TryParse(c[3], CultureInfo.InvariantCulture, out var points) ? points : 0);
                trend.Add(("trend", CalendarText.MonthOf(month), "owed", owed));
            }
            lines.AddRange(trend.OrderBy(t => t.Key, StringComparer.Ordinal));
        }
        await using (var output = new StagedBlockBlobStream(container.GetBlockBlobClient(export.BlobName)))
        {
            await using (var csv = CsvResultWriter.Create(output, Columns, export.Encoding))
            {
                foreach (var (section, key, category, points) in lines)
                    await csv.WriteRowAsync([section, key, category, points.ToString(CultureInfo.InvariantCulture)], cancellationToken);
            }
            await output.CommitAsync(cancellationToken);
        }
        await using (var page = new StagedBlockBlobStream(container.GetBlockBlobClient(HtmlOf(export.BlobName))))
        {
            var html = Encoding.UTF8.GetBytes(Html(export, lines));
            await page.WriteAsync(html, cancellationToken);
            await page.CommitAsync(cancellationToken);
        }
    }

    public static string HtmlOf(string csvBlobName) => csvBlobName[..^4] + ".html";

    private static string Html(ExportDocument export, List<(string Section, string Key, string Category, long Points)> lines)
    {
        var title = $"Points report {export.From:yyyy-MM-dd} – {export.To:yyyy-MM-dd}";
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>")
            .Append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:.2em .6em;text-align:right}")
            .Append("th:first-child,td:first-child{text-align:left}svg{display:block;margin:.5em 0}</style></head><body>")
            .Append("<h1>").Append(E(title)).Append("</h1>");
        var days = lines.Where(l => l.Section == "day").ToList();
        // Every day of the period gets its place on the axis, so a quiet day shows as a gap, not as a missing column.
        var period = export.From is { } from && export.To is { } to
            ? Enumerable.Range(0, to.DayNumber - from.DayNumber + 1).Select(d => CalendarText.DayOf(from.AddDays(d))).ToList()
            : [.. days.Select(d => d.Key).Distinct().Order(StringComparer.Ordinal)];
        foreach (var category in Categories)
        {
            var points = days.Where(d => d.Category == category).ToDictionary(d => d.Key, d => d.Points, StringComparer.Ordinal);
            html.Append("<h2>").Append(category).Append(" by day</h2>")
                .Append(Chart(category, [.. period.Select(day => (day, points.GetValueOrDefault(day)))], day => day[5..]));
        }
        Table(html, "By day", "day", days);
        Table(html, "By area", "area", lines.Where(l => l.Section == "area").ToList());
        Table(html, "Members by rank", "rank", lines.Where(l => l.Section == "rank").ToList());
        Table(html, "Owed (points in open lots, by kind)", "owed", lines.Where(l => l.Section == "owed").ToList());
        var trend = lines.Where(l => l.Section == "trend").ToList();
        html.Append("<h2>Liability trend</h2>").Append(Chart("trend", [.. trend.Select(t => (t.Key, t.Points))], month => month));
        Table(html, "Owed at each month's report", "trend", trend);
        return html.Append("</body></html>").ToString();
    }

    /// <summary>
    /// A bar chart as inline SVG: one bar per key (a day, a month) in order, its height proportional to the points, the
    /// largest value written at the top as the scale, and about six keys labelled under the axis.
    /// </summary>
    private static string Chart(string category, List<(string Key, long Points)> bars, Func<string, string> label)
    {
        const int width = 640, height = 180, top = 18, bottom = 20;
        const int plot = height - top - bottom;
        var max = bars.Count == 0 ? 0 : bars.Max(b => b.Points);
        var svg = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" data-category=\"{category}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{category}: at most {max:N0} pt\" font-family=\"sans-serif\" font-size=\"11\">");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"0\" y1=\"{top + plot}\" x2=\"{width}\" y2=\"{top + plot}\" stroke=\"#999\"/>")
            .Append(CultureInfo.InvariantCulture, $"<text x=\"2\" y=\"12\" fill=\"#555\">{(max == 0 ? "no points in this period" : $"{max:N0} pt")}</text>");
        var step = (double)width / Math.Max(1, bars.Count);
        var labelEvery = Math.Max(1, (int)Math.Ceiling(bars.Count / 6.0));
        for (var i = 0; i < bars.Count; i++)
        {
            var h = max == 0 ? 0 : (int)(bars[i].Points * plot / max);
            var x = i * step;
            svg.Append(CultureInfo.InvariantCulture, $"<rect data-day=\"{bars[i].Key}\" data-points=\"{bars[i].Points}\" x=\"{x + 0.5:0.##}\" y=\"{top + plot - h}\" width=\"{Math.Max(1, step - 1):0.##}\" height=\"{h}\" fill=\"#4a78b5\"><title>{bars[i].Key}: {bars[i].Points:N0} pt</title></rect>");
            if (i % labelEvery == 0)
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 0.5:0.##}\" y=\"{height - 5}\" fill=\"#555\">{E(label(bars[i].Key))}</text>");
        }
        return svg.Append("</svg>").ToString();
    }

    private static void Table(StringBuilder html, string caption, string section, List<(string Section, string Key, string Category, long Points)> rows)
    {
        html.Append("<table data-section=\"").Append(section).Append("\"><caption>").Append(E(caption)).Append("</caption><tr><th>")
            .Append(section).Append("</th><th>category</th><th>points</th></tr>");
        foreach (var row in rows)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(row.Key)}</td><td>{E(row.Category)}</td><td data-points=\"{row.Points}\">{row.Points:N0}</td></tr>");
        html.Append("</table>");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}

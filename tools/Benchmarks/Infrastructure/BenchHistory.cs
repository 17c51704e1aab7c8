using System.Text.Json;
using System.Text.Json.Nodes;

namespace Points.Benchmarks.Infrastructure;

/// <summary>
/// The last runs' figures, kept in <c>artifacts/bench/latest.json</c> under <c>history</c> (newest first, at most
/// <see cref="RunsKept"/>), so that a run can say how each figure moved since the last run that measured it — a
/// regression shows as a target no longer met, or a figure that moved more than <see cref="NoticeableChange"/>.
/// </summary>
public static class BenchHistory
{
    public const int RunsKept = 20;
    public const double NoticeableChange = 0.15;

    /// <summary>
    /// One past run: when, on what commit, sizes, the Cosmos latency injected (runs before it was an option: none), and
    /// each figure's value and whether it met its target, by "scenario / name".
    /// </summary>
    public sealed record Run(DateTimeOffset Date, string Machine, bool Quick, Dictionary<string, double?> Values, Dictionary<string, bool?> Met,
        int CosmosLatencyMs = 0);

    public static Run Of(DateTimeOffset date, string machine, bool quick, int cosmosLatencyMs, IReadOnlyList<Figure> figures) =>
        new(date, machine, quick,
            figures.GroupBy(Key).ToDictionary(g => g.Key, g => g.First().Value),
            figures.GroupBy(Key).ToDictionary(g => g.Key, g => g.First().Met), cosmosLatencyMs);

    private static string Key(Figure f) => $"{f.Scenario} / {f.Name}";

    /// <summary>The runs kept in the previous <c>latest.json</c>: its own run first, then its history.</summary>
    public static List<Run> Read(string latestJson, JsonSerializerOptions options)
    {
        if (!File.Exists(latestJson)) return [];
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(latestJson));
            var runs = node?["history"]?.Deserialize<List<Run>>(options) ?? [];
            if (node?["run"]?.Deserialize<Run>(options) is { } last) runs.Insert(0, last);
            return runs;
        }
        catch (JsonException)
        {
            return []; // a file from before the history was kept, or edited by hand: start again
        }
    }

    /// <summary>How this run's figures moved against the last run (of the same sizes and latency) that had each; lines for the console.</summary>
    public static IEnumerable<string> Changes(Run now, IReadOnlyList<Run> before)
    {
        foreach (var (key, value) in now.Values)
        {
            var last = before.FirstOrDefault(r => r.Quick == now.Quick && r.CosmosLatencyMs == now.CosmosLatencyMs && r.Values.TryGetValue(key, out var v) && v is not null);
            if (last is null || value is not { } current || last.Values[key] is not { } previous) continue;
            var lostTarget = last.Met.GetValueOrDefault(key) == true && now.Met.GetValueOrDefault(key) == false;
            var change = previous == 0 ? 0 : (current - previous) / Math.Abs(previous);
            if (lostTarget || Math.Abs(change) > NoticeableChange)
                yield return $"{(lostTarget ? "REGRESSION" : "changed")}  {key}: {previous:0.###} ({last.Date:yyyy-MM-dd HH:mm}) → {current:0.###} ({change:+0%;-0%})";
        }
    }
}

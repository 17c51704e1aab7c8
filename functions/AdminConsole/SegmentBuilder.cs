using System.Globalization;
using System.Text.Json.Nodes;

namespace Points.Functions.AdminConsole;

/// <summary>
/// The segment builder of the special points page, without script: up to <see cref="RowsMax"/> conditions, each one
/// negatable (Not), joined by And or Or; what it builds is the segment JSON the API takes (SegmentJson), so it is
/// checked by the same parser. Deeper trees are written as JSON in the same form.
/// </summary>
public static class SegmentBuilder
{
    public const int RowsMax = 4;

    /// <summary>The conditions a row offers: (value, Japanese, English, what the value is).</summary>
    public static readonly IReadOnlyList<(string Value, string Ja, string En)> Conditions =
    [
        ("", "（使わない）", "(unused)"),
        ("purchaseCountMin", "購入回数が次以上", "Purchases at least"),
        ("purchaseAmountMin", "購入金額（円）が次以上", "Purchase amount (yen) at least"),
        ("purchasedSku", "次のSKUを購入", "Bought the SKU"),
        ("rank", "ランクが次", "Rank is"),
        ("tag", "タグを持つ", "Has the tag"),
        ("store", "店舗が次", "Store is"),
        ("joinedFrom", "次の日以降に入会", "Joined on or after (yyyy-MM-dd)"),
        ("birthMonth", "誕生月が次", "Birth month is"),
    ];

    public sealed class Row
    {
        public string? Condition { get; set; }
        public string? Value { get; set; }
        public string? Not { get; set; }
    }

    /// <summary>The segment of the rows (all members when none is used); errors by field (<c>row{n}</c>).</summary>
    public static JsonNode Build(string? join, IReadOnlyList<Row> rows, Dictionary<string, string[]> errors)
    {
        var nodes = new List<JsonNode>();
        for (var i = 0; i < Math.Min(rows.Count, RowsMax); i++)
        {
            var row = rows[i];
            if (string.IsNullOrEmpty(row.Condition)) continue;
            var value = row.Value?.Trim() ?? "";
            long? number = ConsoleForms.Integer(value);
            JsonNode? node = row.Condition switch
            {
                "purchaseCountMin" when number is >= 0 => new JsonObject { ["type"] = "purchaseCount", ["min"] = number },
                "purchaseAmountMin" when number is >= 0 => new JsonObject { ["type"] = "purchaseAmount", ["min"] = number },
                "purchasedSku" when value.Length > 0 => new JsonObject { ["type"] = "purchasedSkus", ["skus"] = new JsonArray(value) },
                "rank" when value.Length > 0 => new JsonObject { ["type"] = "member", ["rank"] = value },
                "tag" when value.Length > 0 => new JsonObject { ["type"] = "member", ["tags"] = new JsonArray(value) },
                "store" when value.Length > 0 => new JsonObject { ["type"] = "member", ["store"] = value },
                "joinedFrom" when ConsoleForms.Date(value) is { } day => new JsonObject { ["type"] = "member", ["joinedFrom"] = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
                "birthMonth" when number is >= 1 and <= 12 => new JsonObject { ["type"] = "member", ["birthMonth"] = number },
                _ => null,
            };
            if (node is null)
            {
                errors[$"row{i}"] = ["?"]; // the page words it (it knows the language)
                continue;
            }
            nodes.Add(row.Not == "true" ? new JsonObject { ["type"] = "not", ["of"] = node } : node);
        }
        return nodes.Count switch
        {
            0 => new JsonObject { ["type"] = "all" },
            1 => nodes[0],
            _ => new JsonObject { ["type"] = join == "or" ? "or" : "and", ["of"] = new JsonArray([.. nodes]) },
        };
    }
}

using System.Collections.Immutable;
using System.Text.Json;
using Points.Domain.Primitives;
using Points.Domain.SpecialPoints;
using Points.Functions.Api;

namespace Points.Functions.SpecialPoints;

/// <summary>
/// A segment as JSON: <c>{ "type": "and" | "or", "of": [ … ] }</c>, <c>{ "type": "not", "of": { … } }</c>,
/// <c>{ "type": "all" }</c>, <c>{ "type": "purchaseCount" | "purchaseAmount", "from"?, "to"?, "min"?, "max"? }</c>,
/// <c>{ "type": "purchasedSkus", "skus": [ … ], "from"?, "to"? }</c> and <c>{ "type": "member", "rank"?, "tags"?,
/// "birthMonth"?, "joinedFrom"?, "joinedTo"?, "store"?, "newsletter"?, "ageMin"?, "ageMax"? }</c>. Dates are
/// <c>yyyy-MM-dd</c> (program zone, inclusive). Every problem is reported under the path of its node
/// (<c>segment.of[1].min</c>), and an unknown property is a problem too.
/// </summary>
public static class SegmentJson
{
    public const int SkuLengthMax = 64;
    public const int NameLengthMax = 64;

    private static readonly IReadOnlyDictionary<string, string[]> Properties = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["all"] = [],
        ["and"] = ["of"],
        ["or"] = ["of"],
        ["not"] = ["of"],
        ["purchaseCount"] = ["from", "to", "min", "max"],
        ["purchaseAmount"] = ["from", "to", "min", "max"],
        ["purchasedSkus"] = ["skus", "from", "to"],
        ["member"] = ["rank", "tags", "birthMonth", "joinedFrom", "joinedTo", "store", "newsletter", "ageMin", "ageMax"],
    };

    /// <summary>The segment, or null with the problems in <paramref name="errors"/>.</summary>
    public static Segment? Parse(JsonElement json, string path, Dictionary<string, string[]> errors)
    {
        var nodes = 0;
        var segment = Node(json, path, errors, ref nodes);
        if (nodes > Segment.NodesMax) errors[path] = [$"At most {Segment.NodesMax} nodes; this segment has {nodes}."];
        return errors.Count == 0 ? segment : null;
    }

    private static Segment? Node(JsonElement json, string path, Dictionary<string, string[]> errors, ref int nodes)
    {
        if (++nodes > Segment.NodesMax) return null; // reported once, by Parse
        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("type", out var typeProperty) || typeProperty.ValueKind != JsonValueKind.String
            || !Properties.TryGetValue(typeProperty.GetString()!, out var allowed))
        {
            errors[path] = [$"A node {{ \"type\": {string.Join(" | ", Properties.Keys)}, … }}."];
            return null;
        }
        var type = typeProperty.GetString()!;
        foreach (var property in json.EnumerateObject().Where(p => p.Name != "type" && !allowed.Contains(p.Name)))
        {
            errors[$"{path}.{property.Name}"] = [$"Not a property of a {type} node ({(allowed.Length == 0 ? "it has none" : string.Join(", ", allowed))})."];
        }
        var reader = new NodeReader(json, path, errors);
        switch (type)
        {
            case "all":
                return new Segment.All();
            case "and" or "or":
                if (!json.TryGetProperty("of", out var list) || list.ValueKind != JsonValueKind.Array)
                {
                    errors[$"{path}.of"] = ["A list of nodes."];
                    return null;
                }
                var children = new List<Segment?>();
                var index = 0;
                foreach (var child in list.EnumerateArray()) children.Add(Node(child, $"{path}.of[{index++}]", errors, ref nodes));
                if (children.Any(c => c is null)) return null;
                return type == "and" ? new Segment.And([.. children!]) : new Segment.Or([.. children!]);
            case "not":
                if (!json.TryGetProperty("of", out var inner))
                {
                    errors[$"{path}.of"] = ["One node."];
                    return null;
                }
                return Node(inner, $"{path}.of", errors, ref nodes) is { } negated ? new Segment.Not(negated) : null;
            case "purchaseCount" or "purchaseAmount":
            {
                var (from, to) = reader.Period();
                var (min, max) = (reader.Long("min"), reader.Long("max"));
                if (min > max) errors[$"{path}.max"] = ["At least min."];
                if (min is null && max is null) errors[$"{path}.min"] = ["Give min, max or both."];
                return type == "purchaseCount" ? new Segment.PurchaseCount(from, to, min, max) : new Segment.PurchaseAmount(from, to, min, max);
            }
            case "purchasedSkus":
            {
                var (from, to) = reader.Period();
                var skus = reader.Names("skus", SkuLengthMax, Segment.SkusMax);
                if (skus is not { Length: > 0 }) errors[$"{path}.skus"] = [$"1–{Segment.SkusMax} SKUs of 1–{SkuLengthMax} characters."];
                return new Segment.PurchasedSkus(skus ?? [], from, to);
            }
            default:
            {
                var birthMonth = reader.Long("birthMonth");
                if (birthMonth is < 1 or > 12) errors[$"{path}.birthMonth"] = ["1..12."];
                var (ageMin, ageMax) = (reader.Long("ageMin"), reader.Long("ageMax"));
                if (ageMin is < 0 or > 150 || ageMax is < 0 or > 150 || ageMin > ageMax) errors[$"{path}.ageMin"] = ["0..150, ageMin ≤ ageMax."];
                var (joinedFrom, joinedTo) = (reader.Date("joinedFrom"), reader.Date("joinedTo"));
                if (joinedFrom > joinedTo) errors[$"{path}.joinedTo"] = ["On or after joinedFrom."];
                return new Segment.MemberIs(reader.Name("rank"), reader.Names("tags", NameLengthMax, Segment.SkusMax) ?? [], (int?)birthMonth, joinedFrom, joinedTo,
                    reader.Name("store"), reader.Bool("newsletter"), (int?)ageMin, (int?)ageMax);
            }
        }
    }

    /// <summary>Reads the optional properties of one node, reporting each malformed one under its path.</summary>
    private readonly struct NodeReader(JsonElement json, string path, Dictionary<string, string[]> errors)
    {
        private bool TryGet(string name, out JsonElement value) => json.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

        public long? Long(string name)
        {
            if (!TryGet(name, out var value)) return null;
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number is >= 0 and <= Points.Domain.Primitives.Yen.Max) return number;
            errors[$"{path}.{name}"] = ["A whole number, 0 or more."];
            return null;
        }

        public bool? Bool(string name)
        {
            if (!TryGet(name, out var value)) return null;
            if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
            errors[$"{path}.{name}"] = ["true or false."];
            return null;
        }

        public DateOnly? Date(string name)
        {
            if (!TryGet(name, out var value)) return null;
            if (value.ValueKind == JsonValueKind.String
                && CalendarText.TryParseDay(value.GetString()) is { } date) return date;
            errors[$"{path}.{name}"] = ["A date yyyy-MM-dd."];
            return null;
        }

        public (DateOnly? From, DateOnly? To) Period()
        {
            var (from, to) = (Date("from"), Date("to"));
            if (from > to) errors[$"{path}.to"] = ["On or after from."];
            return (from, to);
        }

        public string? Name(string name)
        {
            if (!TryGet(name, out var value)) return null;
            if (value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 and <= NameLengthMax } text && TextRules.Check(text) is null) return text;
            errors[$"{path}.{name}"] = [$"1–{NameLengthMax} characters."];
            return null;
        }

        public ImmutableArray<string>? Names(string name, int lengthMax, int countMax)
        {
            if (!TryGet(name, out var value)) return null;
            if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() <= countMax
                && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s && s.Length <= lengthMax && TextRules.Check(s) is null))
            {
                return [.. value.EnumerateArray().Select(v => v.GetString()!).Distinct(StringComparer.Ordinal)];
            }
            errors[$"{path}.{name}"] = [$"At most {countMax} strings of 1–{lengthMax} characters."];
            return null;
        }
    }
}

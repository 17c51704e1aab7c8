using Points.Functions.Api;

namespace Points.Functions.Stores;

/// <summary>Where a store sits: the head office, an area under it, or a store under an area (or directly under the head office).</summary>
public enum StoreLevel { Hq, Area, Store }

/// <summary>One node of the program's store hierarchy (F39).</summary>
public sealed record StoreNode(string? StoreId, string? Name, StoreLevel? Level, string? ParentId);

/// <summary>
/// The store hierarchy HQ → area → store (settings <c>stores</c>, F39): validated as a whole (ids, one head office, known
/// parents of a higher level, so no cycle can form). Points stay shared across stores; the hierarchy is what exports and
/// reports break figures down by (a journal entry records the store it happened at).
/// </summary>
public static class StoreHierarchy
{
    public const int NodesMax = 5_000;
    public const int NameLengthMax = 100;

    /// <summary>Field errors, named <c>stores[i].field</c>.</summary>
    public static void Validate(IReadOnlyList<StoreNode?> nodes, Dictionary<string, string[]> errors)
    {
        if (nodes.Count > NodesMax)
        {
            errors["stores"] = [$"At most {NodesMax} stores, areas and head offices."];
            return;
        }
        var byId = new Dictionary<string, StoreNode>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            if (node is null) { errors[$"stores[{i}]"] = ["A store node, not null."]; continue; }
            if (!RequestReader.IsWellFormedId(node.StoreId)) errors[$"stores[{i}].storeId"] = [$"1–{RequestReader.IdLengthMax} characters [A-Za-z0-9._:-]."];
            else if (!byId.TryAdd(node.StoreId!, node)) errors[$"stores[{i}].storeId"] = ["Given twice."];
            if (node.Name is not { Length: > 0 and <= NameLengthMax } || TextRules.Check(node.Name) is not null) errors[$"stores[{i}].name"] = [$"1–{NameLengthMax} characters."];
            if (node.Level is null) errors[$"stores[{i}].level"] = ["hq, area or store."];
        }
        if (nodes.Count(n => n?.Level == StoreLevel.Hq) > 1) errors["stores"] = ["One head office (level hq) at most."];
        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i] is not { Level: { } level } node) continue;
            // A parent is always of a higher level, so following parents always ends: no cycle.
            var parent = node.ParentId is { } id ? byId.GetValueOrDefault(id) : null;
            var problem = (level, node.ParentId, parent?.Level) switch
            {
                (StoreLevel.Hq, not null, _) => "A head office has no parent.",
                (_, { }, null) => "No store, area or head office has this id.",
                (StoreLevel.Area, { }, not StoreLevel.Hq) => "An area's parent is the head office.",
                (StoreLevel.Store, { }, StoreLevel.Store) => "A store's parent is an area or the head office.",
                _ => null,
            };
            if (problem is not null) errors[$"stores[{i}].parentId"] = [problem];
        }
    }

    /// <summary>The area a store is in (its parent when that is an area), or null (no such store, or directly under the head office).</summary>
    public static string? AreaOf(IReadOnlyList<StoreNode> nodes, string? storeId)
    {
        if (storeId is null) return null;
        var store = nodes.FirstOrDefault(n => n.StoreId == storeId);
        if (store?.Level == StoreLevel.Area) return store.StoreId;
        var parent = store?.ParentId is { } id ? nodes.FirstOrDefault(n => n.StoreId == id) : null;
        return parent?.Level == StoreLevel.Area ? parent.StoreId : null;
    }
}

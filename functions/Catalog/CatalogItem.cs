using System.Collections.Immutable;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Points.Functions.Api;
using Points.Domain.Catalog;

namespace Points.Functions.Catalog;

/// <summary>A point-usage catalog item as admins write it (PUT /api/v1/admin/catalog/{itemId}).</summary>
/// <param name="Cost">Points per unit, 1..<see cref="CatalogSpecs.CostMax"/>.</param>
/// <param name="Kind"><c>goods</c> (default) or <c>event</c>.</param>
/// <param name="PerMemberLimit">Units one member may redeem over the item's life; null = no limit.</param>
/// <param name="Stock">Units offered in total (not "left now": redeemed units stay counted, so re-sending the same item
/// does not restock it; raise it to add units). Null = unlimited.</param>
/// <param name="ActiveFrom">Inclusive start of the window the item can be redeemed in; null = always.</param>
/// <param name="ActiveUntil">Exclusive end of the window; null = open.</param>
public sealed record CatalogItemSpec(
    [property: Required] string? Name, [property: Required] long? Cost, string? Kind, CatalogEligibility? Eligibility, int? PerMemberLimit, int? Stock,
    DateTimeOffset? ActiveFrom, DateTimeOffset? ActiveUntil);

/// <summary>Who may redeem: any of <see cref="Ranks"/> (empty = every rank) and any of <see cref="Tags"/> (empty = everyone).</summary>
public sealed record CatalogEligibility(IReadOnlyList<string>? Ranks, IReadOnlyList<string>? Tags);

/// <summary>
/// One catalog item in the config container (partition <see cref="Partition"/>). The item's stock counter lives in the
/// same document as its spec, so the total an admin sets and the units taken are compared in one If-Match write:
/// neither a concurrent redemption nor a concurrent admin change can slip past the other.
/// </summary>
public sealed record CatalogItemDocument
{
    public const string Partition = "catalog";

    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public string Pk { get; init; } = Partition;
    public string DocType { get; init; } = "catalogItem";
    public required string ItemId { get; init; }
    public required CatalogItemSpec Spec { get; init; }
    /// <summary>Units no longer available: redeemed ones plus those <see cref="Holds"/> reserve. At most <c>Spec.Stock</c> when taking.</summary>
    public int Taken { get; init; }
    /// <summary>Units reserved by redemptions whose member commit has not finished (see <see cref="CatalogStore"/>).</summary>
    public ImmutableArray<StockHold> Holds { get; init; } = [];
    public int Version { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    public static string IdOf(string itemId) => "item-" + itemId;

    /// <summary>The item's ETag (api: PUT and DELETE take it in If-Match): of its spec and version, not of its stock.</summary>
    public string ETag() => Preconditions.ETagOf(new { itemId = ItemId, Spec, Version, UpdatedAt });

    /// <summary>Units that can still be taken; null when the stock is unlimited.</summary>
    public int? StockLeft() => Spec.Stock is { } stock ? Math.Max(0, stock - Taken) : null;

    /// <summary>What a redemption decides by (<see cref="CatalogDecider"/>).</summary>
    public CatalogTerms ToTerms() => new(ItemId, Spec.Cost!.Value, Spec.ActiveFrom, Spec.ActiveUntil, Spec.Eligibility?.Ranks ?? [],
        Spec.Eligibility?.Tags ?? [], Spec.PerMemberLimit, LimitedStock: Spec.Stock is not null);
}

public sealed record CatalogItemView(
    string ItemId, string Name, long Cost, string Kind, CatalogEligibility Eligibility, int? PerMemberLimit, int? Stock, int? StockLeft,
    DateTimeOffset? ActiveFrom, DateTimeOffset? ActiveUntil, int Version, DateTimeOffset UpdatedAt, [property: JsonPropertyName("etag")] string ETag)
{
    public static CatalogItemView Of(CatalogItemDocument item) => new(
        item.ItemId, item.Spec.Name!, item.Spec.Cost!.Value, item.Spec.Kind!, item.Spec.Eligibility ?? new CatalogEligibility([], []),
        item.Spec.PerMemberLimit, item.Spec.Stock, item.StockLeft(), item.Spec.ActiveFrom, item.Spec.ActiveUntil, item.Version, item.UpdatedAt, item.ETag());
}

/// <summary>An item as one member sees it: what it costs and how many more they can have.</summary>
public sealed record MemberCatalogItem(
    string ItemId, string Name, long Cost, string Kind, int? RemainingForMember, int? StockLeft, DateTimeOffset? ActiveUntil);

public static class CatalogSpecs
{
    public const long CostMax = 10_000_000;
    public const int StockMax = 10_000_000;
    public const int PerMemberLimitMax = 10_000;
    public const int NameLengthMax = 100;
    public const int ItemIdLengthMax = RequestReader.IdLengthMax;
    public const int ListItemsMax = 50;
    public const int ListItemLengthMax = 64;

    public static Dictionary<string, string[]> Validate(CatalogItemSpec spec)
    {
        var errors = new Dictionary<string, string[]>();
        if (spec.Name is not { Length: > 0 and <= NameLengthMax } || string.IsNullOrWhiteSpace(spec.Name)) errors["name"] = [$"Required, 1–{NameLengthMax} characters."];
        if (spec.Cost is not (>= 1 and <= CostMax)) errors["cost"] = [$"Required, 1..{CostMax} points."];
        if (spec.Kind is not (null or "goods" or "event")) errors["kind"] = ["goods or event."];
        if (spec.PerMemberLimit is not (null or (>= 1 and <= PerMemberLimitMax))) errors["perMemberLimit"] = [$"1..{PerMemberLimitMax}, or omit for no limit."];
        if (spec.Stock is not (null or (>= 0 and <= StockMax))) errors["stock"] = [$"0..{StockMax} units in total, or omit for unlimited."];
        if (spec.ActiveFrom is { } from && spec.ActiveUntil is { } until && until <= from) errors["activeUntil"] = ["Must be after activeFrom."];
        foreach (var (field, list) in new[] { ("eligibility.ranks", spec.Eligibility?.Ranks), ("eligibility.tags", spec.Eligibility?.Tags) })
        {
            if (list is { } items && (items.Count > ListItemsMax || items.Any(i => string.IsNullOrWhiteSpace(i) || i.Length > ListItemLengthMax)))
                errors[field] = [$"At most {ListItemsMax} items of 1–{ListItemLengthMax} characters, none blank."];
        }
        return errors;
    }

    /// <summary>The spec as stored: defaults filled in, lists never null.</summary>
    public static CatalogItemSpec Normalize(CatalogItemSpec spec) => spec with
    {
        Kind = spec.Kind ?? "goods",
        Eligibility = new CatalogEligibility(spec.Eligibility?.Ranks ?? [], spec.Eligibility?.Tags ?? []),
    };
}

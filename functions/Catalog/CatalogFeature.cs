using Points.Domain.Catalog;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Hosting;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Functions.Catalog;

public sealed record CatalogList(IReadOnlyList<CatalogItemView> Items);

public sealed record MemberCatalog(string MemberId, IReadOnlyList<MemberCatalogItem> Items);

/// <summary>The point-usage catalog (F12): items with stock and per-member limits, and redemptions of them.</summary>
public sealed class CatalogFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<CatalogStore>();
        services.AddSingleton<CatalogRedemptions>();
        services.AddOutboxHandler<SettleStockHold, StockHoldSettlement>("stock-hold-settlement");
    }

    public override IEnumerable<RejectionProblem> Rejections =>
    [
        new(CatalogRejection.NotEligible, new("not_eligible", 422, "The member cannot redeem this catalog item now.")),
        new(CatalogRejection.LimitReached, new("limit_reached", 422, "The member has reached their limit for this catalog item.")),
        new(CatalogRejection.OutOfStock, new("out_of_stock", 422, "The catalog item is out of stock.")),
    ];

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/admin/catalog", async (CatalogStore catalog, HttpContext http) =>
            Results.Json(new CatalogList([.. (await catalog.ListAsync(http.RequestAborted)).Select(CatalogItemView.Of)]), JsonDefaults.Options))
            .RequireScope(Scopes.Admin)
            .Describe("listCatalogItems", ApiTags.Admin, "List the catalog items", "Every item of the point-usage catalog with its terms and the stock left.")
            .Produces<CatalogList>();
        api.MapPut("/v1/admin/catalog/{itemId}", Put).RequireScope(Scopes.Admin)
            .Describe("saveCatalogItem", ApiTags.Admin, "Create or replace a catalog item",
                "Saves the item's name, cost in points, eligibility (ranks, tags), limit per member, total stock and active window `[activeFrom, activeUntil)`. "
                + "`stock` is the total offered, not what is left: raise it to add units. Answers the item's ETag; with `If-Match`, saves only "
                + "while the item is in that state (412 otherwise).")
            .TakesJson<CatalogItemSpec>()
            .Produces<CatalogItemView>()
            .Refuses(Problems.InvalidRequest, Problems.PreconditionFailed);
        api.MapDelete("/v1/admin/catalog/{itemId}", async (string itemId, CatalogStore catalog, HttpContext http) =>
            await Delete(itemId, catalog, http))
            .RequireScope(Scopes.Admin)
            .Describe("deleteCatalogItem", ApiTags.Admin, "Delete a catalog item",
                "Removes the item from the catalog: it can no longer be redeemed. With `If-Match`, only while the item is in that state (412 otherwise).")
            .Produces(204)
            .Refuses(Problems.NotFound, Problems.PreconditionFailed);
        api.MapGet("/v1/catalog", ForMember).RequireScope(Scopes.MembersRead)
            .Describe("listRedeemableItems", ApiTags.Catalog, "List the catalog items a member may redeem now",
                "The items in their active window that the member is eligible for, under their limit and in stock, with what each costs "
                + "and how many more the member may have. Redeem one with `redeemPoints` (`purpose: catalog`).")
            .Produces<MemberCatalog>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound);
    }

    /// <summary>Creates or changes an item; with If-Match only while it is in that state (412 otherwise). Answers its ETag.</summary>
    private static async Task<IResult> Put(string itemId, HttpContext http, CatalogStore catalog)
    {
        if (!Preconditions.TryReadIfMatch(http, out var ifMatch, out var problem)) return problem!;
        var (spec, specProblem) = await RequestReader.ReadSpecAsync<CatalogItemSpec>(http, "itemId", itemId, CatalogSpecs.Validate, "The catalog item is invalid.");
        if (specProblem is not null) return specProblem;
        var (outcome, item) = await catalog.SaveAsync(itemId, CatalogSpecs.Normalize(spec!), ifMatch, http.RequestAborted);
        switch (outcome)
        {
            case CatalogStore.SaveOutcome.CatalogFull:
                return Problems.Invalid("itemId", $"The catalog holds at most {CatalogStore.ItemsMax} items; delete one first.");
            case CatalogStore.SaveOutcome.PreconditionFailed:
                return Preconditions.Failed(http, $"Catalog item {itemId}", item?.ETag());
            default:
                Preconditions.AnswerETag(http, item!.ETag());
                return Results.Json(CatalogItemView.Of(item), JsonDefaults.Options);
        }
    }

    private static async Task<IResult> Delete(string itemId, CatalogStore catalog, HttpContext http)
    {
        if (!RequestReader.IsWellFormedId(itemId)) return Problems.For(Problems.NotFound, "There is no catalog item with that id.");
        if (!Preconditions.TryReadIfMatch(http, out var ifMatch, out var problem)) return problem!;
        var (outcome, item) = await catalog.DeleteAsync(itemId, ifMatch, http.RequestAborted);
        return outcome switch
        {
            CatalogStore.SaveOutcome.NotFound => Problems.For(Problems.NotFound, $"There is no catalog item '{itemId}'."),
            CatalogStore.SaveOutcome.PreconditionFailed => Preconditions.Failed(http, $"Catalog item {itemId}", item?.ETag()),
            _ => Results.NoContent(),
        };
    }

    /// <summary>Items the member may redeem now: in their window, eligible, under the member's limit, with stock left.</summary>
    /// <param name="memberId">Bound as text (cannot fail); given twice is a 400 (<see cref="RequestReader.TryQueryText"/>).</param>
    private static async Task<IResult> ForMember(string? memberId, HttpContext http, CatalogStore catalog, LedgerStore accounts, TimeProvider clock)
    {
        if (!RequestReader.TryQueryText(http, nameof(memberId), out var single, out var problem)) return problem!;
        if (!RequestReader.TryMemberId(single, out var id, out problem)) return problem!;
        var (account, _) = await accounts.ReadAccountAsync(id, http.RequestAborted);
        if (account is null) return Problems.For(Problems.MemberNotFound);
        var member = account.Member;
        var now = clock.GetUtcNow();
        var items = (await catalog.ListAsync(http.RequestAborted))
            .Select(item => (Item: item, Terms: item.ToTerms()))
            .Where(i => CatalogDecider.Check(i.Terms, member, now) is null && i.Item.StockLeft() is null or > 0)
            .Select(i => new MemberCatalogItem(i.Item.ItemId, i.Item.Spec.Name!, i.Terms.Cost, i.Item.Spec.Kind!,
                CatalogDecider.RemainingFor(i.Terms, member), i.Item.StockLeft(), i.Item.Spec.ActiveUntil))
            .ToList();
        return Results.Json(new MemberCatalog(id.Value, items), JsonDefaults.Options);
    }
}

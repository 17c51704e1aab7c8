using Points.Domain.Catalog;
using Points.Functions.Api;
using Points.Functions.Hosting;
using Points.Functions.Ledger.Outbox;

namespace Points.Functions.Catalog;

/// <summary>The point-usage catalog (F12): items with stock and per-member limits, and redemptions of them.</summary>
public sealed class CatalogFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<CatalogStore>();
        services.AddSingleton<CatalogRedemptions>();
        services.AddOutboxHandler<SettleStockHold, StockHoldSettlement>("stock-hold-settlement");
    }

    public override void MapRoutes(IEndpointRouteBuilder api) => api.MapCatalogEndpoints();

    public override IEnumerable<RejectionProblem> Rejections =>
    [
        new(CatalogRejection.NotEligible, new("not_eligible", 422, "The member cannot redeem this catalog item now.")),
        new(CatalogRejection.LimitReached, new("limit_reached", 422, "The member has reached their limit for this catalog item.")),
        new(CatalogRejection.OutOfStock, new("out_of_stock", 422, "The catalog item is out of stock.")),
    ];
}

using Points.Functions.Hosting;

namespace Points.Functions.Redemptions;

/// <summary>Spending points (F11) and reversing earns, spends and referenced adjustments (their refusals are the ledger's).</summary>
public sealed class RedemptionsFeature : Feature
{
    public override void MapRoutes(IEndpointRouteBuilder api) => api.MapRedemptionEndpoints();
}

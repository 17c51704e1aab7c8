using Points.Functions.Hosting;

namespace Points.Functions.Adjustments;

/// <summary>Manual grants and deductions by admins (F10); bulk ones come as CSV (Imports).</summary>
public sealed class AdjustmentsFeature : Feature
{
    public override void MapRoutes(IEndpointRouteBuilder api) => api.MapAdjustmentEndpoints();
}

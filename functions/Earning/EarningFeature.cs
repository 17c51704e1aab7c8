using Points.Functions.Hosting;

namespace Points.Functions.Earning;

/// <summary>Earning (F7, F8, F38): events, rules and campaigns. Earning refuses nothing: an event that awards nothing is recorded.</summary>
public sealed class EarningFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddSingleton<EarningConfigStore>();

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapEventEndpoints();
        api.MapEarningAdminEndpoints();
    }
}

using Points.Domain.Store;
using Points.Functions.Api;
using Points.Functions.Hosting;

namespace Points.Functions.Store;

/// <summary>In-store use (F14): QR tokens and store transactions.</summary>
public sealed class StoreFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<StoreOptions>(configuration.GetSection("Store"));
        services.AddSingleton<QrTokens>();
    }

    public override void MapRoutes(IEndpointRouteBuilder api) => api.MapStoreEndpoints();

    public override IEnumerable<RejectionProblem> Rejections =>
        [new(StoreRejection.InvalidQrToken, new("invalid_qr_token", 401, "The QR token is invalid, expired or already used."))];
}

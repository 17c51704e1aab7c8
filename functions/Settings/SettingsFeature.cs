using Points.Functions.Hosting;

namespace Points.Functions.Settings;

/// <summary>The program's settings (time zone, yen per point, expiry policy, ranks), read by every other feature.</summary>
public sealed class SettingsFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ProgramSettings>(configuration.GetSection("Program"));
        services.AddSingleton<ProgramSettingsStore>();
    }

    public override void MapRoutes(IEndpointRouteBuilder api) => api.MapSettingsEndpoints();
}

using Points.Functions.Hosting;

namespace Points.Functions.Expiry;

/// <summary>Daily expiry of due lots (F16) and activation of pending points (F38), through the due indexes.</summary>
public sealed class ExpiryFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ExpirePointsJob>();
        services.AddSingleton<ActivatePendingPointsJob>();
    }

    public override void MapFunctions(WebApplication app)
    {
        app.MapTimerFunction<ExpirePointsJob>(ExpirePointsJob.FunctionName, DueMembersJob.RunTimerAsync);
        app.MapTimerFunction<ActivatePendingPointsJob>(ActivatePendingPointsJob.FunctionName, DueMembersJob.RunTimerAsync);
    }
}

using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Hosting;
using Points.Functions.Storage;

namespace Points.Functions.Settings;

/// <summary>The program's settings (time zone, yen per point, expiry policy, ranks), read by every other feature.</summary>
public sealed class SettingsFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ProgramSettings>(configuration.GetSection("Program"));
        services.AddSingleton<ProgramSettingsStore>();
    }

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/admin/settings", async (ProgramSettingsStore store, HttpContext http) =>
                Results.Json(await store.GetAsync(http.RequestAborted), JsonDefaults.Options))
            .RequireScope(Scopes.Admin)
            .Describe("getSettings", ApiTags.Admin, "Read the program settings",
                "The program's time zone, yen per point, expiry policy of regular points and ranks.")
            .Produces<ProgramSettings>();
        api.MapPut("/v1/admin/settings", Put).RequireScope(Scopes.Admin)
            .Describe("updateSettings", ApiTags.Admin, "Replace the program settings",
                "Replaces the settings as a whole. A new expiry policy applies to points granted afterwards.")
            .TakesJson<ProgramSettings>()
            .Produces<ProgramSettings>()
            .Refuses(Problems.InvalidRequest);
    }

    private static async Task<IResult> Put(HttpContext http, ProgramSettingsStore store)
    {
        var (settings, problem) = await RequestReader.ReadBodyAsync<ProgramSettings>(http);
        if (problem is not null) return problem;
        var errors = settings!.Validate();
        if (errors.Count > 0) return Problems.Invalid("Some settings are invalid.", errors.ToDictionary());
        await store.SaveAsync(settings, http.RequestAborted);
        return Results.Json(settings, JsonDefaults.Options);
    }
}

using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Storage;

namespace Points.Functions.Settings;

public static class SettingsEndpoints
{
    public static void MapSettingsEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/admin/settings", async (ProgramSettingsStore store, HttpContext http) =>
                Results.Json(await store.GetAsync(http.RequestAborted), JsonDefaults.Options))
            .RequireScope(Scopes.Admin).Produces<ProgramSettings>();
        api.MapPut("/v1/admin/settings", Put).RequireScope(Scopes.Admin).Produces<ProgramSettings>().ProducesProblem(400);
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

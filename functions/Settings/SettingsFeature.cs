using System.Text.Json;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Hosting;
using Points.Functions.Storage;

namespace Points.Functions.Settings;

/// <summary>The program's settings (time zone, yen per point, expiry policy, ranks), read by every other feature.</summary>
public sealed class SettingsFeature : Feature
{
    private const string What = "The settings";

    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ProgramSettings>(configuration.GetSection("Program"));
        services.AddSingleton<ProgramSettingsStore>();
    }

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/admin/settings", Get)
            .RequireScope(Scopes.Admin)
            .Describe("getSettings", ApiTags.Admin, "Read the program settings",
                "The program's time zone, yen per point, expiry policy of regular points, ranks, withdrawals and purchases, with the ETag "
                + "a change must send back in If-Match.")
            .Produces<ProgramSettings>();
        api.MapPut("/v1/admin/settings", Put).RequireScope(Scopes.Admin)
            .Describe("updateSettings", ApiTags.Admin, "Change program settings",
                "Changes the settings the body gives and keeps the others (a section given replaces that section). `If-Match` with the ETag "
                + "of the settings read is required: 428 without it, 412 when another change came first. A body that sets nothing, or a null "
                + "setting, is a 400; the result is validated as a whole. A new expiry policy applies to points granted afterwards.")
            .TakesJson<SettingsUpdate>()
            .Produces<ProgramSettings>()
            .Refuses(Problems.InvalidRequest, Problems.PreconditionFailed, Problems.PreconditionRequired);
    }

    /// <summary>The settings in force (read now, not from the cache) with their ETag, which a change must send back.</summary>
    private static async Task<IResult> Get(ProgramSettingsStore store, HttpContext http)
    {
        var (settings, _) = await store.ReadCurrentAsync(http.RequestAborted);
        Preconditions.AnswerETag(http, Preconditions.ETagOf(settings));
        return Results.Json(settings, JsonDefaults.Options);
    }

    /// <summary>
    /// Changes the settings given and keeps the others: If-Match is required (428 without, 412 when another change
    /// came first); a body that sets nothing, or a null setting, is a 400; the settings that result are validated as a whole.
    /// </summary>
    private static async Task<IResult> Put(HttpContext http, ProgramSettingsStore store)
    {
        if (!Preconditions.TryReadRequiredIfMatch(http, "the settings", out var ifMatch, out var problem)) return problem!;
        var (body, bodyProblem) = await RequestReader.ReadObjectAsync(http);
        if (bodyProblem is not null) return bodyProblem;
        if (Given(body) is { } refused) return refused;
        var (update, updateProblem) = RequestReader.Bind<SettingsUpdate>(body);
        if (updateProblem is not null) return updateProblem;

        var (current, documentETag) = await store.ReadCurrentAsync(http.RequestAborted);
        var currentETag = Preconditions.ETagOf(current);
        if (!ifMatch!.Matches(currentETag)) return Preconditions.Failed(http, What, currentETag);
        var settings = update!.ApplyTo(current);
        var errors = settings.Validate();
        if (errors.Count > 0) return Problems.Invalid("Some settings are invalid.", errors.ToDictionary());
        if (!await store.TrySaveAsync(settings, documentETag, http.RequestAborted))
        {
            return Preconditions.Failed(http, What, Preconditions.ETagOf((await store.ReadCurrentAsync(http.RequestAborted)).Settings));
        }
        Preconditions.AnswerETag(http, Preconditions.ETagOf(settings));
        return Results.Json(settings, JsonDefaults.Options);
    }

    /// <summary>A 400 when the body sets no setting at all (unknown fields are ignored), or sets one to null.</summary>
    private static IResult? Given(JsonElement body)
    {
        var given = body.EnumerateObject()
            .Select(p => (Field: SettingsUpdate.Fields.FirstOrDefault(f => f.Equals(p.Name, StringComparison.OrdinalIgnoreCase)), p.Value))
            .Where(p => p.Field is not null)
            .ToList();
        if (given.Count == 0)
        {
            return Problems.Invalid("body", $"Sets no setting: give at least one of {string.Join(", ", SettingsUpdate.Fields)} (unknown fields are ignored).");
        }
        var nulls = given.Where(p => p.Value.ValueKind == JsonValueKind.Null).ToDictionary(p => p.Field!, _ => new[] { "Must not be null; leave the setting out to keep its current value." });
        return nulls.Count > 0 ? Problems.Invalid("Some settings are null.", nulls) : null;
    }
}

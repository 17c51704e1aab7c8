using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Hosting;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Earning;

/// <summary>
/// Earning (F7, F8, F38): events (<see cref="EventEndpoints"/>), and the admin management of earning rules and campaign
/// multipliers (api.md "Admin"). Earning refuses nothing: an event that awards nothing is recorded.
/// </summary>
public sealed class EarningFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration) => services.AddSingleton<EarningConfigStore>();

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapEventEndpoints();
        api.MapGet("/v1/admin/rules", async (EarningConfigStore store, HttpContext http) =>
        {
            var (rules, _) = await store.LoadAsync(http.RequestAborted);
            return Results.Json(new { items = rules.Where(r => !r.Deleted).Select(View).ToList() }, JsonDefaults.Options);
        }).RequireScope(Scopes.Admin);
        api.MapPut("/v1/admin/rules/{ruleId}", PutRule).RequireScope(Scopes.Admin).ProducesProblem(400);
        api.MapDelete("/v1/admin/rules/{ruleId}", async (string ruleId, EarningConfigStore store, HttpContext http) =>
            await DeleteRuleAsync(ruleId, store, http))
            .RequireScope(Scopes.Admin);

        api.MapGet("/v1/admin/campaigns", async (EarningConfigStore store, HttpContext http) =>
        {
            var (_, campaigns) = await store.LoadAsync(http.RequestAborted);
            return Results.Json(new { items = campaigns.Where(c => !c.Deleted).Select(View).ToList() }, JsonDefaults.Options);
        }).RequireScope(Scopes.Admin);
        api.MapPut("/v1/admin/campaigns/{campaignId}", PutCampaign).RequireScope(Scopes.Admin).ProducesProblem(400);
        api.MapDelete("/v1/admin/campaigns/{campaignId}", async (string campaignId, EarningConfigStore store, HttpContext http) =>
            await DeleteCampaignAsync(campaignId, store, http))
            .RequireScope(Scopes.Admin);
    }

    private static object View(EarningConfigStore.RuleDocument rule) => new { ruleId = rule.Id, rule.Version, rule.Spec, rule.UpdatedAt, etag = rule.ETag() };

    private static object View(EarningConfigStore.CampaignDocument campaign) => new { campaignId = campaign.Id, campaign.Spec, campaign.UpdatedAt, etag = campaign.ETag() };

    /// <summary>Creates or changes a rule; with If-Match only while it is in that state (412 otherwise). Answers its ETag.</summary>
    private static async Task<IResult> PutRule(string ruleId, HttpContext http, EarningConfigStore store, ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        if (!Preconditions.TryReadIfMatch(http, out var ifMatch, out var problem)) return problem!;
        var today = (await settingsStore.GetAsync(http.RequestAborted)).DateOf(clock.GetUtcNow());
        var (spec, specProblem) = await RequestReader.ReadSpecAsync<RuleSpec>(http, "ruleId", ruleId, spec => EarningSpecs.Validate(spec, today), "The rule is invalid.");
        if (specProblem is not null) return specProblem;
        var (outcome, saved) = await store.SaveRuleAsync(ruleId, spec!, delete: false, ifMatch, http.RequestAborted);
        return outcome switch
        {
            EarningConfigStore.SaveOutcome.TooManyRules => Problems.Invalid("ruleId", $"The program holds at most {EarningConfigStore.RulesMax} rules; delete one first."),
            EarningConfigStore.SaveOutcome.PreconditionFailed => Preconditions.Failed(http, $"Rule {ruleId}", saved?.ETag()),
            _ => Answer(http, View(saved!), saved!.ETag()),
        };
    }

    private static async Task<IResult> DeleteRuleAsync(string ruleId, EarningConfigStore store, HttpContext http)
    {
        if (!RequestReader.IsWellFormedId(ruleId)) return RequestReader.InvalidId("ruleId");
        if (!Preconditions.TryReadIfMatch(http, out var ifMatch, out var problem)) return problem!;
        var (outcome, current) = await store.SaveRuleAsync(ruleId, null!, delete: true, ifMatch, http.RequestAborted);
        return outcome switch
        {
            EarningConfigStore.SaveOutcome.NotFound => Problems.For(Problems.NotFound),
            EarningConfigStore.SaveOutcome.PreconditionFailed => Preconditions.Failed(http, $"Rule {ruleId}", current?.ETag()),
            _ => Results.NoContent(),
        };
    }

    /// <summary>Creates or changes a campaign; with If-Match only while it is in that state (412 otherwise). Answers its ETag.</summary>
    private static async Task<IResult> PutCampaign(string campaignId, HttpContext http, EarningConfigStore store)
    {
        if (!Preconditions.TryReadIfMatch(http, out var ifMatch, out var problem)) return problem!;
        var (spec, specProblem) = await RequestReader.ReadSpecAsync<CampaignSpec>(http, "campaignId", campaignId, EarningSpecs.Validate, "The campaign is invalid.");
        if (specProblem is not null) return specProblem;
        var (outcome, saved) = await store.SaveCampaignAsync(campaignId, spec!, delete: false, ifMatch, http.RequestAborted);
        return outcome == EarningConfigStore.SaveOutcome.PreconditionFailed
            ? Preconditions.Failed(http, $"Campaign {campaignId}", saved?.ETag())
            : Answer(http, View(saved!), saved!.ETag());
    }

    private static async Task<IResult> DeleteCampaignAsync(string campaignId, EarningConfigStore store, HttpContext http)
    {
        if (!RequestReader.IsWellFormedId(campaignId)) return RequestReader.InvalidId("campaignId");
        if (!Preconditions.TryReadIfMatch(http, out var ifMatch, out var problem)) return problem!;
        var (outcome, current) = await store.SaveCampaignAsync(campaignId, null!, delete: true, ifMatch, http.RequestAborted);
        return outcome switch
        {
            EarningConfigStore.SaveOutcome.NotFound => Problems.For(Problems.NotFound),
            EarningConfigStore.SaveOutcome.PreconditionFailed => Preconditions.Failed(http, $"Campaign {campaignId}", current?.ETag()),
            _ => Results.NoContent(),
        };
    }

    private static IResult Answer(HttpContext http, object view, string etag)
    {
        Preconditions.AnswerETag(http, etag);
        return Results.Json(view, JsonDefaults.Options);
    }
}

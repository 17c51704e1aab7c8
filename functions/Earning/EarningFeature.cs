using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Hosting;
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
            (await store.SaveRuleAsync(ruleId, null!, delete: true, http.RequestAborted)).Outcome == EarningConfigStore.SaveOutcome.NotFound
                ? Problems.For(Problems.NotFound) : Results.NoContent())
            .RequireScope(Scopes.Admin);

        api.MapGet("/v1/admin/campaigns", async (EarningConfigStore store, HttpContext http) =>
        {
            var (_, campaigns) = await store.LoadAsync(http.RequestAborted);
            return Results.Json(new { items = campaigns.Where(c => !c.Deleted).Select(c => new { campaignId = c.Id, c.Spec, c.UpdatedAt }).ToList() }, JsonDefaults.Options);
        }).RequireScope(Scopes.Admin);
        api.MapPut("/v1/admin/campaigns/{campaignId}", PutCampaign).RequireScope(Scopes.Admin).ProducesProblem(400);
        api.MapDelete("/v1/admin/campaigns/{campaignId}", async (string campaignId, EarningConfigStore store, HttpContext http) =>
            await store.SaveCampaignAsync(campaignId, null!, delete: true, http.RequestAborted) is null ? Problems.For(Problems.NotFound) : Results.NoContent())
            .RequireScope(Scopes.Admin);
    }

    private static object View(EarningConfigStore.RuleDocument rule) => new { ruleId = rule.Id, rule.Version, rule.Spec, rule.UpdatedAt };

    private static async Task<IResult> PutRule(string ruleId, HttpContext http, EarningConfigStore store)
    {
        var (spec, problem) = await RequestReader.ReadSpecAsync<RuleSpec>(http, "ruleId", ruleId, EarningSpecs.Validate, "The rule is invalid.");
        if (problem is not null) return problem;
        var (outcome, saved) = await store.SaveRuleAsync(ruleId, spec!, delete: false, http.RequestAborted);
        return outcome == EarningConfigStore.SaveOutcome.TooManyRules
            ? Problems.Invalid("ruleId", $"The program holds at most {EarningConfigStore.RulesMax} rules; delete one first.")
            : Results.Json(View(saved!), JsonDefaults.Options);
    }

    private static async Task<IResult> PutCampaign(string campaignId, HttpContext http, EarningConfigStore store)
    {
        var (spec, problem) = await RequestReader.ReadSpecAsync<CampaignSpec>(http, "campaignId", campaignId, EarningSpecs.Validate, "The campaign is invalid.");
        if (problem is not null) return problem;
        var saved = await store.SaveCampaignAsync(campaignId, spec!, delete: false, http.RequestAborted);
        return Results.Json(new { campaignId = saved!.Id, saved.Spec, saved.UpdatedAt }, JsonDefaults.Options);
    }
}

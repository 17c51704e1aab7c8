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
            return Results.Json(new RuleList([.. rules.Where(r => !r.Deleted).Select(View)]), JsonDefaults.Options);
        }).RequireScope(Scopes.Admin)
            .Describe("listRules", ApiTags.Admin, "List the earning rules", "Every earning rule of the program with its version and last change.")
            .Produces<RuleList>();
        api.MapPut("/v1/admin/rules/{ruleId}", PutRule).RequireScope(Scopes.Admin)
            .Describe("saveRule", ApiTags.Admin, "Create or replace an earning rule",
                "Saves the rule under `ruleId` (trigger, formula, caps, eligibility, grant, active window, priority) and bumps its version; "
                + "events processed after the change (within 5 seconds) earn by it. Answers its ETag; with `If-Match`, saves only while the rule "
                + "is in that state (412 otherwise).")
            .TakesJson<RuleSpec>()
            .Produces<RuleView>()
            .Refuses(Problems.InvalidRequest, Problems.PreconditionFailed);
        api.MapDelete("/v1/admin/rules/{ruleId}", async (string ruleId, EarningConfigStore store, HttpContext http) =>
            await DeleteRuleAsync(ruleId, store, http))
            .RequireScope(Scopes.Admin)
            .Describe("deleteRule", ApiTags.Admin, "Delete an earning rule",
                "Removes the rule: events processed afterwards no longer earn by it. With `If-Match`, only while the rule is in that state (412 otherwise).")
            .Produces(204)
            .Refuses(Problems.InvalidRequest, Problems.NotFound, Problems.PreconditionFailed);

        api.MapGet("/v1/admin/campaigns", async (EarningConfigStore store, HttpContext http) =>
        {
            var (_, campaigns) = await store.LoadAsync(http.RequestAborted);
            return Results.Json(new CampaignList([.. campaigns.Where(c => !c.Deleted).Select(CampaignView.Of)]), JsonDefaults.Options);
        }).RequireScope(Scopes.Admin)
            .Describe("listCampaigns", ApiTags.Admin, "List the campaigns", "Every campaign multiplier of the program with its last change and ETag.")
            .Produces<CampaignList>();
        api.MapPut("/v1/admin/campaigns/{campaignId}", PutCampaign).RequireScope(Scopes.Admin)
            .Describe("saveCampaign", ApiTags.Admin, "Create or replace a campaign",
                "Saves a multiplier (`multiplierPermille`: 2000 = ×2.0) for the given triggers, stores and days of the week within `[from, until)`. "
                + "Answers its ETag; with `If-Match`, saves only while the campaign is in that state (412 otherwise).")
            .TakesJson<CampaignSpec>()
            .Produces<CampaignView>()
            .Refuses(Problems.InvalidRequest, Problems.PreconditionFailed);
        api.MapDelete("/v1/admin/campaigns/{campaignId}", async (string campaignId, EarningConfigStore store, HttpContext http) =>
            await DeleteCampaignAsync(campaignId, store, http))
            .RequireScope(Scopes.Admin)
            .Describe("deleteCampaign", ApiTags.Admin, "Delete a campaign",
                "Removes the campaign: events processed afterwards are no longer multiplied by it. With `If-Match`, only while it is in that state.")
            .Produces(204)
            .Refuses(Problems.InvalidRequest, Problems.NotFound, Problems.PreconditionFailed);
    }

    private static RuleView View(EarningConfigStore.RuleDocument rule) => new(rule.Id, rule.Version, rule.Spec, rule.UpdatedAt, rule.ETag());

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
            : Answer(http, CampaignView.Of(saved!), saved!.ETag());
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

/// <summary>An earning rule as admins read it back: its spec, the version every change bumps, and when it last changed.</summary>
public sealed record RuleView(string RuleId, int Version, RuleSpec Spec, DateTimeOffset UpdatedAt, string Etag);

public sealed record RuleList(IReadOnlyList<RuleView> Items);

/// <summary>A campaign as admins read it back.</summary>
public sealed record CampaignView(string CampaignId, CampaignSpec Spec, DateTimeOffset UpdatedAt, string Etag)
{
    public static CampaignView Of(EarningConfigStore.CampaignDocument campaign) => new(campaign.Id, campaign.Spec, campaign.UpdatedAt, campaign.ETag());
}

public sealed record CampaignList(IReadOnlyList<CampaignView> Items);

using Microsoft.Extensions.DependencyInjection.Extensions;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Domain.SpecialPoints;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Hosting;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Ranks;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.SpecialPoints;

public sealed record NotifyOptions(bool NewsletterOnly);

/// <summary>A campaign as an admin drafts it: exactly one of <see cref="ExpiresOn"/> and <see cref="ExpiresAfterDays"/> (from today).</summary>
public sealed record SpecialCampaignRequest(string? Name, long? Points, DateOnly? ExpiresOn, int? ExpiresAfterDays, JsonElement? Segment, NotifyOptions? Notify);

public sealed record SegmentRequest(JsonElement? Segment);

public sealed record InvalidateRequest(string? CampaignId, string? LotId, string? Reason);

public sealed record ReasonRequest(string? Reason);

/// <summary>What api.md's <c>POST /special-grants</c> answers.</summary>
public sealed record GrantAccepted(string GrantId, string Status);

/// <summary>What a synchronous preview counted, with up to 20 of the members.</summary>
public sealed record PreviewCount(long Count, long MembersRead, IReadOnlyList<string> Sample);

/// <summary>A campaign with what its phases counted (summed over the shards so far).</summary>
public sealed record SpecialCampaignView(string CampaignId, string GrantId, string Name, long Points, DateOnly ExpiresOn, JsonElement Segment, bool NewsletterOnly,
    CampaignState State, string Status, ScanCounts? Preview, ScanCounts? Grant, long? Targeted, long Granted, long Skipped, IReadOnlyList<string> Sample,
    DateTimeOffset CreatedAt, DateTimeOffset? PreviewedAt, DateTimeOffset? GrantStartedAt, DateTimeOffset? GrantedAt, string? NotifyBlob);

/// <summary>
/// Special points campaigns (F26–F28; api.md "special-grants"): segments over purchases and member information, a
/// preview, a grant to every target exactly once, the notification list, invalidation of one member's special points,
/// and the purchase history the segments read.
/// </summary>
public sealed class SpecialPointsFeature : Feature
{
    public const int NameLengthMax = 100;
    public const int ReasonLengthMax = 200;
    public const int ExpiryDaysMax = Earning.EarningSpecs.SpecialExpiryDaysMax;

    public static readonly ProblemType CampaignNotFound = new("campaign_not_found", 404, "No such special points campaign.");
    public static readonly ProblemType CampaignExpired = new("campaign_expired", 422, "The campaign's points would already have expired.");

    public override IEnumerable<ProblemType> AlsoAnswers => [CampaignNotFound, CampaignExpired];

    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOutboxHandler<RecordPurchase, PurchaseHistory>("purchase-history");
        services.AddSingleton<SpecialCampaignStore>();
        services.TryAddSingleton<LedgerScanStore>();
        services.AddSingleton<CampaignScan>();
        services.AddSingleton<ILedgerScanJob>(sp => sp.GetRequiredService<CampaignScan>());
    }

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/admin/special-campaigns", Create).RequireScope(Scopes.Admin)
            .Describe("createSpecialCampaign", ApiTags.Admin, "Draft a special points campaign",
                "A name (shown in the members' history), points, `expiresOn` or `expiresAfterDays`, a `segment` (see the README: `and`, `or`, `not`, "
                + "`all`, `purchaseCount`, `purchaseAmount`, `purchasedSkus`, `member`; at most 64 nodes) and `notify.newsletterOnly`. The same "
                + "Idempotency-Key answers the same campaign.")
            .RequiresIdempotencyKey()
            .TakesJson<SpecialCampaignRequest>()
            .Produces<SpecialCampaignView>(201)
            .Refuses(Problems.InvalidRequest, Problems.IdempotencyKeyReused);
        api.MapGet("/v1/admin/special-campaigns/{campaignId}", (string campaignId, HttpContext http, SpecialCampaignStore store, CampaignScan scan) => Get(campaignId, http, store, scan))
            .RequireScope(Scopes.Admin)
            .Describe("getSpecialCampaign", ApiTags.Admin, "A special points campaign: state, counts, timestamps",
                "Counts per phase (documents and members read, targeted, holding the points, skipped, purchase histories read, pages) as far as the scan got.")
            .Produces<SpecialCampaignView>()
            .Refuses(Problems.InvalidRequest, CampaignNotFound);
        foreach (var (phase, operation, summary) in new[]
        {
            (CampaignScan.Preview, "previewSpecialCampaign", "Count a campaign's targets (a job over every member)"),
            (CampaignScan.Grant, "grantSpecialCampaign", "Grant a campaign's points to every target, once each (a job over every member)"),
        })
        {
            api.MapPost($"/v1/admin/special-campaigns/{{campaignId}}/{phase}", (string campaignId, HttpContext http, SpecialCampaignStore store, CampaignScan scan,
                    ProgramSettingsStore settings, TimeProvider clock) => Start(campaignId, phase, http, store, scan, settings, clock))
                .RequireScope(Scopes.Admin)
                .Describe(operation, ApiTags.Admin, summary,
                    "202 with the campaign while the job runs (GET it for progress); called again, it resumes a job that stopped and answers 200 once done.")
                .Produces<SpecialCampaignView>(202)
                .Refuses(Problems.InvalidRequest, CampaignNotFound, CampaignExpired);
        }

        api.MapPost("/v1/admin/special-grants/preview", PreviewNow).RequireScope(Scopes.Admin)
            .Describe("previewSpecialGrant", ApiTags.Admin, "Count the members of a segment now",
                "Reads every member in this request; for a large program draft a campaign and preview it as a job.")
            .TakesJson<SegmentRequest>()
            .Produces<PreviewCount>()
            .Refuses(Problems.InvalidRequest);
        api.MapPost("/v1/admin/special-grants", CreateAndGrant).RequireScope(Scopes.Admin)
            .Describe("createSpecialGrant", ApiTags.Admin, "Grant special points to a segment (a campaign drafted and granted at once)",
                "As a campaign's draft and grant together; an Idempotency-Key (optional here) answers the same grant again.")
            .TakesJson<SpecialCampaignRequest>()
            .Produces<GrantAccepted>(202)
            .Refuses(Problems.InvalidRequest, Problems.IdempotencyKeyReused, CampaignExpired);
        api.MapGet("/v1/admin/special-grants/{grantId}", (string grantId, HttpContext http, SpecialCampaignStore store, CampaignScan scan) => Get(grantId, http, store, scan))
            .RequireScope(Scopes.Admin)
            .Describe("getSpecialGrant", ApiTags.Admin, "A special grant's status and counts", "The campaign of the grant.")
            .Produces<SpecialCampaignView>()
            .Refuses(Problems.InvalidRequest, CampaignNotFound);

        api.MapPost("/v1/admin/members/{memberId}/special-points/invalidate", Invalidate).RequireScope(Scopes.Admin)
            .Describe("invalidateSpecialPoints", ApiTags.Admin, "Invalidate a member's special points of a campaign or a lot",
                "The remaining points of the member's special lots of `campaignId` (or of the special lot `lotId`) leave the balance as an `invalidate` entry. "
                + "Regular and purchased points are never taken, spent points stay spent; a second call finds nothing left and answers 0 points.")
            .TakesJson<InvalidateRequest>()
            .Produces<InvalidationResponse>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound);
        api.MapPost("/v1/admin/members/{memberId}/special-points/{lotId}/invalidate", InvalidateLot).RequireScope(Scopes.Admin)
            .Describe("invalidateSpecialLot", ApiTags.Admin, "Invalidate one special lot of a member", "As `invalidateSpecialPoints` with `lotId`.")
            .TakesJson<ReasonRequest>()
            .Produces<InvalidationResponse>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound);
    }

    private static async Task<IResult> Create(HttpContext http, SpecialCampaignStore store, CampaignScan scan, ProgramSettingsStore settings, TimeProvider clock)
    {
        if (!RequestReader.TryIdempotencyKey(http, out var key, out var problem)) return problem!;
        var (created, failure) = await CreateCampaignAsync(http, key, store, settings, clock);
        return failure ?? await Get(created!.Id, http, store, scan, StatusCodes.Status201Created);
    }

    private static async Task<IResult> CreateAndGrant(HttpContext http, SpecialCampaignStore store, CampaignScan scan, ProgramSettingsStore settings, TimeProvider clock)
    {
        // The key is optional here (api.md names none): without one, every call is a new grant.
        var key = Guid.NewGuid().ToString("N");
        if (http.Request.Headers.ContainsKey("Idempotency-Key") && !RequestReader.TryIdempotencyKey(http, out key, out var problem)) return problem!;
        var (created, failure) = await CreateCampaignAsync(http, key, store, settings, clock);
        if (failure is not null) return failure;
        var (started, startFailure) = await StartAsync(created!.Id, CampaignScan.Grant, store, scan, settings, clock, http.RequestAborted);
        return startFailure ?? Results.Json(new GrantAccepted(started!.Id, Status(started.State)), JsonDefaults.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Validates the body and creates the campaign under an id derived from the key: the same key and body answer the same campaign.</summary>
    private static async Task<(SpecialCampaignDocument? Campaign, IResult? Problem)> CreateCampaignAsync(HttpContext http, string key, SpecialCampaignStore store,
        ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        var (request, problem) = await RequestReader.ReadBodyAsync<SpecialCampaignRequest>(http);
        if (problem is not null) return (null, problem);
        var (campaign, errors) = await CreateCampaignAsync(request!, key, store, settingsStore, clock, http.RequestAborted);
        return errors is null ? (campaign, null)
            : (null, errors.Count == 0 ? Problems.For(Problems.IdempotencyKeyReused) : Problems.Invalid("Some fields are invalid.", errors));
    }

    /// <summary>
    /// Checks the draft and creates the campaign under an id derived from <paramref name="key"/> (the API and the
    /// console). Errors by field; an empty set of errors: the key was used for another draft.
    /// </summary>
    public static async Task<(SpecialCampaignDocument? Campaign, Dictionary<string, string[]>? Errors)> CreateCampaignAsync(SpecialCampaignRequest request, string key,
        SpecialCampaignStore store, ProgramSettingsStore settingsStore, TimeProvider clock, CancellationToken cancellationToken)
    {
        var today = (await settingsStore.GetAsync(cancellationToken)).DateOf(clock.GetUtcNow());
        var errors = new Dictionary<string, string[]>();
        var name = request!.Name?.Trim();
        if (name is not { Length: > 0 and <= NameLengthMax } || TextRules.Check(name) is not null) errors["name"] = [$"1–{NameLengthMax} characters."];
        if (request.Points is not (> 0 and <= PointAmount.PerRequestMax)) errors["points"] = [$"1..{PointAmount.PerRequestMax} points."];
        if ((request.ExpiresOn is null) == (request.ExpiresAfterDays is null)) errors["expiresOn"] = ["Give expiresOn or expiresAfterDays, one of them."];
        if (request.ExpiresAfterDays is < 1 or > ExpiryDaysMax) errors["expiresAfterDays"] = [$"1..{ExpiryDaysMax} days."];
        if (request.ExpiresOn is { } on && (on < today || on > today.AddDays(ExpiryDaysMax))) errors["expiresOn"] = [$"From today to {ExpiryDaysMax} days ahead."];
        if (request.Segment is { } json) SegmentJson.Parse(json, "segment", errors);
        else errors["segment"] = ["Who the campaign targets: a segment node."];
        if (errors.Count > 0) return (null, errors);

        var hash = RequestReader.HashOf("POST", "/v1/admin/special-campaigns", request);
        var campaign = new SpecialCampaignDocument
        {
            Id = "sc-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..20],
            Name = name!, Points = request.Points!.Value, ExpiresOn = request.ExpiresOn ?? today.AddDays(request.ExpiresAfterDays!.Value),
            Segment = request.Segment!.Value.Clone(), NewsletterOnly = request.Notify?.NewsletterOnly ?? false, RequestHash = hash, CreatedAt = clock.GetUtcNow(),
        };
        if (await store.CreateAsync(campaign, cancellationToken)) return (campaign, null);
        var (existing, _) = await store.ReadAsync(campaign.Id, cancellationToken);
        return existing?.RequestHash == hash ? (existing, null) : (null, []);
    }

    private static async Task<IResult> Start(string campaignId, string phase, HttpContext http, SpecialCampaignStore store, CampaignScan scan,
        ProgramSettingsStore settings, TimeProvider clock)
    {
        if (!RequestReader.IsWellFormedId(campaignId)) return RequestReader.InvalidId("campaignId");
        var (started, problem) = await StartAsync(campaignId, phase, store, scan, settings, clock, http.RequestAborted);
        if (problem is not null) return problem;
        var done = started!.State is CampaignState.Granted || (phase == CampaignScan.Preview && started.State is not CampaignState.Previewing);
        return await Get(campaignId, http, store, scan, done ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// Moves the campaign into the phase (a draft or previewed campaign may be granted; a draft previewed) and starts or
    /// resumes its scan. A phase running resumes; a phase done answers the campaign as it is.
    /// </summary>
    public static async Task<(SpecialCampaignDocument? Campaign, IResult? Problem)> StartAsync(string campaignId, string phase, SpecialCampaignStore store,
        CampaignScan scan, ProgramSettingsStore settingsStore, TimeProvider clock, CancellationToken cancellationToken)
    {
        var running = phase == CampaignScan.Grant ? CampaignState.Granting : CampaignState.Previewing;
        while (true)
        {
            var (campaign, etag) = await store.ReadAsync(campaignId, cancellationToken);
            if (campaign is null) return (null, Problems.For(CampaignNotFound));
            var startable = phase == CampaignScan.Grant ? campaign.State is CampaignState.Draft or CampaignState.Previewed or CampaignState.Previewing
                : campaign.State is CampaignState.Draft;
            if (campaign.State == running)
            {
                await scan.StartAsync(campaignId, phase, cancellationToken); // resumes
                return ((await store.ReadAsync(campaignId, cancellationToken)).Document, null);
            }
            if (!startable) return (campaign, null); // done (or granted while asked to preview): nothing to start
            if (phase == CampaignScan.Grant && campaign.ExpiresOn < (await settingsStore.GetAsync(cancellationToken)).DateOf(clock.GetUtcNow()))
            {
                return (null, Problems.For(CampaignExpired, $"The points would have expired on {campaign.ExpiresOn:yyyy-MM-dd}."));
            }
            var next = campaign with { State = running, GrantStartedAt = phase == CampaignScan.Grant ? clock.GetUtcNow() : campaign.GrantStartedAt };
            if (await store.TryReplaceAsync(next, etag!, cancellationToken))
            {
                await scan.StartAsync(campaignId, phase, cancellationToken);
                return ((await store.ReadAsync(campaignId, cancellationToken)).Document, null);
            }
        }
    }

    private static async Task<IResult> Get(string campaignId, HttpContext http, SpecialCampaignStore store, CampaignScan scan, int status = StatusCodes.Status200OK)
    {
        if (!RequestReader.IsWellFormedId(campaignId)) return RequestReader.InvalidId("campaignId");
        var (campaign, _) = await store.ReadAsync(campaignId, http.RequestAborted);
        if (campaign is null) return Problems.For(CampaignNotFound);
        var preview = await scan.ProgressAsync(campaignId, CampaignScan.Preview, http.RequestAborted);
        var grant = await scan.ProgressAsync(campaignId, CampaignScan.Grant, http.RequestAborted);
        var view = new SpecialCampaignView(campaign.Id, campaign.Id, campaign.Name, campaign.Points, campaign.ExpiresOn, campaign.Segment, campaign.NewsletterOnly,
            campaign.State, Status(campaign.State), preview?.Counts, grant?.Counts, (grant ?? preview)?.Counts.Targeted, grant?.Counts.Granted ?? 0,
            grant?.Counts.Skipped ?? 0, (grant ?? preview)?.Sample ?? [], campaign.CreatedAt, campaign.PreviewedAt, campaign.GrantStartedAt, campaign.GrantedAt,
            campaign.NotifyBlob);
        return Results.Json(view, JsonDefaults.Options, statusCode: status);
    }

    private static string Status(CampaignState state) => JsonNamingPolicy.CamelCase.ConvertName(state.ToString());

    private static async Task<IResult> PreviewNow(HttpContext http, CampaignScan scan)
    {
        var (request, problem) = await RequestReader.ReadBodyAsync<SegmentRequest>(http);
        if (problem is not null) return problem;
        var errors = new Dictionary<string, string[]>();
        if (request!.Segment is not { } json) return Problems.Invalid("segment", "Who to count: a segment node.");
        if (SegmentJson.Parse(json, "segment", errors) is not { } segment) return Problems.Invalid("The segment is not valid.", errors);
        var (counts, sample) = await scan.CountAsync(segment, http.RequestAborted);
        return Results.Json(new PreviewCount(counts.Targeted, counts.MembersRead, sample), JsonDefaults.Options);
    }

    private static async Task<IResult> Invalidate(string memberId, HttpContext http, MemberLedger ledger)
    {
        var (request, problem) = await RequestReader.ReadBodyAsync<InvalidateRequest>(http);
        if (problem is not null) return problem;
        if ((request!.CampaignId is null) == (request.LotId is null)) return Problems.Invalid("campaignId", "Give campaignId or lotId, one of them.");
        return await InvalidateAsync(memberId, request.CampaignId, request.LotId, request.Reason, http, ledger);
    }

    private static async Task<IResult> InvalidateLot(string memberId, string lotId, HttpContext http, MemberLedger ledger)
    {
        var request = http.Request.ContentLength is > 0 ? await RequestReader.ReadBodyAsync<ReasonRequest>(http) : (new ReasonRequest(null), null);
        if (request.Item2 is { } problem) return problem;
        return await InvalidateAsync(memberId, null, lotId, request.Item1!.Reason, http, ledger);
    }

    private static async Task<IResult> InvalidateAsync(string memberId, string? campaignId, string? lotId, string? reason, HttpContext http, MemberLedger ledger)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (campaignId is not null && !RequestReader.IsWellFormedId(campaignId)) return RequestReader.InvalidId("campaignId");
        if (lotId is not null && !RequestReader.IsWellFormedId(lotId)) return RequestReader.InvalidId("lotId");
        reason = reason?.Trim();
        if (reason is { Length: 0 or > ReasonLengthMax } || (reason is not null && TextRules.Check(reason) is not null))
            return Problems.Invalid("reason", $"1–{ReasonLengthMax} characters, or leave it out.");
        var result = await ledger.ExecuteAsync(id, Invalidation(campaignId, lotId, reason, http.CallerName()));
        return result.ToHttp(http, StatusCodes.Status200OK);
    }

    /// <summary>Invalidates a member's special points of a campaign or one lot (the API and the console make it so).</summary>
    public static MemberOperation Invalidation(string? campaignId, string? lotId, string? reason, string actor) =>
        new(actor, null, "", input => SpecialPointsDecider.Invalidate(input.Member, campaignId, lotId, reason, input.Context));
}

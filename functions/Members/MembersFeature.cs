using Points.Domain.Earning;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Earning;
using Points.Functions.Hosting;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Members;

public sealed record RegisterMemberRequest(
    DateOnly? JoinedOn, DateOnly? BirthDate, IReadOnlyList<string>? Tags, string? StoreId, bool? NewsletterOptIn, string? ReferredByCode);

/// <summary>A member as the directory lists them.</summary>
public sealed record DirectoryMember(string MemberId, IReadOnlyList<string> Tags, string Rank, string? StoreId, DateOnly JoinedOn, bool NewsletterOptIn);

/// <param name="Continuation">Pass as <c>continuation</c> for the next page; null at the end.</param>
public sealed record MemberDirectoryPage(IReadOnlyList<DirectoryMember> Items, string? Continuation);

/// <summary>Members (F1, F9): registration and profile, referral codes, the summary and the history.</summary>
public sealed class MembersFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ReferralCodes>();
        services.AddSingleton<MemberViews>();
        services.AddSingleton<MemberImport>();
        services.AddSingleton<MigrationImport>();
        services.AddSingleton<PurchaseHistoryImport>();
        services.AddSingleton<MemberCommitStep>(change => MemberDirectory.Derive(change.Before, change.After));
        services.AddOutboxHandler<ListInDirectory, MemberDirectoryStore>("directory");
    }

    public override void MapFunctions(WebApplication app)
    {
        Imports.ImportsFeature.MapImport<MemberImport>(app, MemberImport.FunctionName);
        Imports.ImportsFeature.MapImport<MigrationImport>(app, MigrationImport.FunctionName);
        Imports.ImportsFeature.MapImport<PurchaseHistoryImport>(app, PurchaseHistoryImport.FunctionName);
    }

    public override IEnumerable<RejectionProblem> Rejections =>
    [
        new(RegistrationRejection.InvalidReferralCode, new("invalid_referral_code", 422, "No member has that referral code.")),
        new(RegistrationRejection.SelfReferral, new("self_referral", 422, "A member cannot refer themselves.")),
        new(RegistrationRejection.ReferralAfterRegistration, new("referral_after_registration", 422, "A referral code can only be given when the member registers.")),
        new(MigrationRejection.AlreadyMigrated, new("already_migrated", 409, "The member's balance, or this lot, was brought over already.")),
        new(MigrationRejection.TooManyLots, new("too_many_lots", 422, "More lots for one member than a migration takes.")),
    ];

    public const int TagsMax = 20;
    public const int TagLengthMax = 50;
    public const int ReferralCodeLengthMax = 32;
    public const int HistoryLimitDefault = 50;

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapPut("/v1/members/{memberId}", RegisterOrUpdate).RequireScope(Scopes.MembersWrite)
            .Describe("registerMember", ApiTags.Members, "Register a member or update their profile",
                "Registers the member on the first call (201), firing the `registration` trigger and, with a valid `referredByCode`, "
                + "the referral rules for both members; later calls update the profile (200). A PUT is idempotent by nature: no Idempotency-Key.")
            .TakesJson<RegisterMemberRequest>()
            .Produces<MemberSummary>(200).Produces<MemberSummary>(201)
            .Refuses(Problems.InvalidRequest)
            .Refuses(RegistrationRejection.InvalidReferralCode, RegistrationRejection.SelfReferral, RegistrationRejection.ReferralAfterRegistration);
        api.MapGet("/v1/members/{memberId}", Get).RequireScope(Scopes.MembersRead)
            .Describe("getMember", ApiTags.Members, "Read a member's balance summary",
                "The member's balance, available, held, pending points and debt, points by kind, rank, lifetime earned, referral code "
                + "and the next three dates on which points expire.")
            .Produces<MemberSummary>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound);
        api.MapGet("/v1/members/{memberId}/transactions", History).RequireScope(Scopes.MembersRead)
            .Describe("listTransactions", ApiTags.Members, "Read a member's history, newest first",
                $"One page of the member's journal entries (earns, spends, reversals, expiries, adjustments…), newest first: `limit` "
                + $"entries (default {HistoryLimitDefault}, at most {LedgerLimits.HistoryLimitMax}) before sequence number `before`; `next` is the `before` of the next page, null at the end.")
            .QueryIs("limit", Microsoft.OpenApi.JsonSchemaType.Integer, "int32")
            .QueryIs("before", Microsoft.OpenApi.JsonSchemaType.Integer, "int64")
            .Produces<HistoryPage>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound);
        api.MapGet("/v1/admin/members", Search).RequireScope(Scopes.Admin)
            .Describe("searchMembers", ApiTags.Admin, "Find members in the member directory",
                $"Members matching every filter given: `tag`, `rank`, `store`, `joinedFrom`/`joinedTo` (join dates, inclusive), `q` (the beginning "
                + $"of the member id); `limit` per page (default {SearchLimitDefault}, at most {SearchLimitMax}); pass `continuation` for the next page, "
                + "null at the end. The directory follows every change of a member within moments of its commit.")
            .QueryIs("limit", Microsoft.OpenApi.JsonSchemaType.Integer, "int32")
            .QueryIs("joinedFrom", Microsoft.OpenApi.JsonSchemaType.String, "date")
            .QueryIs("joinedTo", Microsoft.OpenApi.JsonSchemaType.String, "date")
            .Produces<MemberDirectoryPage>()
            .Refuses(Problems.InvalidRequest);
    }

    public const int SearchLimitDefault = 50;
    public const int SearchLimitMax = 200;

    private static async Task<IResult> Search(HttpContext http, MemberDirectoryStore directory)
    {
        var errors = new Dictionary<string, string[]>();
        string? Text(string name, Func<string, bool> ok, string rule)
        {
            if (!RequestReader.TryQueryText(http, name, out var value, out _)) errors[name] = ["Give this parameter once."];
            else if (value is not null && !ok(value)) errors[name] = [rule];
            return errors.ContainsKey(name) ? null : value;
        }
        DateOnly? Date(string name) => CalendarText.TryParseDay(Text(name, v => CalendarText.TryParseDay(v) is not null, "A date, yyyy-MM-dd."));
        var search = new MemberSearch(
            Text("tag", v => v.Length is > 0 and <= TagLengthMax && TextRules.Check(v) is null, $"1–{TagLengthMax} characters, no control characters."),
            Text("rank", v => v.Length is > 0 and <= TagLengthMax && TextRules.Check(v) is null, $"1–{TagLengthMax} characters, no control characters."),
            Text("store", RequestReader.IsWellFormedId, $"1–{RequestReader.IdLengthMax} characters [A-Za-z0-9._:-]."),
            Date("joinedFrom"), Date("joinedTo"),
            Text("q", MemberId.IsWellFormed, $"The beginning of a member id: 1–{MemberId.LengthMax} characters [A-Za-z0-9._-]."));
        var continuation = Text("continuation", v => SearchPosition.FromToken(v) is not null, "Pass the continuation a page answered, unchanged.");
        if (!RequestReader.TryQueryInteger(http, "limit", 1, SearchLimitMax, out var limit, out var problem)) return problem!;
        if (search is { JoinedFrom: { } from, JoinedTo: { } to } && from > to) errors["joinedTo"] = ["Not before joinedFrom."];
        if (errors.Count > 0) return Problems.Invalid("The search is invalid.", errors);

        var (items, next) = await directory.SearchAsync(search, (int)(limit ?? SearchLimitDefault),
            continuation is null ? SearchPosition.Start : SearchPosition.FromToken(continuation)!, http.RequestAborted);
        return Results.Json(new MemberDirectoryPage([.. items.Select(d => new DirectoryMember(d.MemberId, d.Tags, d.Rank, d.StoreId, d.JoinedOn, d.NewsletterOptIn))],
            next?.ToToken()), JsonDefaults.Options);
    }

    /// <summary>
    /// Registers (201) or updates (200) a member through the member commit path. A first registration reserves the
    /// member's referral code, and fires the <c>registration</c> trigger and, with a valid <c>referredByCode</c>, the
    /// <c>referral</c> trigger for the referrer and <c>referral_welcome</c> for the new member. Those triggers are
    /// idempotent events fired on every PUT until recorded, so a registration interrupted halfway is completed by the
    /// partner's retry.
    /// </summary>
    private static async Task<IResult> RegisterOrUpdate(string memberId, HttpContext http, LedgerStore store, ReferralCodes referralCodes,
        MemberLedger ledger, EarningConfigStore earning, ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<RegisterMemberRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        var settings = await settingsStore.GetAsync(http.RequestAborted);
        var today = settings.DateOf(clock.GetUtcNow());
        if (Validate(request!, today) is { } invalid) return invalid;

        var change = new ProfileChange(request!.JoinedOn, request.BirthDate, request.Tags, request.StoreId, request.NewsletterOptIn);
        var (registration, refusal) = await RegistrationAsync(id, change, request.ReferredByCode, store, referralCodes, http.CallerName(), http.RequestAborted);
        if (refusal is { } refused) return Problems.For(refused.Reason, refused.Detail);
        var registered = await ledger.ExecuteAsync(id, registration!);
        if (registered is not OperationResult.Applied { Result: RegistrationResponse outcome } applied) return registered.ToHttp(http, StatusCodes.Status200OK);

        var member = await FireRegistrationTriggersAsync(applied.Member, ledger, await earning.GetConfigAsync(settings, http.RequestAborted),
            settings, http.CallerName(), http.RequestAborted) ?? (await store.ReadAccountAsync(id, http.RequestAborted)).Account!.Member;
        return Results.Json(MemberViews.Summary(member, today), JsonDefaults.Options, statusCode: outcome.Created ? 201 : 200);
    }

    /// <summary>
    /// The registration or profile update of a member as the API and the bulk members file make it: the referral is
    /// checked on the member as read, so that no referral code is reserved for a refused request (the registration
    /// decides again on the member as committed), and a new member's own referral code is reserved.
    /// </summary>
    public static async Task<(MemberOperation? Operation, (RegistrationRejection Reason, string Detail)? Refusal)> RegistrationAsync(MemberId id,
        ProfileChange change, string? referredByCode, LedgerStore store, ReferralCodes referralCodes, string actor, CancellationToken cancellationToken)
    {
        var (existing, _) = await store.ReadAccountAsync(id, cancellationToken);
        var referral = referredByCode is { } code
            // A registered member repeating the code they registered with was checked then (codes are never deleted).
            ? new ReferralClaim(code, existing is null ? await referralCodes.FindAsync(code, cancellationToken) : null)
            : null;
        if (Registration.CheckReferral(id, existing?.Profile, referral) is { } refusal) return (null, refusal);
        var newcomer = existing is null ? new Newcomer(await referralCodes.ReserveAsync(id.Value, cancellationToken), referral?.Code, referral?.Referrer) : null;
        return (Register(id, change, newcomer, referral, actor), null);
    }

    /// <summary>
    /// Registers the member or updates their profile, through the one commit path: a registration creates the member
    /// document. PUT is idempotent by nature, so no idempotency key.
    /// </summary>
    /// <param name="newcomer">For a member not registered yet (their reserved referral code); ignored for a registered one.</param>
    public static MemberOperation Register(MemberId memberId, ProfileChange change, Newcomer? newcomer, ReferralClaim? referral, string actor) =>
        new(actor, null, "", input => Registration.Decide(memberId, input.Found, change, newcomer, referral, input.Context.Today)) { MayCreate = true };

    /// <summary>
    /// Fires the once-in-a-life triggers not yet fired for this member. The new member records each one in the commit
    /// that grants it, so a PUT months later fires nothing; the referrer is paid (event <c>referral:{member}</c>) only
    /// while the new member's welcome is still unrecorded, i.e. during registration and its prompt retries. Returns the
    /// member as the triggers left them, or null when only a read can tell (a trigger's answer was a replay).
    /// </summary>
    private static async Task<Member?> FireRegistrationTriggersAsync(Member member, MemberLedger ledger, EarningConfig config,
        ProgramSettings settings, string actor, CancellationToken cancellationToken)
    {
        var fired = member.Earning.OnceTriggersFired;
        var profile = member.Profile;
        Task<OperationResult> Fire(MemberId target, string trigger, string eventId, bool oncePerMember)
        {
            return ledger.ExecuteAsync(target, new MemberOperation(actor, EarningOperation.KeyOf(eventId),
                RequestReader.HashOf("TRIGGER", trigger, new { eventId, member = target.Value }),
                input => EarningDecider.Decide(input.Member, new EarnCommand(
                    new EarningEvent(eventId, trigger, input.Context.Now, input.Context.Today, null, profile.StoreId, null) { LocalTime = input.Context.LocalTime }, member.Id.Value)
                { OncePerMember = oncePerMember }, config, input.Context)));
        }

        Member? latest = member;
        static Member? MemberAfter(OperationResult result) => result is OperationResult.Applied applied ? applied.Member : null;
        if (!fired.Contains(Triggers.Registration))
        {
            latest = MemberAfter(await Fire(member.Id, Triggers.Registration, $"registration:{member.Id}", oncePerMember: true));
        }
        if (profile.ReferredBy is { } referrer && MemberId.TryParse(referrer, out var referrerId) && !fired.Contains(Triggers.ReferralWelcome))
        {
            await Fire(referrerId, Triggers.Referral, $"referral:{member.Id}", oncePerMember: false);
            latest = MemberAfter(await Fire(member.Id, Triggers.ReferralWelcome, $"referral-welcome:{member.Id}", oncePerMember: true));
        }
        return latest;
    }

    private static IResult? Validate(RegisterMemberRequest request, DateOnly today)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Tags is { } tags && (tags.Count > TagsMax || tags.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > TagLengthMax)))
            errors["tags"] = [$"At most {TagsMax} tags of 1–{TagLengthMax} characters."];
        if (request.StoreId is { } store && (store.Length is 0 or > RequestReader.IdLengthMax))
            errors["storeId"] = [$"1–{RequestReader.IdLengthMax} characters."];
        if (request.BirthDate > today) errors["birthDate"] = ["Must not be in the future."];
        if (request.JoinedOn > today) errors["joinedOn"] = ["Must not be in the future."];
        if (request.ReferredByCode is { Length: 0 or > ReferralCodeLengthMax }) errors["referredByCode"] = [$"1–{ReferralCodeLengthMax} characters."];
        return errors.Count == 0 ? null : Problems.Invalid("Some fields are invalid.", errors);
    }

    private static async Task<IResult> Get(string memberId, HttpContext http, LedgerStore store, ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        var (account, _) = await store.ReadAccountAsync(id, http.RequestAborted);
        if (account is null) return Problems.For(Problems.MemberNotFound);
        var settings = await settingsStore.GetAsync(http.RequestAborted);
        return Results.Json(MemberViews.Summary(account.Member, settings.DateOf(clock.GetUtcNow())), JsonDefaults.Options);
    }

    /// <summary>
    /// The history, newest first. <paramref name="limit"/> and <paramref name="before"/> are bound as text, which cannot
    /// fail (so they stay declared query parameters), and parsed here with a 400 naming them (<see cref="RequestReader.TryQueryInteger"/>).
    /// </summary>
    private static async Task<IResult> History(string memberId, string? limit, string? before, HttpContext http, LedgerStore store, MemberViews views,
        ProgramSettingsStore settingsStore)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (!RequestReader.TryQueryInteger(http, nameof(limit), 1, LedgerLimits.HistoryLimitMax, out var pageSize, out problem)) return problem!;
        if (!RequestReader.TryQueryInteger(http, nameof(before), 1, long.MaxValue, out var beforeSeq, out problem)) return problem!;
        var (account, _) = await store.ReadAccountAsync(id, http.RequestAborted);
        if (account is null) return Problems.For(Problems.MemberNotFound);
        var settings = await settingsStore.GetAsync(http.RequestAborted);
        var page = await views.HistoryAsync(account, (int)(pageSize ?? HistoryLimitDefault), beforeSeq, settings.Zone, http.RequestAborted);
        return Results.Json(page, JsonDefaults.Options);
    }
}

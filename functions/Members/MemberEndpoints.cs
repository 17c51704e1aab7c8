using System.Collections.Immutable;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Earning;
using Points.Functions.Auth;
using Points.Functions.Ledger;
using Points.Functions.Ranks;
using Points.Functions.Settings;

namespace Points.Functions.Members;

public sealed record RegisterMemberRequest(
    DateOnly? JoinedOn, DateOnly? BirthDate, IReadOnlyList<string>? Tags, string? StoreId, bool? NewsletterOptIn, string? ReferredByCode);

public static class MemberEndpoints
{
    private const int TagsMax = 20;
    private const int TagLengthMax = 50;

    public static void MapMemberEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPut("/v1/members/{memberId}", RegisterOrUpdate).RequireScope(Scopes.MembersWrite)
            .Produces<MemberSummary>(200).Produces<MemberSummary>(201).ProducesProblem(400).ProducesProblem(401).ProducesProblem(403);
        api.MapGet("/v1/members/{memberId}", Get).RequireScope(Scopes.MembersRead)
            .Produces<MemberSummary>().ProducesProblem(404);
        api.MapGet("/v1/members/{memberId}/transactions", History).RequireScope(Scopes.MembersRead)
            .Produces<HistoryPage>().ProducesProblem(400).ProducesProblem(404);
    }

    /// <summary>
    /// Registers (201) or updates (200) a member. A first registration reserves the member's referral code, and fires
    /// the <c>registration</c> trigger and, with a valid <c>referredByCode</c>, the <c>referral</c> trigger for the
    /// referrer and <c>referral_welcome</c> for the new member. Those triggers are idempotent events fired on every PUT,
    /// so a registration interrupted halfway is completed by the partner's retry.
    /// </summary>
    private static async Task<IResult> RegisterOrUpdate(string memberId, HttpContext http, MemberRegistry registry, LedgerStore store,
        ReferralCodes referralCodes, MemberLedger ledger, EarningConfigStore earning, ProgramSettingsStore settingsStore, TimeProvider clock,
        AnniversaryIndex anniversaries)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<RegisterMemberRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        var now = clock.GetUtcNow();
        var settings = await settingsStore.GetAsync(http.RequestAborted);
        var today = ProgramCalendar.DateOf(now, settings.Zone);
        if (Validate(request!, today) is { } invalid) return invalid;

        var (existing, existingETag) = await store.ReadAccountAsync(id, http.RequestAborted);
        string? referrer = existing?.Profile.ReferredBy;
        if (request!.ReferredByCode is { } code)
        {
            if (existing is not null && !string.Equals(existing.Profile.ReferredByCode, code, StringComparison.OrdinalIgnoreCase))
                return existing.Profile.ReferralCode.Equals(code, StringComparison.OrdinalIgnoreCase)
                    ? Problems.For("self_referral")
                    : Problems.For("referral_after_registration", "The member is registered already.");
            if (existing is null)
            {
                // An existing member repeating the code they registered with was checked then (codes are never deleted).
                referrer = await referralCodes.FindAsync(code, http.RequestAborted);
                if (referrer is null) return Problems.For("invalid_referral_code");
                if (referrer == id.Value) return Problems.For("self_referral");
            }
        }
        var newCode = existing is null ? await referralCodes.ReserveAsync(id.Value, http.RequestAborted) : null;
        // Anniversaries (F19): listed under the join day before the profile naming it is committed (the job drops stale entries).
        await anniversaries.ListAsync(id, request.JoinedOn ?? existing?.Profile.JoinedOn ?? today, existing?.Profile.JoinedOn, http.RequestAborted);

        var outcome = await registry.RegisterOrUpdateAsync(id, (existing, existingETag), current => (current ?? new MemberProfile
        {
            JoinedOn = request.JoinedOn ?? today,
            ReferralCode = newCode ?? throw new InvalidOperationException("A member appeared without a reserved referral code."),
            ReferredByCode = request.ReferredByCode?.ToUpperInvariant(),
            ReferredBy = referrer,
        }) with
        {
            JoinedOn = request.JoinedOn ?? current?.JoinedOn ?? today,
            BirthDate = request.BirthDate ?? current?.BirthDate,
            Tags = request.Tags is { } tags ? [.. tags.Distinct(StringComparer.Ordinal)] : current?.Tags ?? ImmutableArray<string>.Empty,
            StoreId = request.StoreId ?? current?.StoreId,
            NewsletterOptIn = request.NewsletterOptIn ?? current?.NewsletterOptIn ?? false,
        }, now, http.RequestAborted);

        var account = await FireRegistrationTriggersAsync(id, outcome.Account, ledger, earning, settings, http.CallerName(), now, http.RequestAborted)
            ?? (await store.ReadAccountAsync(id, http.RequestAborted)).Account!;
        var summary = MemberViews.Summary(account, today);
        return Results.Json(summary, Storage.JsonDefaults.Options, statusCode: outcome.Created ? 201 : 200);
    }

    /// <summary>
    /// Fires the once-in-a-life triggers not yet fired for this member. The new member's account records each one in
    /// the commit that grants it, so a PUT months later fires nothing; the referrer is paid (event
    /// <c>referral:{member}</c>) only while the new member's welcome is still unrecorded, i.e. during registration
    /// and its prompt retries. Returns the member's account as the triggers left it, or null when only a read can tell
    /// (a trigger's answer was a replay).
    /// </summary>
    private static async Task<AccountDocument?> FireRegistrationTriggersAsync(MemberId memberId, AccountDocument account, MemberLedger ledger, EarningConfigStore earning,
        ProgramSettings settings, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var fired = account.Earning.OnceTriggersFired;
        var profile = account.Profile;
        var (rules, campaigns) = await earning.GetActiveAsync(cancellationToken);
        Task<OperationResult> Fire(MemberId member, string trigger, string eventId, bool oncePerMember) => ledger.ExecuteAsync(member, EarningOperation.For(
            new EarningOperation.Input(eventId, trigger, now, null, profile.StoreId, null, memberId.Value) { OncePerMember = oncePerMember },
            rules, campaigns, settings, actor, RequestReader.HashOf("TRIGGER", trigger, new { eventId, member = member.Value })));

        AccountDocument? latest = account;
        static AccountDocument? AccountAfter(OperationResult result) => result is OperationResult.Applied applied ? applied.Account : null;
        if (!fired.Contains("registration"))
        {
            latest = AccountAfter(await Fire(memberId, "registration", $"registration:{memberId}", oncePerMember: true));
        }
        if (profile.ReferredBy is { } referrer && MemberId.TryParse(referrer, out var referrerId) && !fired.Contains(Triggers.ReferralWelcome))
        {
            await Fire(referrerId, "referral", $"referral:{memberId}", oncePerMember: false);
            latest = AccountAfter(await Fire(memberId, Triggers.ReferralWelcome, $"referral-welcome:{memberId}", oncePerMember: true));
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
        if (request.ReferredByCode is { Length: 0 or > 32 }) errors["referredByCode"] = ["1–32 characters."];
        return errors.Count == 0 ? null : Problems.For("invalid_request", "Some fields are invalid.", errors);
    }

    private static async Task<IResult> Get(string memberId, HttpContext http, LedgerStore store, ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        var (account, _) = await store.ReadAccountAsync(id, http.RequestAborted);
        if (account is null) return Problems.For("member_not_found");
        var settings = await settingsStore.GetAsync(http.RequestAborted);
        return Results.Json(MemberViews.Summary(account, ProgramCalendar.DateOf(clock.GetUtcNow(), settings.Zone)), Storage.JsonDefaults.Options);
    }

    private static async Task<IResult> History(string memberId, int? limit, long? before, HttpContext http, LedgerStore store,
        MemberViews views, ProgramSettingsStore settingsStore)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (limit is < 1 or > LedgerLimits.HistoryLimitMax) return Problems.Invalid("limit", $"Must be 1..{LedgerLimits.HistoryLimitMax}.");
        if (before is < 1) return Problems.Invalid("before", "Must be a sequence number ≥ 1.");
        var (account, _) = await store.ReadAccountAsync(id, http.RequestAborted);
        if (account is null) return Problems.For("member_not_found");
        var settings = await settingsStore.GetAsync(http.RequestAborted);
        var page = await views.HistoryAsync(account, limit ?? 50, before, settings.Zone, http.RequestAborted);
        return Results.Json(page, Storage.JsonDefaults.Options);
    }
}

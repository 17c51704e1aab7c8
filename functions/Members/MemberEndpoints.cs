using System.Collections.Immutable;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Ledger;
using Points.Functions.Settings;

namespace Points.Functions.Members;

public sealed record RegisterMemberRequest(
    DateOnly? JoinedOn, DateOnly? BirthDate, IReadOnlyList<string>? Tags, string? StoreId, bool? NewsletterOptIn, string? ReferredByCode);

public static class MemberEndpoints
{
    private const int TagsMax = 20;
    private const int TagLengthMax = 50;
    private const int StoreIdLengthMax = 64;

    public static void MapMemberEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPut("/v1/members/{memberId}", RegisterOrUpdate).RequireScope(Scopes.MembersWrite)
            .Produces<MemberSummary>(200).Produces<MemberSummary>(201).ProducesProblem(400).ProducesProblem(401).ProducesProblem(403);
        api.MapGet("/v1/members/{memberId}", Get).RequireScope(Scopes.MembersRead)
            .Produces<MemberSummary>().ProducesProblem(404);
        api.MapGet("/v1/members/{memberId}/transactions", History).RequireScope(Scopes.MembersRead)
            .Produces<HistoryPage>().ProducesProblem(400).ProducesProblem(404);
    }

    private static async Task<IResult> RegisterOrUpdate(string memberId, HttpContext http, MemberRegistry registry,
        ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<RegisterMemberRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        var now = clock.GetUtcNow();
        var settings = await settingsStore.GetAsync(http.RequestAborted);
        var today = ProgramCalendar.DateOf(now, settings.Zone);
        if (Validate(request!, today) is { } invalid) return invalid;

        var outcome = await registry.RegisterOrUpdateAsync(id, existing => (existing ?? new MemberProfile
        {
            JoinedOn = request!.JoinedOn ?? today,
            ReferralCode = MemberRegistry.NewReferralCode(),
            ReferredByCode = request.ReferredByCode,
        }) with
        {
            JoinedOn = request!.JoinedOn ?? existing?.JoinedOn ?? today,
            BirthDate = request.BirthDate ?? existing?.BirthDate,
            Tags = request.Tags is { } tags ? [.. tags.Distinct(StringComparer.Ordinal)] : existing?.Tags ?? ImmutableArray<string>.Empty,
            StoreId = request.StoreId ?? existing?.StoreId,
            NewsletterOptIn = request.NewsletterOptIn ?? existing?.NewsletterOptIn ?? false,
        }, now, http.RequestAborted);

        var summary = MemberViews.Summary(outcome.Account, today);
        return outcome.Created ? Results.Json(summary, Storage.JsonDefaults.Options, statusCode: 201) : Results.Json(summary, Storage.JsonDefaults.Options);
    }

    private static IResult? Validate(RegisterMemberRequest request, DateOnly today)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Tags is { } tags && (tags.Count > TagsMax || tags.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > TagLengthMax)))
            errors["tags"] = [$"At most {TagsMax} tags of 1–{TagLengthMax} characters."];
        if (request.StoreId is { } store && (store.Length is 0 or > StoreIdLengthMax))
            errors["storeId"] = [$"1–{StoreIdLengthMax} characters."];
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

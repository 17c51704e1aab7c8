using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Functions.Api;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Earning;

/// <summary>An earning rule as admins write it (PUT /api/v1/admin/rules/{ruleId}).</summary>
public sealed record RuleSpec(
    [property: Required] string? Trigger, [property: Required] FormulaSpec? Formula, CapsSpec? Caps, EligibilitySpec? Eligibility, GrantSpec? Grant,
    DateTimeOffset? ActiveFrom, DateTimeOffset? ActiveUntil, int? Priority, bool? Stackable, bool? ApplyRankMultiplier,
    bool? ApplyNewRankImmediately);

public sealed record FormulaSpec([property: Required] string? Type, long? Points, long? UnitYen, long? PointsPerUnit, Rounding? Rounding);
public sealed record CapsSpec(CapLimit? PerDay, CapLimit? PerMonth, CapLimit? Lifetime);
public sealed record EligibilitySpec(IReadOnlyList<string>? Ranks, IReadOnlyList<string>? Tags, IReadOnlyList<string>? StoreIds, IReadOnlyList<string>? Channels);
public sealed record GrantSpec(LotKind? Kind, DateOnly? ExpiresOn, int? ExpiresAfterDays, int? PendingDays, int? ExpiresAtEndOfMonth = null);

public sealed record CampaignSpec([property: Required] int? MultiplierPermille, IReadOnlyList<string>? Triggers, IReadOnlyList<string>? StoreIds,
    IReadOnlyList<DayOfWeek>? DaysOfWeek, [property: Required] DateTimeOffset? From, [property: Required] DateTimeOffset? Until,
    string? HoursFrom = null, string? HoursUntil = null);

public static class EarningSpecs
{
    public const long PointsMax = 1_000_000;
    public const int ListItemsMax = 50;
    public const long UnitYenMax = 1_000_000;
    public const int SpecialExpiryDaysMax = 3650;
    public const int SpecialExpiryMonthsMax = 119;
    public const int PendingDaysMax = 365;
    public const int MultiplierPermilleMax = 100_000;
    /// <summary>A cap in points: the ledger's bound (far below 2^53, the largest integer a stored double keeps exactly).</summary>
    public const long CapPointsMax = Points.Domain.Primitives.PointAmount.MaxMagnitude;

    /// <param name="today">The program's today: a special expiry is at most <see cref="SpecialExpiryDaysMax"/> days after it.</param>
    public static Dictionary<string, string[]> Validate(RuleSpec spec, DateOnly today)
    {
        var errors = new Dictionary<string, string[]>();
        if (spec.Trigger is not { } trigger || !Triggers.IsKnownRuleTrigger(trigger))
            errors["trigger"] = ["An event type (login, purchase, …), referral_welcome, anniversary, birthday, birth_month, or custom:{name}."];
        switch (spec.Formula)
        {
            case { Type: "fixed", Points: > 0 and <= PointsMax }:
                break;
            case { Type: "rate", UnitYen: > 0 and <= UnitYenMax, PointsPerUnit: > 0 and <= PointsMax }:
                break;
            default:
                errors["formula"] = [$"{{type: fixed, points 1..{PointsMax}}} or {{type: rate, unitYen ≥ 1, pointsPerUnit ≥ 1, rounding?}}."];
                break;
        }
        foreach (var (name, cap) in new[] { ("perDay", spec.Caps?.PerDay), ("perMonth", spec.Caps?.PerMonth), ("lifetime", spec.Caps?.Lifetime) })
        {
            // Bounded above too: Cosmos DB stores numbers as doubles, so a cap near long.MaxValue came back as a number no
            // long holds and made every later read of the rules fail (found by the fuzzer).
            if (cap is { Times: < 1 } or { Points: < 1 or > CapPointsMax })
                errors[$"caps.{name}"] = [$"times (≥ 1) and points (1..{CapPointsMax}) when given."];
        }
        var grant = spec.Grant;
        if (grant?.Kind == LotKind.Purchased) errors["grant.kind"] = ["Rules grant regular or special points."];
        var expiries = new object?[] { grant?.ExpiresOn, grant?.ExpiresAfterDays, grant?.ExpiresAtEndOfMonth }.Count(e => e is not null);
        if (grant?.Kind == LotKind.Special && (expiries == 0 || grant.ExpiresAfterDays is < 1 or > SpecialExpiryDaysMax
            || grant.ExpiresAtEndOfMonth is < 0 or > SpecialExpiryMonthsMax))
            errors["grant"] = [$"Special points need one of expiresOn, expiresAfterDays (1..{SpecialExpiryDaysMax}) or expiresAtEndOfMonth (0..{SpecialExpiryMonthsMax} months after the event's)."];
        if (grant?.Kind != LotKind.Special && expiries > 0)
            errors["grant"] = ["Only special points take an expiry; regular points follow the program's policy."];
        if (grant?.PendingDays is < 0 or > PendingDaysMax) errors["grant.pendingDays"] = [$"0..{PendingDaysMax} days."];
        if (grant?.ExpiresOn > today.AddDays(SpecialExpiryDaysMax)) errors["grant.expiresOn"] = [$"At most {SpecialExpiryDaysMax} days (10 years) from today."];
        if (spec.ActiveFrom is { } from && spec.ActiveUntil is { } until && until <= from)
            errors["activeUntil"] = ["Must be after activeFrom."];
        CheckList(errors, "eligibility.ranks", spec.Eligibility?.Ranks);
        CheckList(errors, "eligibility.tags", spec.Eligibility?.Tags);
        CheckList(errors, "eligibility.storeIds", spec.Eligibility?.StoreIds);
        CheckList(errors, "eligibility.channels", spec.Eligibility?.Channels);
        return errors;
    }

    public static Dictionary<string, string[]> Validate(CampaignSpec spec)
    {
        var errors = new Dictionary<string, string[]>();
        if (spec.MultiplierPermille is not (> 0 and <= MultiplierPermilleMax)) errors["multiplierPermille"] = [$"1..{MultiplierPermilleMax} (1000 = ×1.0, 2000 = ×2.0)."];
        if (spec.From is null || spec.Until is null || spec.Until <= spec.From) errors["until"] = ["from and until are required; until after from."];
        if (spec.Triggers?.Any(t => !Triggers.IsKnownRuleTrigger(t)) == true) errors["triggers"] = ["Unknown trigger."];
        if (spec.Triggers?.Count > ListItemsMax) errors["triggers"] = [$"At most {ListItemsMax} triggers."];
        CheckList(errors, "storeIds", spec.StoreIds);
        if (spec.DaysOfWeek?.Count > ListItemsMax) errors["daysOfWeek"] = [$"At most {ListItemsMax} days."];
        if ((spec.HoursFrom is null) != (spec.HoursUntil is null)) errors["hoursUntil"] = ["hoursFrom and hoursUntil together, or neither."];
        foreach (var (field, text) in new[] { ("hoursFrom", spec.HoursFrom), ("hoursUntil", spec.HoursUntil) })
        {
            if (text is not null && ParseHour(text) is null) errors[field] = ["A time of day HH:mm in the program zone, such as 14:00."];
        }
        if (spec.HoursFrom is not null && spec.HoursFrom == spec.HoursUntil) errors["hoursUntil"] = ["Different from hoursFrom (an empty window)."];
        return errors;
    }

    /// <summary>The longest item of a list of a rule or campaign (a rank, tag, store id or channel).</summary>
    public const int ListItemLengthMax = 64;

    /// <summary>A list of names: at most <see cref="ListItemsMax"/> of 1–<see cref="ListItemLengthMax"/> characters, none blank.</summary>
    private static void CheckList(Dictionary<string, string[]> errors, string field, IReadOnlyList<string>? list)
    {
        if (list is { } items && (items.Count > ListItemsMax || items.Any(i => string.IsNullOrWhiteSpace(i) || i.Length > ListItemLengthMax)))
            errors[field] = [$"At most {ListItemsMax} items of 1–{ListItemLengthMax} characters, none blank."];
    }

    public static EarningRule ToRule(string ruleId, int version, RuleSpec spec) => new(
        ruleId, version, spec.Trigger!,
        spec.Formula!.Type == "fixed"
            ? new EarningFormula.Fixed(spec.Formula.Points!.Value)
            : new EarningFormula.Rate(spec.Formula.UnitYen!.Value, spec.Formula.PointsPerUnit!.Value, spec.Formula.Rounding ?? Rounding.Floor),
        new Caps(spec.Caps?.PerDay, spec.Caps?.PerMonth, spec.Caps?.Lifetime),
        new Eligibility(spec.Eligibility?.Ranks ?? [], spec.Eligibility?.Tags ?? [], spec.Eligibility?.StoreIds ?? [], spec.Eligibility?.Channels ?? []),
        new Grant(spec.Grant?.Kind ?? LotKind.Regular, spec.Grant?.ExpiresOn, spec.Grant?.ExpiresAfterDays, spec.Grant?.PendingDays)
        {
            ExpiresAtEndOfMonth = spec.Grant?.ExpiresAtEndOfMonth,
        },
        spec.ActiveFrom, spec.ActiveUntil, spec.Priority ?? 0, spec.Stackable ?? true, spec.ApplyRankMultiplier ?? true,
        spec.ApplyNewRankImmediately ?? false);

    public static Campaign ToCampaign(string campaignId, CampaignSpec spec) => new(
        campaignId, spec.MultiplierPermille!.Value, spec.Triggers ?? [], spec.StoreIds ?? [], spec.DaysOfWeek ?? [], spec.From!.Value, spec.Until!.Value)
    {
        HoursFrom = spec.HoursFrom is { } from ? ParseHour(from) : null,
        HoursUntil = spec.HoursUntil is { } until ? ParseHour(until) : null,
    };

    /// <summary>A time of day written <c>HH:mm</c> (00:00–23:59), or null.</summary>
    private static TimeOnly? ParseHour(string text) =>
        TimeOnly.TryParseExact(text, "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var time) ? time : null;
}

/// <summary>
/// Rules and campaigns in the config container (partitions <c>rules</c> and <c>campaigns</c>), read whole into a
/// <see cref="ConfigCache{T}"/> snapshot that also holds them as domain objects: every event needs them, and there are
/// few. A change applies to events processed after it.
/// </summary>
public sealed class EarningConfigStore
{
    public const int RulesMax = 200;
    /// <summary>The filter of live documents (<c>/deleted/?</c> is indexed on the config container: infra-bicep/modules/cosmos.bicep).</summary>
    private const string LiveOnly = "c.deleted = false";
    private readonly CosmosStorage _cosmos;
    private readonly TimeProvider _clock;
    private readonly ConfigCache<Snapshot> _cache;

    public EarningConfigStore(CosmosStorage cosmos, TimeProvider clock)
    {
        (_cosmos, _clock) = (cosmos, clock);
        _cache = new ConfigCache<Snapshot>(clock, async cancellationToken =>
        {
            // Both partitions at once: every event waits for this refresh.
            // Deleted rules and campaigns stay as documents (a re-created rule continues its versions) but are not read here.
            var rules = CosmosStorage.ReadPartitionAsync<RuleDocument>(cosmos.Config, "rules", LiveOnly, cancellationToken);
            var campaigns = CosmosStorage.ReadPartitionAsync<CampaignDocument>(cosmos.Config, "campaigns", LiveOnly, cancellationToken);
            return new Snapshot(await rules, await campaigns);
        });
    }

    public sealed record RuleDocument([property: JsonPropertyName("id")] string Id, string Pk, int Version, bool Deleted, RuleSpec Spec, DateTimeOffset UpdatedAt)
    {
        public EarningRule ToRule() => EarningSpecs.ToRule(Id, Version, Spec);

        /// <summary>The rule's ETag (api: PUT and DELETE take it in If-Match): of what admins see, version included.</summary>
        public string ETag() => Preconditions.ETagOf(new { ruleId = Id, Version, Spec, UpdatedAt });
    }

    public sealed record CampaignDocument([property: JsonPropertyName("id")] string Id, string Pk, bool Deleted, CampaignSpec Spec, DateTimeOffset UpdatedAt)
    {
        public Campaign ToCampaign() => EarningSpecs.ToCampaign(Id, Spec);

        /// <summary>The campaign's ETag (api: PUT and DELETE take it in If-Match).</summary>
        public string ETag() => Preconditions.ETagOf(new { campaignId = Id, Spec, UpdatedAt });
    }

    /// <summary>The stored documents and, mapped once per refresh, the active rules and campaigns.</summary>
    private sealed record Snapshot(IReadOnlyList<RuleDocument> RuleDocuments, IReadOnlyList<CampaignDocument> CampaignDocuments)
    {
        public IReadOnlyList<EarningRule> Rules { get; } = [.. RuleDocuments.Select(r => r.ToRule())];
        public IReadOnlyList<Campaign> Campaigns { get; } = [.. CampaignDocuments.Select(c => c.ToCampaign())];
    }

    /// <summary>The rules and campaigns in force, with the program's ranks: what an earning decision needs.</summary>
    public async Task<EarningConfig> GetConfigAsync(ProgramSettings settings, CancellationToken cancellationToken)
    {
        var snapshot = await _cache.GetAsync(cancellationToken);
        return new EarningConfig(snapshot.Rules, snapshot.Campaigns, settings.Ranks) { RankMetric = settings.RankMetric.ToMetric() };
    }

    public async Task<(IReadOnlyList<RuleDocument> Rules, IReadOnlyList<CampaignDocument> Campaigns)> LoadAsync(CancellationToken cancellationToken)
    {
        var snapshot = await _cache.GetAsync(cancellationToken);
        return (snapshot.RuleDocuments, snapshot.CampaignDocuments);
    }

    /// <summary>
    /// What saving a rule or campaign did: saved (a rule's new version), refused because the program has
    /// <see cref="RulesMax"/> rules, nothing to delete, or refused because it is no longer in the state If-Match named.
    /// </summary>
    public enum SaveOutcome { Saved, TooManyRules, NotFound, PreconditionFailed }

    /// <summary>
    /// Creates or changes a rule; the version grows by one with every change. With <paramref name="ifMatch"/>, only
    /// while the rule is in that state (the write itself is conditional, so a change in between is caught too);
    /// <see cref="SaveOutcome.PreconditionFailed"/> then comes with the rule as it is (null when there is none).
    /// </summary>
    public async Task<(SaveOutcome Outcome, RuleDocument? Rule)> SaveRuleAsync(string ruleId, RuleSpec spec, bool delete, IfMatch? ifMatch,
        CancellationToken cancellationToken)
    {
        var (existing, documentETag) = await CosmosStorage.ReadOrNullAsync<RuleDocument>(_cosmos.Config, ruleId, "rules", cancellationToken);
        var live = existing is { Deleted: false } ? existing : null;
        if (!IfMatch.Allows(ifMatch, live?.ETag())) return (SaveOutcome.PreconditionFailed, live);
        if (delete && existing is null) return (SaveOutcome.NotFound, null);
        if (existing is null or { Deleted: true } && (await LoadAsync(cancellationToken)).Rules.Count >= RulesMax) return (SaveOutcome.TooManyRules, null);
        var document = new RuleDocument(ruleId, "rules", (existing?.Version ?? 0) + 1, delete, delete ? existing!.Spec : spec, _clock.GetUtcNow());
        if (!await WriteAsync(document, ruleId, "rules", ifMatch is null ? null : documentETag ?? "", cancellationToken))
        {
            return (SaveOutcome.PreconditionFailed, (await CosmosStorage.ReadOrNullAsync<RuleDocument>(_cosmos.Config, ruleId, "rules", cancellationToken)).Item is { Deleted: false } now ? now : null);
        }
        _cache.Invalidate();
        return (SaveOutcome.Saved, document);
    }

    /// <summary>Creates, changes or deletes a campaign, like <see cref="SaveRuleAsync"/> (campaigns have no version).</summary>
    public async Task<(SaveOutcome Outcome, CampaignDocument? Campaign)> SaveCampaignAsync(string campaignId, CampaignSpec spec, bool delete, IfMatch? ifMatch,
        CancellationToken cancellationToken)
    {
        var (existing, documentETag) = await CosmosStorage.ReadOrNullAsync<CampaignDocument>(_cosmos.Config, campaignId, "campaigns", cancellationToken);
        var live = existing is { Deleted: false } ? existing : null;
        if (!IfMatch.Allows(ifMatch, live?.ETag())) return (SaveOutcome.PreconditionFailed, live);
        if (delete && existing is null) return (SaveOutcome.NotFound, null);
        var document = new CampaignDocument(campaignId, "campaigns", delete, delete ? existing!.Spec : spec, _clock.GetUtcNow());
        if (!await WriteAsync(document, campaignId, "campaigns", ifMatch is null ? null : documentETag ?? "", cancellationToken))
        {
            return (SaveOutcome.PreconditionFailed, (await CosmosStorage.ReadOrNullAsync<CampaignDocument>(_cosmos.Config, campaignId, "campaigns", cancellationToken)).Item is { Deleted: false } now ? now : null);
        }
        _cache.Invalidate();
        return (SaveOutcome.Saved, document);
    }

    /// <summary>
    /// Writes a config document: unconditionally when <paramref name="documentETag"/> is null; otherwise only over that
    /// version of it ("" = only if there is none yet). False when another writer came first.
    /// </summary>
    private async Task<bool> WriteAsync<T>(T document, string id, string partition, string? documentETag, CancellationToken cancellationToken)
    {
        var partitionKey = new PartitionKey(partition);
        try
        {
            if (documentETag is null) await _cosmos.Config.UpsertItemAsync(document, partitionKey, cancellationToken: cancellationToken);
            else if (documentETag.Length == 0) await _cosmos.Config.CreateItemAsync(document, partitionKey, cancellationToken: cancellationToken);
            else await _cosmos.Config.ReplaceItemAsync(document, id, partitionKey, new ItemRequestOptions { IfMatchEtag = documentETag }, cancellationToken);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode is System.Net.HttpStatusCode.PreconditionFailed or System.Net.HttpStatusCode.Conflict
            or System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}

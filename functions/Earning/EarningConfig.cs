using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Domain.Earning;
using Points.Domain.Ledger;
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
public sealed record GrantSpec(LotKind? Kind, DateOnly? ExpiresOn, int? ExpiresAfterDays, int? PendingDays);

public sealed record CampaignSpec([property: Required] int? MultiplierPermille, IReadOnlyList<string>? Triggers, IReadOnlyList<string>? StoreIds,
    IReadOnlyList<DayOfWeek>? DaysOfWeek, [property: Required] DateTimeOffset? From, [property: Required] DateTimeOffset? Until);

public static class EarningSpecs
{
    public const long PointsMax = 1_000_000;
    public const int ListItemsMax = 50;
    public const long UnitYenMax = 1_000_000;
    public const int SpecialExpiryDaysMax = 3650;
    public const int PendingDaysMax = 365;
    public const int MultiplierPermilleMax = 100_000;

    public static Dictionary<string, string[]> Validate(RuleSpec spec)
    {
        var errors = new Dictionary<string, string[]>();
        if (spec.Trigger is not { } trigger || !Triggers.IsKnownRuleTrigger(trigger))
            errors["trigger"] = ["An event type (login, purchase, …), referral_welcome, anniversary, or custom:{name}."];
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
            if (cap is { Times: < 1 } or { Points: < 1 }) errors[$"caps.{name}"] = ["times and points must be ≥ 1 when given."];
        }
        var grant = spec.Grant;
        if (grant?.Kind == LotKind.Purchased) errors["grant.kind"] = ["Rules grant regular or special points."];
        if (grant?.Kind == LotKind.Special && grant.ExpiresOn is null && grant.ExpiresAfterDays is not (> 0 and <= SpecialExpiryDaysMax))
            errors["grant"] = [$"Special points need expiresOn or expiresAfterDays (1..{SpecialExpiryDaysMax})."];
        if (grant?.Kind != LotKind.Special && (grant?.ExpiresOn is not null || grant?.ExpiresAfterDays is not null))
            errors["grant"] = ["Only special points take an expiry; regular points follow the program's policy."];
        if (grant?.PendingDays is < 0 or > PendingDaysMax) errors["grant.pendingDays"] = [$"0..{PendingDaysMax} days."];
        if (spec.ActiveFrom is { } from && spec.ActiveUntil is { } until && until <= from)
            errors["activeUntil"] = ["Must be after activeFrom."];
        if (new[] { spec.Eligibility?.Ranks, spec.Eligibility?.Tags, spec.Eligibility?.StoreIds, spec.Eligibility?.Channels }.Any(l => l?.Count > ListItemsMax))
            errors["eligibility"] = [$"At most {ListItemsMax} items per list."];
        return errors;
    }

    public static Dictionary<string, string[]> Validate(CampaignSpec spec)
    {
        var errors = new Dictionary<string, string[]>();
        if (spec.MultiplierPermille is not (> 0 and <= MultiplierPermilleMax)) errors["multiplierPermille"] = [$"1..{MultiplierPermilleMax} (1000 = ×1.0, 2000 = ×2.0)."];
        if (spec.From is null || spec.Until is null || spec.Until <= spec.From) errors["until"] = ["from and until are required; until after from."];
        if (spec.Triggers?.Any(t => !Triggers.IsKnownRuleTrigger(t)) == true) errors["triggers"] = ["Unknown trigger."];
        return errors;
    }

    public static EarningRule ToRule(string ruleId, int version, RuleSpec spec) => new(
        ruleId, version, spec.Trigger!,
        spec.Formula!.Type == "fixed"
            ? new EarningFormula.Fixed(spec.Formula.Points!.Value)
            : new EarningFormula.Rate(spec.Formula.UnitYen!.Value, spec.Formula.PointsPerUnit!.Value, spec.Formula.Rounding ?? Rounding.Floor),
        new Caps(spec.Caps?.PerDay, spec.Caps?.PerMonth, spec.Caps?.Lifetime),
        new Eligibility(spec.Eligibility?.Ranks ?? [], spec.Eligibility?.Tags ?? [], spec.Eligibility?.StoreIds ?? [], spec.Eligibility?.Channels ?? []),
        new Grant(spec.Grant?.Kind ?? LotKind.Regular, spec.Grant?.ExpiresOn, spec.Grant?.ExpiresAfterDays, spec.Grant?.PendingDays),
        spec.ActiveFrom, spec.ActiveUntil, spec.Priority ?? 0, spec.Stackable ?? true, spec.ApplyRankMultiplier ?? true,
        spec.ApplyNewRankImmediately ?? false);

    public static Campaign ToCampaign(string campaignId, CampaignSpec spec) => new(
        campaignId, spec.MultiplierPermille!.Value, spec.Triggers ?? [], spec.StoreIds ?? [], spec.DaysOfWeek ?? [], spec.From!.Value, spec.Until!.Value);
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
    }

    public sealed record CampaignDocument([property: JsonPropertyName("id")] string Id, string Pk, bool Deleted, CampaignSpec Spec, DateTimeOffset UpdatedAt)
    {
        public Campaign ToCampaign() => EarningSpecs.ToCampaign(Id, Spec);
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
        return new EarningConfig(snapshot.Rules, snapshot.Campaigns, settings.Ranks);
    }

    public async Task<(IReadOnlyList<RuleDocument> Rules, IReadOnlyList<CampaignDocument> Campaigns)> LoadAsync(CancellationToken cancellationToken)
    {
        var snapshot = await _cache.GetAsync(cancellationToken);
        return (snapshot.RuleDocuments, snapshot.CampaignDocuments);
    }

    /// <summary>What saving a rule did: saved (the new version), refused because the program has <see cref="RulesMax"/> rules, or nothing to delete.</summary>
    public enum SaveOutcome { Saved, TooManyRules, NotFound }

    /// <summary>Creates or changes a rule; the version grows by one with every change.</summary>
    public async Task<(SaveOutcome Outcome, RuleDocument? Rule)> SaveRuleAsync(string ruleId, RuleSpec spec, bool delete, CancellationToken cancellationToken)
    {
        var (existing, _) = await CosmosStorage.ReadOrNullAsync<RuleDocument>(_cosmos.Config, ruleId, "rules", cancellationToken);
        if (delete && existing is null) return (SaveOutcome.NotFound, null);
        if (existing is null or { Deleted: true } && (await LoadAsync(cancellationToken)).Rules.Count >= RulesMax) return (SaveOutcome.TooManyRules, null);
        var document = new RuleDocument(ruleId, "rules", (existing?.Version ?? 0) + 1, delete, delete ? existing!.Spec : spec, _clock.GetUtcNow());
        await _cosmos.Config.UpsertItemAsync(document, new PartitionKey("rules"), cancellationToken: cancellationToken);
        _cache.Invalidate();
        return (SaveOutcome.Saved, document);
    }

    public async Task<CampaignDocument?> SaveCampaignAsync(string campaignId, CampaignSpec spec, bool delete, CancellationToken cancellationToken)
    {
        var (existing, _) = await CosmosStorage.ReadOrNullAsync<CampaignDocument>(_cosmos.Config, campaignId, "campaigns", cancellationToken);
        if (delete && existing is null) return null;
        var document = new CampaignDocument(campaignId, "campaigns", delete, delete ? existing!.Spec : spec, _clock.GetUtcNow());
        await _cosmos.Config.UpsertItemAsync(document, new PartitionKey("campaigns"), cancellationToken: cancellationToken);
        _cache.Invalidate();
        return document;
    }
}

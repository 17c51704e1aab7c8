using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Points.Domain.Earning;
using Points.Domain.Expiry;
using Points.Domain.Primitives;
using Points.Functions.Storage;

namespace Points.Functions.Settings;

/// <summary>
/// The program's settings (api.md GET|PUT /admin/settings). Defaults come from configuration section <c>Program</c>;
/// an admin's PUT stores a settings document that then wins. Changing the expiry policy affects lots granted afterwards.
/// </summary>
public sealed record ProgramSettings
{
    public const int YenPerPointMax = 10_000;
    public const int RanksMax = 20;
    public const int RankMultiplierPermilleMax = 100_000;
    /// <summary>A rank's name is stored on every member and names a member list (<c>rank|{name}</c>).</summary>
    public const int RankNameLengthMax = 32;
    /// <summary>A rank's monthly points: one grant per member and month, within what one request may move.</summary>
    public const long RankMonthlyPointsMax = Points.Domain.Primitives.PointAmount.PerRequestMax;

    public string TimeZone { get; init; } = "Asia/Tokyo";
    /// <summary>Yen value of one point (≥ 1).</summary>
    public int YenPerPoint { get; init; } = 1;
    public ExpiryPolicySettings RegularExpiry { get; init; } = new();
    /// <summary>Ranks by threshold of the rank metric (domain.md "Ranks").</summary>
    public IReadOnlyList<Points.Domain.Earning.RankDefinition> Ranks { get; init; } = Points.Domain.Earning.RankDefinition.Defaults;
    /// <summary>What ranks measure: by default the purchase amount over the trailing 12 months.</summary>
    public RankMetricSettings RankMetric { get; init; } = new();
    /// <summary>Cash-outs (F22–F25): off unless an admin turns them on.</summary>
    public Withdrawals.WithdrawalSettings Withdrawals { get; init; } = new();
    /// <summary>Buying points with PayPal (F20–F21): off unless an admin turns it on.</summary>
    public Purchases.PurchaseSettings Purchases { get; init; } = new();
    /// <summary>Expiry reminders (F17): who the daily reminder file lists.</summary>
    public Expiry.ExpiryReminderSettings Reminders { get; init; } = new();
    /// <summary>The store hierarchy HQ → area → store (F39); empty: no hierarchy.</summary>
    public IReadOnlyList<Stores.StoreNode> Stores { get; init; } = [];
    /// <summary>Special points campaigns (F26–F28): purchase history retention, grant record purge.</summary>
    public SpecialPoints.SpecialPointsSettings SpecialPoints { get; init; } = new();

    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (!TryFindZone(TimeZone, out _)) errors["timeZone"] = [$"Unknown time zone '{TimeZone}'."];
        if (YenPerPoint is < 1 or > YenPerPointMax) errors["yenPerPoint"] = [$"Must be 1..{YenPerPointMax}."];
        if (RegularExpiry.ToPolicy() is not { } policy) errors["regularExpiry.type"] = ["Must be fixedMonths, rolling, fiscalYear or none."];
        else if (RegularExpiry.UnknownActivity() is { } unknown) errors["regularExpiry.extendOn"] = [$"'{unknown}' is not an activity: earn, spend."];
        else if (ExpiryPolicy.Validate(policy) is { } message) errors["regularExpiry"] = [message];
        if (Ranks.Count is 0 or > RanksMax || !Ranks.Any(r => r.Reach == 0) || Ranks.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count() != Ranks.Count
            || Ranks.Select(r => r.Reach).Distinct().Count() != Ranks.Count || Ranks.Any(r => r.Threshold is < 0 or > Points.Domain.Primitives.PointAmount.MaxMagnitude)
            || Ranks.Any(r => r.MultiplierPermille is < 1 or > RankMultiplierPermilleMax || r.MonthlyPoints is < 0 or > RankMonthlyPointsMax
                || string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > RankNameLengthMax || r.Name != r.Name.Trim()))
            errors["ranks"] = [$"1–{RanksMax} ranks with distinct names (1–{RankNameLengthMax} characters) and distinct thresholds, one at threshold 0, "
                + $"multipliers 1..{RankMultiplierPermilleMax} per mille, monthly points 0..{RankMonthlyPointsMax}."];
        if (RankMetric is null) errors["rankMetric"] = ["An object, or leave it out for the default."];
        else RankMetric.Validate(Ranks, errors);
        if (Withdrawals is null) errors["withdrawals"] = ["An object, or leave it out for the defaults."];
        else Withdrawals.Validate(errors);
        if (Purchases is null) errors["purchases"] = ["An object, or leave it out for the defaults."];
        else Purchases.Validate(errors);
        if (Reminders is null) errors["reminders"] = ["An object, or leave it out for the defaults."];
        else Reminders.Validate(errors);
        if (Stores is null) errors["stores"] = ["A list, or leave it out for none."];
        else Functions.Stores.StoreHierarchy.Validate(Stores, errors);
        if (SpecialPoints is null) errors["specialPoints"] = ["An object, or leave it out for the defaults."];
        else SpecialPoints.Validate(errors);
        return errors;
    }

    /// <summary>The program-zone calendar date of <paramref name="instant"/>.</summary>
    public DateOnly DateOf(DateTimeOffset instant) => ProgramCalendar.DateOf(instant, Zone);

    /// <summary>The program-zone time of day of <paramref name="instant"/>.</summary>
    public TimeOnly TimeOf(DateTimeOffset instant) => ProgramCalendar.TimeOf(instant, Zone);

    /// <summary>What every member decision is given: the time, today in the program zone, the expiry policy and who acts.</summary>
    public Points.Domain.Ledger.LedgerContext ContextAt(DateTimeOffset now, string actor)
    {
        var regular = RegularExpiry.ToPolicy()!;
        return new(now, DateOf(now), regular, actor) { PurchasedExpiry = Purchases.ExpiryPolicy(regular), LocalTime = ProgramCalendar.TimeOf(now, Zone), YenPerPoint = YenPerPoint };
    }

    /// <summary>The zone of <see cref="TimeZone"/>: derived, never stored or answered.</summary>
    [JsonIgnore]
    public TimeZoneInfo Zone => TryFindZone(TimeZone, out var zone) ? zone : throw new InvalidOperationException($"Unknown time zone '{TimeZone}'.");

    private static bool TryFindZone(string id, out TimeZoneInfo zone) => TimeZoneInfo.TryFindSystemTimeZoneById(id, out zone!);
}

/// <summary>
/// What ranks are measured by (F18): <c>purchaseAmount</c> (yen, the default), <c>purchaseCount</c> or <c>pointsEarned</c>
/// (by rules), over the trailing <see cref="Months"/> months. With a metric other than the amount, every rank names its
/// <c>threshold</c> in that unit.
/// </summary>
public sealed record RankMetricSettings
{
    public const string PurchaseAmount = "purchaseAmount";
    public const string PurchaseCount = "purchaseCount";
    public const string PointsEarned = "pointsEarned";

    public string Kind { get; init; } = PurchaseAmount;
    public int Months { get; init; } = 12;

    public RankMetric ToMetric() => new(Kind switch
    {
        PurchaseCount => RankMetricKind.PurchaseCount,
        PointsEarned => RankMetricKind.PointsEarned,
        _ => RankMetricKind.PurchaseAmount,
    }, Months);

    public void Validate(IReadOnlyList<Points.Domain.Earning.RankDefinition> ranks, Dictionary<string, string[]> errors)
    {
        if (Kind is not (PurchaseAmount or PurchaseCount or PointsEarned)) errors["rankMetric.kind"] = [$"{PurchaseAmount}, {PurchaseCount} or {PointsEarned}."];
        if (Months is < 1 or > RankMetric.MonthsMax) errors["rankMetric.months"] = [$"1..{RankMetric.MonthsMax} months."];
        if (Kind is PurchaseCount or PointsEarned && ranks?.Any(r => r?.Threshold is null) == true)
            errors["ranks"] = [$"With rankMetric {Kind}, give every rank a threshold in that unit (thresholdYen is the purchase amount's)."];
    }
}

/// <summary>The expiry policy of regular points as settings data (domain.md "Expiry policies").</summary>
public sealed record ExpiryPolicySettings
{
    public const string Earn = "earn";
    public const string Spend = "spend";

    /// <summary><c>fixedMonths</c>, <c>rolling</c>, <c>fiscalYear</c> or <c>none</c>.</summary>
    public string Type { get; init; } = "fixedMonths";
    public int Months { get; init; } = 12;
    public bool EndOfMonth { get; init; } = true;
    public int StartMonth { get; init; } = 4;
    public int YearsAfter { get; init; } = 1;
    /// <summary>With <c>rolling</c>: the activities that extend open lots (<c>earn</c>, <c>spend</c>); both when left out.</summary>
    public IReadOnlyList<string>? ExtendOn { get; init; }

    public ExpiryPolicy? ToPolicy() => Type switch
    {
        "fixedMonths" => new ExpiryPolicy.FixedMonths(Months, EndOfMonth),
        "rolling" => new ExpiryPolicy.Rolling(Months, ExtendOn?.Contains(Earn) ?? true, ExtendOn?.Contains(Spend) ?? true),
        "fiscalYear" => new ExpiryPolicy.FiscalYear(StartMonth, YearsAfter),
        "none" => new ExpiryPolicy.None(),
        _ => null,
    };

    /// <summary>An entry of <see cref="ExtendOn"/> that names no activity, or null.</summary>
    public string? UnknownActivity() => ExtendOn?.FirstOrDefault(a => a is not (Earn or Spend));
}

/// <summary>
/// A change of the settings (PUT /api/v1/admin/settings): each setting given replaces the current one, those left out
/// keep their values (a given <see cref="RegularExpiry"/> is taken whole). The settings that result are validated as a whole.
/// </summary>
public sealed record SettingsUpdate(string? TimeZone, int? YenPerPoint, ExpiryPolicySettings? RegularExpiry,
    IReadOnlyList<Points.Domain.Earning.RankDefinition>? Ranks, Withdrawals.WithdrawalSettings? Withdrawals, Purchases.PurchaseSettings? Purchases,
    Expiry.ExpiryReminderSettings? Reminders = null, RankMetricSettings? RankMetric = null, SpecialPoints.SpecialPointsSettings? SpecialPoints = null,
    IReadOnlyList<Stores.StoreNode>? Stores = null)
{
    /// <summary>The settings a body may set, as named on the wire (a section given replaces that section as a whole).</summary>
    public static readonly IReadOnlyList<string> Fields =
        ["timeZone", "yenPerPoint", "regularExpiry", "ranks", "rankMetric", "withdrawals", "purchases", "reminders", "specialPoints", "stores"];

    public ProgramSettings ApplyTo(ProgramSettings current) => current with
    {
        TimeZone = TimeZone ?? current.TimeZone,
        YenPerPoint = YenPerPoint ?? current.YenPerPoint,
        RegularExpiry = RegularExpiry ?? current.RegularExpiry,
        Ranks = Ranks ?? current.Ranks,
        Withdrawals = Withdrawals ?? current.Withdrawals,
        Purchases = Purchases ?? current.Purchases,
        Reminders = Reminders ?? current.Reminders,
        RankMetric = RankMetric ?? current.RankMetric,
        SpecialPoints = SpecialPoints ?? current.SpecialPoints,
        Stores = Stores ?? current.Stores,
    };
}

/// <summary>Reads the settings document through a <see cref="ConfigCache{T}"/> so hot paths do not pay a read per request.</summary>
public sealed class ProgramSettingsStore
{
    public const string DocumentId = "settings";
    private readonly CosmosStorage _cosmos;
    private readonly ProgramSettings _defaults;
    private readonly ConfigCache<ProgramSettings> _cache;

    public ProgramSettingsStore(CosmosStorage cosmos, IOptions<ProgramSettings> defaults, TimeProvider clock)
    {
        _cosmos = cosmos;
        _defaults = defaults.Value;
        _cache = new ConfigCache<ProgramSettings>(clock, async cancellationToken => (await ReadCurrentAsync(cancellationToken)).Settings);
    }

    private sealed record SettingsDocument(
        [property: JsonPropertyName("id")] string Id, string Pk, ProgramSettings Settings);

    public Task<ProgramSettings> GetAsync(CancellationToken cancellationToken) => _cache.GetAsync(cancellationToken);

    /// <summary>
    /// The settings in force, read now rather than from the cache, with the stored document's ETag (null while none
    /// is stored and the configured defaults apply): what a change is decided against.
    /// </summary>
    public async Task<(ProgramSettings Settings, string? DocumentETag)> ReadCurrentAsync(CancellationToken cancellationToken)
    {
        var (document, etag) = await CosmosStorage.ReadOrNullAsync<SettingsDocument>(_cosmos.Config, DocumentId, DocumentId, cancellationToken);
        return document is null ? (_defaults, null) : (document.Settings, etag);
    }

    /// <summary>
    /// Stores <paramref name="settings"/> if the document is still the one read (<paramref name="documentETag"/>, or
    /// still absent when null); false when another change came first.
    /// </summary>
    public async Task<bool> TrySaveAsync(ProgramSettings settings, string? documentETag, CancellationToken cancellationToken)
    {
        var document = new SettingsDocument(DocumentId, DocumentId, settings);
        var partition = new Microsoft.Azure.Cosmos.PartitionKey(DocumentId);
        try
        {
            if (documentETag is null) await _cosmos.Config.CreateItemAsync(document, partition, cancellationToken: cancellationToken);
            else await _cosmos.Config.ReplaceItemAsync(document, DocumentId, partition, new Microsoft.Azure.Cosmos.ItemRequestOptions { IfMatchEtag = documentETag }, cancellationToken);
        }
        catch (Microsoft.Azure.Cosmos.CosmosException e) when (e.StatusCode is System.Net.HttpStatusCode.PreconditionFailed
            or System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
        _cache.Invalidate();
        return true;
    }
}

/// <summary>Program-zone calendar: "today" and "this month" are in the program's zone, never UTC (product.md). Stored day and month text: <see cref="Points.Domain.Primitives.CalendarText"/>.</summary>
public static class ProgramCalendar
{
    public static DateOnly DateOf(DateTimeOffset instant, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    public static TimeOnly TimeOf(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>The instant <paramref name="day"/> begins in <paramref name="zone"/> (what a date typed as a start means).</summary>
    public static DateTimeOffset StartOf(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}

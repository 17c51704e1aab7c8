using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Points.Domain.Ledger;

namespace Points.Functions.Ledger;

/// <summary>
/// The one document per member that every operation on that member replaces with If-Match: the commit point.
/// It holds the ledger state (open lots, holds, debt), the journal entries not yet sealed into history pages (the
/// outbox), the recent idempotency records and the due dates already written to the expiry index. Everything in it
/// is bounded: lots merge by kind and expiry, the journal is sealed every <see cref="LedgerLimits.PageEntries"/>
/// entries, idempotency records spill out after <see cref="LedgerLimits.RecentIdempotencyRecordsMax"/>.
/// </summary>
public sealed record AccountDocument
{
    public const string DocumentId = "account";

    [JsonPropertyName("id")]
    public string Id { get; init; } = DocumentId;
    public required string MemberId { get; init; }
    public string DocType { get; init; } = "account";
    public required MemberProfile Profile { get; init; }
    public required MemberAccount Ledger { get; init; }
    /// <summary>Committed entries with Seq &gt; <see cref="SealedThrough"/>, oldest first.</summary>
    public ImmutableArray<JournalEntry> Journal { get; init; } = [];
    public long SealedThrough { get; init; }
    public ImmutableArray<IdempotencyRecord> Idempotency { get; init; } = [];
    /// <summary>Records spilled to their own documents may still be within retention until this instant.</summary>
    public DateTimeOffset? IdempotencySpilledUntil { get; init; }
    /// <summary>How many times records were spilled: while it is unchanged, a key found absent stays absent.</summary>
    public long IdempotencySpills { get; init; }
    /// <summary>Due dates (program zone) this member is already listed under in the expiry index.</summary>
    public ImmutableArray<DateOnly> ExpiryIndexed { get; init; } = [];
    /// <summary>Activation dates this member is already listed under in the pending index.</summary>
    public ImmutableArray<DateOnly> PendingIndexed { get; init; } = [];
    /// <summary>Rank, rule counters (caps) and monthly purchase totals (rank metric).</summary>
    public MemberEarning Earning { get; init; } = MemberEarning.New;
    /// <summary>Catalog uses (per-member limits) and used in-store QR tokens.</summary>
    public Points.Functions.Catalog.MemberSpending Spending { get; init; } = Points.Functions.Catalog.MemberSpending.None;
    /// <summary>Months and year the periodic jobs (rank evaluation, rank points, anniversary) are done for.</summary>
    public Points.Functions.Ranks.PeriodBookkeeping Periods { get; init; } = Points.Functions.Ranks.PeriodBookkeeping.New;
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// What earning needs to remember per member: the current rank, each rule's use (for caps) and purchases per
/// program-zone month (the rank metric is the trailing 12 months). Bounded: counters keep a few periods, purchases 13 months.
/// </summary>
public sealed record MemberEarning(string Rank, ImmutableArray<Points.Domain.Earning.RuleCounter> Counters, ImmutableArray<MonthlyPurchases> Purchases)
{
    public const int PurchaseMonthsKept = 13;
    public static readonly MemberEarning New = new("bronze", [], []);

    /// <summary>
    /// One-time triggers already fired for this member (registration, referral welcome). Idempotency keys are kept only
    /// 7 days, so a trigger that must fire once in a member's life is guarded here, in the same commit that grants it.
    /// </summary>
    public ImmutableArray<string> OnceTriggersFired { get; init; } = [];

    /// <summary>Purchase amount over the 12 months ending with <paramref name="month"/> (inclusive).</summary>
    public long TrailingYearYen(DateOnly month) =>
        Purchases.Where(p => string.CompareOrdinal(p.Month, Settings.ProgramCalendar.MonthOf(month.AddMonths(-11))) >= 0 && string.CompareOrdinal(p.Month, Settings.ProgramCalendar.MonthOf(month)) <= 0)
            .Sum(p => p.AmountYen);

    /// <summary>Adds a purchase to its month: amount, count and the distinct SKUs bought (at most <see cref="SkusPerMonthMax"/>).</summary>
    public MemberEarning WithPurchase(DateOnly day, long amountYen, IEnumerable<string> skus)
    {
        var key = Settings.ProgramCalendar.MonthOf(day);
        var current = Purchases.FirstOrDefault(p => p.Month == key) ?? new MonthlyPurchases(key, 0, 0, []);
        var bought = current with
        {
            AmountYen = current.AmountYen + amountYen,
            Count = current.Count + 1,
            Skus = [.. current.Skus.Union(skus, StringComparer.Ordinal).Take(SkusPerMonthMax)],
        };
        return this with
        {
            Purchases = [.. Purchases.Where(p => p.Month != key).Append(bought).OrderByDescending(p => p.Month, StringComparer.Ordinal).Take(PurchaseMonthsKept)],
        };
    }

    /// <summary>Takes returned purchase yen out of the month it was counted in (the rank metric is net of reversals).</summary>
    public MemberEarning WithoutPurchaseYen(DateOnly day, long amountYen)
    {
        var key = Settings.ProgramCalendar.MonthOf(day);
        return this with
        {
            Purchases = [.. Purchases.Select(p => p.Month == key ? p with { AmountYen = Math.Max(0, p.AmountYen - amountYen) } : p)],
        };
    }

    /// <summary>Bounds the account document for members who buy many different products (F26 targets by SKU).</summary>
    public const int SkusPerMonthMax = 50;
}

public sealed record MonthlyPurchases(string Month, long AmountYen, int Count, ImmutableArray<string> Skus);

/// <summary>What the partner told us about a member (api.md PUT /members/{id}).</summary>
public sealed record MemberProfile
{
    public required DateOnly JoinedOn { get; init; }
    public DateOnly? BirthDate { get; init; }
    public ImmutableArray<string> Tags { get; init; } = [];
    public string? StoreId { get; init; }
    public bool NewsletterOptIn { get; init; }
    public string? ReferredByCode { get; init; }
    /// <summary>The member whose referral code this member registered with.</summary>
    public string? ReferredBy { get; init; }
    public required string ReferralCode { get; init; }
}

/// <summary>The stored first result of an idempotent request: replayed byte for byte to every retry.</summary>
public sealed record IdempotencyRecord(string Key, string RequestHash, int Status, string Body, DateTimeOffset At);

/// <summary>An idempotency record moved out of the account document (id derived from the key).</summary>
public sealed record SpilledIdempotencyDocument
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public required string MemberId { get; init; }
    public string DocType { get; init; } = "idempotency";
    public required IdempotencyRecord Record { get; init; }
    /// <summary>Seconds until Azure Cosmos DB removes the document (container TTL on); the local server ignores it.</summary>
    [JsonPropertyName("ttl")]
    public int TimeToLiveSeconds { get; init; } = (int)LedgerLimits.IdempotencyRetention.Add(TimeSpan.FromDays(1)).TotalSeconds;
}

/// <summary>
/// A sealed, immutable page of a member's history: entries <c>PageNo × PageEntries + 1 .. (PageNo + 1) × PageEntries</c>.
/// Pages have deterministic ids, so reading history is point reads, and writing one twice is harmless.
/// </summary>
public sealed record JournalPageDocument
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public required string MemberId { get; init; }
    public string DocType { get; init; } = "journal";
    public required long PageNo { get; init; }
    public required ImmutableArray<JournalEntry> Entries { get; init; }
    /// <summary>Every reference of the page's entries, for the single-partition reversal lookup.</summary>
    public required ImmutableArray<string> References { get; init; }

    public static string IdOf(long pageNo) => $"journal-{pageNo:D10}";
}

public static class LedgerLimits
{
    /// <summary>Entries per sealed history page.</summary>
    public const int PageEntries = 16;
    /// <summary>Idempotency records kept inside the account document before older ones spill out.</summary>
    public const int RecentIdempotencyRecordsMax = 32;
    /// <summary>api.md: keys are kept at least 7 days.</summary>
    public static readonly TimeSpan IdempotencyRetention = TimeSpan.FromDays(7);
    /// <summary>Operations of one member committed together in one replace.</summary>
    public const int BatchOperationsMax = 32;
    /// <summary>Attempts at one batch when other writers keep changing the document (412).</summary>
    public const int ConflictRetriesMax = 30;
    /// <summary>Longest pause between two attempts (exponential backoff with jitter up to this).</summary>
    public const int ConflictBackoffMaxMs = 250;
    /// <summary>History page size a caller may ask for.</summary>
    public const int HistoryLimitMax = 200;
}

using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Domain.Members;

namespace Points.Functions.Ledger;

/// <summary>
/// The one document per member that every write to that member replaces with If-Match: the commit point. It holds the
/// member's slices (<see cref="Member"/>), the journal entries not yet sealed into history pages, the recent
/// idempotency records and the outbox of side effects still to confirm. Everything in it is bounded: lots merge by kind
/// and expiry, the journal is sealed every <see cref="LedgerLimits.PageEntries"/> entries, idempotency records spill out
/// after <see cref="LedgerLimits.RecentIdempotencyRecordsMax"/>, the outbox holds at most <see cref="LedgerLimits.OutboxItemsMax"/>.
/// </summary>
public sealed record AccountDocument
{
    public const string DocumentId = "account";
    public const string Type = "account";

    [JsonPropertyName("id")]
    public string Id { get; init; } = DocumentId;
    public required string MemberId { get; init; }
    public string DocType { get; init; } = Type;
    /// <summary>The member's slices, as the deciders see them.</summary>
    public required Member Member { get; init; }
    /// <summary>Committed entries with Seq &gt; <see cref="SealedThrough"/>, oldest first.</summary>
    public ImmutableArray<JournalEntry> Journal { get; init; } = [];
    public long SealedThrough { get; init; }
    public ImmutableArray<IdempotencyRecord> Idempotency { get; init; } = [];
    /// <summary>Records spilled to their own documents may still be within retention until this instant.</summary>
    public DateTimeOffset? IdempotencySpilledUntil { get; init; }
    /// <summary>How many times records were spilled: while it is unchanged, a key found absent stays absent.</summary>
    public long IdempotencySpills { get; init; }
    /// <summary>
    /// The keys spilled since the filter began (null: none yet, or spills older than the filter may still be within
    /// retention, and then every key is looked up as before).
    /// </summary>
    public SpilledKeyFilter? IdempotencySpilledKeys { get; init; }
    /// <summary>Side effects of committed decisions not yet known to be carried out (see <see cref="Outbox.OutboxDispatcher"/>).</summary>
    public ImmutableArray<OutboxRecord> Outbox { get; init; } = [];
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>A new document for a member registration created.</summary>
    public static AccountDocument Of(Member member, DateTimeOffset now) => new() { MemberId = member.Id.Value, Member = member, CreatedAt = now, UpdatedAt = now };

    // Shorthands for readers of the document (views, tests).
    [JsonIgnore] public MemberProfile Profile => Member.Profile;
    [JsonIgnore] public MemberAccount Ledger => Member.Ledger;
    [JsonIgnore] public MemberEarning Earning => Member.Earning;
}

/// <summary>
/// The stored first result of an idempotent request: <paramref name="Result"/> is the result as JSON, replayed byte for
/// byte to every retry with the same key and request.
/// </summary>
public sealed record IdempotencyRecord(string Key, string RequestHash, string Result, DateTimeOffset At);

/// <summary>One outbox item as stored: its id (unique in the member), registered type name, the item as JSON, and when it was committed.</summary>
public sealed record OutboxRecord(string Id, string Type, JsonElement Item, DateTimeOffset At);

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
/// Idempotency records moved out of the account document together, by one spill (issue 18: one write per spill, not
/// one per record). The id is a hash of the keys it holds, so an attempt of a commit that then lost a conflict writes
/// its own page and never overwrites the page of the commit that won. Found by key with a single-partition query.
/// </summary>
public sealed record SpilledIdempotencyPage
{
    public const string Type = "idempotencyPage";

    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public required string MemberId { get; init; }
    public string DocType { get; init; } = Type;
    public required IReadOnlyList<string> Keys { get; init; }
    public required IReadOnlyList<IdempotencyRecord> Records { get; init; }
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
    public const string Type = "journal";

    public string DocType { get; init; } = Type;
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
    /// <summary>History page size a caller may ask for.</summary>
    public const int HistoryLimitMax = 200;
    /// <summary>
    /// Outbox items one member document may hold. Far above what one batch adds (a few per operation); only reached when
    /// side effects keep failing, and then new writes to the member wait (503) instead of growing the document.
    /// </summary>
    public const int OutboxItemsMax = 256;
    /// <summary>An item still in the outbox this long after its commit, not known here to be done, is carried out again by the next commit.</summary>
    public static readonly TimeSpan OutboxRedispatchAfter = TimeSpan.FromMinutes(1);
}

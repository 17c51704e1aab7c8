using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Domain.Primitives;
using Points.Domain.SpecialPoints;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.SpecialPoints;

/// <summary>
/// Special points (admin settings API, section <c>specialPoints</c>): how long the purchase history that segments read
/// is kept, and how long after their points expired the member keeps its campaign grant records.
/// </summary>
public sealed record SpecialPointsSettings
{
    public const int HistoryMonthsMax = 120;
    public const int PurgeAfterDaysMax = 3650;

    /// <summary>Months of purchase history kept beside each member (pages older than this are deleted as new ones are written).</summary>
    public int PurchaseHistoryMonths { get; init; } = 36;
    /// <summary>Days after its points expired that a campaign's grant record leaves the member document (history stays).</summary>
    public int PurgeAfterDays { get; init; } = 30;

    public void Validate(Dictionary<string, string[]> errors)
    {
        if (PurchaseHistoryMonths is < 1 or > HistoryMonthsMax) errors["specialPoints.purchaseHistoryMonths"] = [$"1..{HistoryMonthsMax} months."];
        if (PurgeAfterDays is < 0 or > PurgeAfterDaysMax) errors["specialPoints.purgeAfterDays"] = [$"0..{PurgeAfterDaysMax} days."];
    }
}

/// <summary>The purchases of one member in one program-zone month, beside the member (partition = member).</summary>
public sealed record PurchasePage
{
    /// <summary>Purchases one page keeps; beyond, the month is marked <see cref="Truncated"/> (segments then undercount it).</summary>
    public const int PurchasesMax = 1_000;
    public const string Type = "purchasePage";

    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public required string MemberId { get; init; }
    public string DocType { get; init; } = Type;
    /// <summary><c>yyyy-MM</c>.</summary>
    public required string Month { get; init; }
    public ImmutableArray<PurchaseRecord> Purchases { get; init; } = [];
    public bool Truncated { get; init; }

    public static string IdOf(string month) => "purchases-" + month;
}

/// <summary>
/// The member's purchase history for segments (F26): any period, not only the 13 months the member document keeps.
/// Each purchase comes as an outbox item of the commit that recorded it and is merged into its month's page once (by
/// event id, so a redelivery adds nothing). Creating a month's page deletes the pages past the retention setting.
/// </summary>
public sealed partial class PurchaseHistory(CosmosStorage cosmos, ProgramSettingsStore settingsStore, ILogger<PurchaseHistory> log) : IOutboxHandler<RecordPurchase>
{
    /// <summary>Whether the member's page of the month of <paramref name="day"/> holds the purchase <paramref name="eventId"/>.</summary>
    public async Task<bool> ContainsAsync(MemberId memberId, DateOnly day, string eventId, CancellationToken cancellationToken) =>
        (await CosmosStorage.ReadOrNullAsync<PurchasePage>(cosmos.Ledger, PurchasePage.IdOf(CalendarText.MonthOf(day)), memberId.Value, cancellationToken))
            .Item?.Purchases.Any(p => p.EventId == eventId) == true;

    public async Task HandleAsync(MemberId memberId, RecordPurchase item, CancellationToken cancellationToken)
    {
        var purchase = item.Purchase;
        var month = CalendarText.MonthOf(purchase.Day);
        var created = await ConflictRetry.RunAsync(async _ =>
        {
            var (page, etag) = await CosmosStorage.ReadOrNullAsync<PurchasePage>(cosmos.Ledger, PurchasePage.IdOf(month), memberId.Value, cancellationToken);
            page ??= new PurchasePage { Id = PurchasePage.IdOf(month), MemberId = memberId.Value, Month = month };
            if (page.Purchases.Any(p => p.EventId == purchase.EventId)) return (true, false);
            var next = page.Purchases.Length < PurchasePage.PurchasesMax
                ? page with { Purchases = page.Purchases.Add(purchase) }
                : page with { Truncated = true };
            return (await CosmosStorage.TryWriteAsync(cosmos.Ledger, next, next.Id, memberId.Value, etag, cancellationToken), etag is null);
        }, attempt => LogConflict(memberId.Value, attempt), () => new PurchaseHistoryContentionException(memberId.Value), cancellationToken);
        if (created)
        {
            var months = (await settingsStore.GetAsync(cancellationToken)).SpecialPoints.PurchaseHistoryMonths;
            await DeleteBeforeAsync(memberId, CalendarText.MonthOf(purchase.Day.AddMonths(-months + 1)), cancellationToken);
        }
    }

    /// <summary>
    /// The member's purchases on or after <paramref name="from"/> (all kept ones when null): a point read of each month
    /// the member document lists as having purchases (none for a member who never bought), in parallel.
    /// </summary>
    public async Task<(IReadOnlyList<PurchaseRecord> Purchases, int Reads)> ReadAsync(Domain.Members.Member member, DateOnly? from, CancellationToken cancellationToken)
    {
        var since = from is { } day ? CalendarText.MonthOf(day) : "0000-00";
        var months = member.Earning.PurchaseMonths.Where(m => string.CompareOrdinal(m, since) >= 0).ToList();
        var pages = await Task.WhenAll(months.Select(month =>
            CosmosStorage.ReadOrNullAsync<PurchasePage>(cosmos.Ledger, PurchasePage.IdOf(month), member.Id.Value, cancellationToken)));
        return ([.. pages.Where(p => p.Item is not null).SelectMany(p => p.Item!.Purchases)], months.Count);
    }

    private async Task DeleteBeforeAsync(MemberId memberId, string month, CancellationToken cancellationToken)
    {
        foreach (var page in await QueryAsync(memberId, "c.month < @month", month, cancellationToken))
        {
            await CosmosStorage.DeleteIfExistsAsync(cosmos.Ledger, page.Id, memberId.Value, cancellationToken);
        }
    }

    private async Task<List<PurchasePage>> QueryAsync(MemberId memberId, string condition, string month, CancellationToken cancellationToken)
    {
        var found = new List<PurchasePage>();
        // The partition key in the text too: the local Cosmos server filters by it only from there.
        using var iterator = cosmos.Ledger.GetItemQueryIterator<PurchasePage>(
            new QueryDefinition($"SELECT * FROM c WHERE c.memberId = @member AND c.docType = '{PurchasePage.Type}' AND {condition}")
                .WithParameter("@member", memberId.Value).WithParameter("@month", month),
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(memberId.Value) });
        while (iterator.HasMoreResults) found.AddRange(await iterator.ReadNextAsync(cancellationToken));
        return found;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Member {MemberId}: purchase page write conflict, attempt {Attempt}")]
    private partial void LogConflict(string memberId, int attempt);
}

/// <summary>Other writers kept changing a member's purchase page.</summary>
public sealed class PurchaseHistoryContentionException(string memberId)
    : ContentionException($"Member {memberId}'s purchase page kept changing during {ConflictRetry.AttemptsMax} attempts.");

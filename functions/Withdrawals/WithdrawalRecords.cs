using System.Net;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Domain.Primitives;
using Points.Domain.Withdrawals;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Withdrawals;

/// <summary>One step of a request's life, as recorded.</summary>
public sealed record WithdrawalStep(WithdrawalStatus Status, DateTimeOffset At, string? Reason);

/// <summary>
/// The full record of a withdrawal request, beside the member document (partition = member): what the admin list and
/// the exports read. <see cref="BankAccount"/> is the account (sealed) as it was when the member asked: the payout goes there.
/// </summary>
public sealed record WithdrawalDocument
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public required string MemberId { get; init; }
    public string DocType { get; init; } = "withdrawal";
    public required string WithdrawalId { get; init; }
    public required long Points { get; init; }
    public required long GrossYen { get; init; }
    public required long FeeYen { get; init; }
    public required long TaxYen { get; init; }
    public required long NetYen { get; init; }
    public required WithdrawalStatus Status { get; init; }
    public required DateTimeOffset RequestedAt { get; init; }
    public required DateOnly RequestedOn { get; init; }
    public string? PolicyVersion { get; init; }
    public BankAccountSnapshot? BankAccount { get; init; }
    public IReadOnlyList<WithdrawalStep> Steps { get; init; } = [];
    public required DateTimeOffset UpdatedAt { get; init; }

    public static string IdOf(string withdrawalId) => "withdrawal-" + withdrawalId;
}

/// <summary>A request as the admin list shows it: in the index partition of its request day, without the bank account.</summary>
public sealed record WithdrawalListing(
    [property: JsonPropertyName("id")] string Id, string Pk, string MemberId, long Points, long GrossYen, long FeeYen, long TaxYen, long NetYen,
    WithdrawalStatus Status, DateTimeOffset RequestedAt, DateTimeOffset UpdatedAt, string? Reason);

/// <summary>
/// Carries out <see cref="RecordWithdrawal"/>: merges the step into the request's record and its listings. Items may come
/// late, twice, or out of order (the change feed carries what a dead instance left), so the merge keeps the furthest state
/// (requested &lt; approved, rejected, canceled &lt; paid), every step once, and the first-recorded bank account and
/// settings. Listings: <c>withdrawals|{day}</c> for the admin list, and <c>withdrawals|approved</c> while a request is
/// approved and not yet paid (what a transfer file pays).
/// </summary>
public sealed partial class WithdrawalRecords(CosmosStorage cosmos, ProgramSettingsStore settingsStore, ILogger<WithdrawalRecords> log)
    : IOutboxHandler<RecordWithdrawal>
{
    public const string ApprovedList = "withdrawals|approved";

    public static string DayList(DateOnly day) => "withdrawals|" + CalendarText.DayOf(day);

    /// <summary>The requests approved on a program-zone day (the daily export).</summary>
    public static string ApprovedOnList(DateOnly day) => "withdrawals|approved-on|" + CalendarText.DayOf(day);

    private static int Rank(WithdrawalStatus status) => status switch
    {
        WithdrawalStatus.Requested => 0,
        WithdrawalStatus.Paid => 2,
        _ => 1,
    };

    public async Task HandleAsync(MemberId memberId, RecordWithdrawal item, CancellationToken cancellationToken)
    {
        var merged = await ConflictRetry.RunAsync(async _ =>
        {
            var (current, etag) = await CosmosStorage.ReadOrNullAsync<WithdrawalDocument>(cosmos.Ledger, WithdrawalDocument.IdOf(item.Request.WithdrawalId),
                memberId.Value, cancellationToken);
            var next = Merge(current, memberId, item);
            if (current is not null && next == current) return (true, next);
            return (await CosmosStorage.TryWriteAsync(cosmos.Ledger, next, next.Id, memberId.Value, etag, cancellationToken), next);
        }, attempt => LogConflict(item.Request.WithdrawalId, attempt), () => new WithdrawalRecordContentionException(item.Request.WithdrawalId), cancellationToken);

        var listing = new WithdrawalListing(merged.WithdrawalId, DayList(merged.RequestedOn), merged.MemberId, merged.Points, merged.GrossYen, merged.FeeYen,
            merged.TaxYen, merged.NetYen, merged.Status, merged.RequestedAt, merged.UpdatedAt, merged.Steps.LastOrDefault(s => s.Reason is not null)?.Reason);
        await WriteForwardAsync(listing, cancellationToken);
        // The approved set is a hint for transfer files, which check each record again before paying it.
        if (merged.Status == WithdrawalStatus.Approved)
            await cosmos.Indexes.UpsertItemAsync(listing with { Pk = ApprovedList }, new PartitionKey(ApprovedList), cancellationToken: cancellationToken);
        if (merged.Steps.FirstOrDefault(s => s.Status == WithdrawalStatus.Approved) is { } approval)
        {
            var day = (await settingsStore.GetAsync(cancellationToken)).DateOf(approval.At);
            await cosmos.Indexes.UpsertItemAsync(listing with { Pk = ApprovedOnList(day) }, new PartitionKey(ApprovedOnList(day)), cancellationToken: cancellationToken);
        }
        else if (Rank(merged.Status) > 0)
            await CosmosStorage.DeleteIfExistsAsync(cosmos.Indexes, merged.WithdrawalId, ApprovedList, cancellationToken);
    }

    /// <summary>Writes a listing unless the stored one is further along (two handlers of one request may finish in either order).</summary>
    private Task WriteForwardAsync(WithdrawalListing listing, CancellationToken cancellationToken) =>
        CosmosStorage.WriteForwardAsync(cosmos.Indexes, listing, listing.Id, listing.Pk, stored => Rank(stored.Status) > Rank(listing.Status) || stored == listing,
            attempt => LogConflict(listing.Id, attempt), () => new WithdrawalRecordContentionException(listing.Id), cancellationToken);

    private static WithdrawalDocument Merge(WithdrawalDocument? current, MemberId memberId, RecordWithdrawal item)
    {
        var request = item.Request;
        var step = new WithdrawalStep(request.Status, item.At, item.Reason);
        var snapshot = item.BankAccountReference is { } reference ? BankAccountReference.Read(reference) : null;
        if (current is null)
        {
            return new WithdrawalDocument
            {
                Id = WithdrawalDocument.IdOf(request.WithdrawalId), MemberId = memberId.Value, WithdrawalId = request.WithdrawalId,
                Points = request.Points.Value, GrossYen = request.Quote.Gross.Value, FeeYen = request.Quote.Fee.Value, TaxYen = request.Quote.Tax.Value,
                NetYen = request.Quote.Net, Status = request.Status, RequestedAt = request.RequestedAt, RequestedOn = request.RequestedOn,
                PolicyVersion = item.PolicyVersion, BankAccount = snapshot, Steps = [step], UpdatedAt = item.At,
            };
        }
        var steps = current.Steps.Any(s => s.Status == step.Status) ? current.Steps : [.. current.Steps.Append(step).OrderBy(s => s.At)];
        var furthest = Rank(request.Status) > Rank(current.Status);
        return current with
        {
            Status = furthest ? request.Status : current.Status,
            PolicyVersion = current.PolicyVersion ?? item.PolicyVersion,
            BankAccount = current.BankAccount ?? snapshot,
            Steps = steps,
            UpdatedAt = furthest ? item.At : current.UpdatedAt,
        };
    }

    public async Task<WithdrawalDocument?> ReadAsync(MemberId memberId, string withdrawalId, CancellationToken cancellationToken) =>
        (await CosmosStorage.ReadOrNullAsync<WithdrawalDocument>(cosmos.Ledger, WithdrawalDocument.IdOf(withdrawalId), memberId.Value, cancellationToken)).Item;

    /// <summary>The member's requests, newest first (one single-partition query).</summary>
    public async Task<IReadOnlyList<WithdrawalDocument>> OfMemberAsync(MemberId memberId, CancellationToken cancellationToken)
    {
        var found = new List<WithdrawalDocument>();
        // The partition key in the text too: the local Cosmos server filters by it only from there.
        using var iterator = cosmos.Ledger.GetItemQueryIterator<WithdrawalDocument>(
            new QueryDefinition("SELECT * FROM c WHERE c.memberId = @member AND c.docType = 'withdrawal'").WithParameter("@member", memberId.Value),
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(memberId.Value) });
        while (iterator.HasMoreResults) found.AddRange(await iterator.ReadNextAsync(cancellationToken));
        return [.. found.OrderByDescending(w => w.RequestedAt)];
    }

    /// <summary>The listings of one index partition (a day, or the approved set), optionally of one status.</summary>
    public Task<IReadOnlyList<WithdrawalListing>> ListAsync(string list, WithdrawalStatus? status, CancellationToken cancellationToken) =>
        CosmosStorage.ReadPartitionAsync<WithdrawalListing>(cosmos.Indexes, list,
            status is { } s ? $"c.status = '{System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(s.ToString())}'" : "true", cancellationToken);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Withdrawal {WithdrawalId}: record write conflict, attempt {Attempt}")]
    private partial void LogConflict(string withdrawalId, int attempt);
}

/// <summary>Other writers kept changing a withdrawal's record.</summary>
public sealed class WithdrawalRecordContentionException(string withdrawalId)
    : ContentionException($"Withdrawal {withdrawalId}'s record kept changing during {ConflictRetry.AttemptsMax} attempts.");

/// <summary>The sealed bank account a request carries to its record, as the opaque reference the domain passes along.</summary>
public static class BankAccountReference
{
    public static string Of(BankAccountDocument account) =>
        System.Text.Json.JsonSerializer.Serialize(new BankAccountSnapshot(account.Sealed, account.Masked, account.Version), JsonDefaults.Options);

    public static BankAccountSnapshot Read(string reference) =>
        System.Text.Json.JsonSerializer.Deserialize<BankAccountSnapshot>(reference, JsonDefaults.Options)
        ?? throw new InvalidOperationException("A bank account reference is never empty.");
}

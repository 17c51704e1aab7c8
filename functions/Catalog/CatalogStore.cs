using System.Net;
using Microsoft.Azure.Cosmos;
using Points.Domain.Catalog;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Functions.Catalog;

/// <summary>
/// Catalog items in the config container (partition <c>catalog</c>) and their stock.
/// <para>
/// <b>Stock never oversells.</b> A redemption of a limited item first takes a unit: one If-Match replace of the item's
/// document that adds 1 to <c>Taken</c> (refused when <c>Taken</c> has reached the stock) and records a
/// <see cref="StockHold"/> named by the redemption's id. Only then is the member's commit attempted. Its outcome
/// resolves the hold: committed → the hold goes and the unit stays taken (<see cref="SettleAsync"/>, an outbox item of
/// the member's commit, so it happens even if this instance dies right after the commit); anything else (refused, a
/// replay, key reused) → the unit is given back (<see cref="ReleaseAsync"/>). Both are idempotent: they act only while
/// the hold is still there. Each attempt owns its hold; a retry of the same request takes its own.
/// </para>
/// <para>
/// <b>Crashes.</b> If the process dies between taking a unit and the member's commit, the hold stays. Holds older than
/// <see cref="HoldTimeout"/> are reclaimed by the next write that takes a unit of the item: the member's journal is the
/// evidence (an entry whose reference is the hold's redemption id means the unit was used, otherwise it comes back).
/// The member's decision refuses to use a hold older than <see cref="CatalogDecider.HoldCommitWindow"/>, so a reclaimed hold can no
/// longer be committed: this lease is what makes the evidence final (it assumes a decision reaches Cosmos within the
/// minutes between the two limits). Until then a crashed hold keeps its unit out of stock.
/// </para>
/// Writers of one item in this process queue on a gate, so concurrent redemptions do not burn their retries on each
/// other's 412s; other instances are kept out by If-Match.
/// </summary>
public sealed partial class CatalogStore(CosmosStorage cosmos, LedgerStore accounts, TimeProvider clock, ILogger<CatalogStore> log)
{
    public const int ItemsMax = 200;
    /// <summary>Open holds per item, i.e. redemptions of it in flight at once; beyond, a redemption is told to retry (503).</summary>
    public const int HoldsMax = 1_000;
    private const int ReclaimsPerWriteMax = 16;
    private const int GateStripes = 64;
    /// <summary>A hold older than this is decided by the journal; comfortably past <see cref="CatalogDecider.HoldCommitWindow"/> (clock skew, slow commits).</summary>
    public static readonly TimeSpan HoldTimeout = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim[] _gates = [.. Enumerable.Range(0, GateStripes).Select(_ => new SemaphoreSlim(1, 1))];
    private readonly ConfigCache<IReadOnlyList<CatalogItemDocument>> _cache = new(clock, async cancellationToken =>
        [.. (await CosmosStorage.ReadPartitionAsync<CatalogItemDocument>(cosmos.Config, CatalogItemDocument.Partition, "c.docType = 'catalogItem'", cancellationToken))
            .OrderBy(i => i.ItemId, StringComparer.Ordinal)]);

    public abstract record HoldOutcome
    {
        private HoldOutcome() { }
        public sealed record Held(StockHold Hold) : HoldOutcome;
        public sealed record OutOfStock : HoldOutcome;
        public sealed record NoSuchItem : HoldOutcome;
        /// <summary>Too many redemptions of the item in flight, or other instances kept winning: retry later.</summary>
        public sealed record Busy : HoldOutcome;
    }

    private Container Config => cosmos.Config;

    public async Task<CatalogItemDocument?> ReadAsync(string itemId, CancellationToken cancellationToken) =>
        (await CosmosStorage.ReadOrNullAsync<CatalogItemDocument>(Config, CatalogItemDocument.IdOf(itemId), CatalogItemDocument.Partition, cancellationToken)).Item;

    /// <summary>Every item, cached for a few seconds (this process's own writes clear the cache): listings are frequent, items few.</summary>
    public Task<IReadOnlyList<CatalogItemDocument>> ListAsync(CancellationToken cancellationToken) => _cache.GetAsync(cancellationToken);

    /// <summary>What saving or deleting an item did.</summary>
    public enum SaveOutcome { Saved, CatalogFull, NotFound, PreconditionFailed }

    /// <summary>
    /// Creates an item or changes its spec (version + 1); units taken and holds stay. With <paramref name="ifMatch"/>,
    /// only while the item is in that state (<see cref="CatalogItemDocument.ETag"/>: its spec and version, so stock
    /// moving under redemptions does not count as a change); the item as it is comes with a refusal.
    /// </summary>
    public async Task<(SaveOutcome Outcome, CatalogItemDocument? Item)> SaveAsync(string itemId, CatalogItemSpec spec, IfMatch? ifMatch,
        CancellationToken cancellationToken)
    {
        var isFull = (await ListAsync(cancellationToken)).Count >= ItemsMax;
        return await UpdateAsync<(SaveOutcome, CatalogItemDocument?)>(itemId, existing =>
        {
            if (!IfMatch.Allows(ifMatch, existing?.ETag())) return Task.FromResult<(CatalogItemDocument?, (SaveOutcome, CatalogItemDocument?))>((null, (SaveOutcome.PreconditionFailed, existing)));
            if (existing is null && isFull) return Task.FromResult<(CatalogItemDocument?, (SaveOutcome, CatalogItemDocument?))>((null, (SaveOutcome.CatalogFull, null)));
            var now = clock.GetUtcNow();
            var next = existing is null
                ? new CatalogItemDocument { Id = CatalogItemDocument.IdOf(itemId), ItemId = itemId, Spec = spec, Version = 1, UpdatedAt = now }
                : existing with { Spec = spec, Version = existing.Version + 1, UpdatedAt = now };
            return Task.FromResult<(CatalogItemDocument?, (SaveOutcome, CatalogItemDocument?))>((next, (SaveOutcome.Saved, next)));
        }, cancellationToken);
    }

    /// <summary>Removes an item (with <paramref name="ifMatch"/>, only while it is in that state). Holds of redemptions in flight resolve to nothing.</summary>
    public async Task<(SaveOutcome Outcome, CatalogItemDocument? Item)> DeleteAsync(string itemId, IfMatch? ifMatch, CancellationToken cancellationToken)
    {
        if (ifMatch is null)
        {
            if (!await CosmosStorage.DeleteIfExistsAsync(Config, CatalogItemDocument.IdOf(itemId), CatalogItemDocument.Partition, cancellationToken)) return (SaveOutcome.NotFound, null);
            _cache.Invalidate();
            return (SaveOutcome.Saved, null);
        }
        // The item's document also changes with its stock: delete exactly the version checked, deciding again when a redemption moved it.
        var gate = GateOf(itemId);
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await ConflictRetry.RunAsync<(SaveOutcome, CatalogItemDocument?)>(async _ =>
            {
                var (current, etag) = await CosmosStorage.ReadOrNullAsync<CatalogItemDocument>(
                    Config, CatalogItemDocument.IdOf(itemId), CatalogItemDocument.Partition, cancellationToken);
                if (!ifMatch.Matches(current?.ETag())) return (true, (SaveOutcome.PreconditionFailed, current));
                try
                {
                    await Config.DeleteItemAsync<CatalogItemDocument>(current!.Id, new PartitionKey(current.Pk), new ItemRequestOptions { IfMatchEtag = etag }, cancellationToken);
                }
                catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
                {
                    return (false, default);
                }
                _cache.Invalidate();
                return (true, (SaveOutcome.Saved, null));
            }, attempt => LogConflict(itemId, attempt), () => new CatalogContentionException(itemId), cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Takes one unit for the redemption <paramref name="redemptionId"/>, after reclaiming lapsed holds.</summary>
    public async Task<HoldOutcome> TryHoldAsync(string itemId, string redemptionId, MemberId memberId, CancellationToken cancellationToken)
    {
        try
        {
            return await UpdateAsync<HoldOutcome>(itemId, async item =>
            {
                if (item is null) return (null, new HoldOutcome.NoSuchItem());
                var now = clock.GetUtcNow();
                var current = await ReclaimLapsedHoldsAsync(item, now, cancellationToken);
                if (current.Spec.Stock is { } stock && current.Taken >= stock) return (current, new HoldOutcome.OutOfStock());
                if (current.Holds.Length >= HoldsMax) return (current, new HoldOutcome.Busy());
                var hold = new StockHold(redemptionId, memberId.Value, now);
                return (current with { Taken = current.Taken + 1, Holds = current.Holds.Add(hold) }, new HoldOutcome.Held(hold));
            }, cancellationToken);
        }
        catch (CatalogContentionException)
        {
            return new HoldOutcome.Busy();
        }
    }

    /// <summary>The member's commit used the unit: the hold goes, the unit stays taken (an outbox item of that commit).</summary>
    public Task SettleAsync(string itemId, string redemptionId) => ResolveAsync(itemId, redemptionId, unitUsed: true);

    /// <summary>The member's commit did not happen: the unit comes back.</summary>
    public Task ReleaseAsync(string itemId, StockHold hold) => ResolveAsync(itemId, hold.RedemptionId, unitUsed: false);

    private async Task ResolveAsync(string itemId, string redemptionId, bool unitUsed)
    {
        try
        {
            // Not cancellable: the member's outcome is final, and leaving the hold would keep the unit out until it lapses.
            await UpdateAsync(itemId, item => Task.FromResult<(CatalogItemDocument?, bool)>(
                item is null || !item.Holds.Any(h => h.RedemptionId == redemptionId)
                    ? (null, false) // Resolved already, or the item was deleted: nothing to give back to.
                    : (item with
                    {
                        Taken = unitUsed ? item.Taken : item.Taken - 1,
                        Holds = item.Holds.RemoveAll(h => h.RedemptionId == redemptionId),
                    }, true)), CancellationToken.None);
        }
        catch (CatalogContentionException)
        {
            // The member's outcome stands; the hold lapses and is reclaimed from the journal, exactly as after a crash.
            LogHoldLeft(itemId, redemptionId);
        }
    }

    /// <summary>Lapsed holds (their attempt died): the member's journal says whether the unit was used.</summary>
    private async Task<CatalogItemDocument> ReclaimLapsedHoldsAsync(CatalogItemDocument item, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lapsed = item.Holds.Where(h => now - h.HeldAt > HoldTimeout).Take(ReclaimsPerWriteMax).ToList();
        foreach (var hold in lapsed)
        {
            var used = await WasUsedAsync(hold, cancellationToken);
            item = item with { Taken = used ? item.Taken : item.Taken - 1, Holds = item.Holds.Remove(hold) };
            LogHoldReclaimed(item.ItemId, hold.RedemptionId, used);
        }
        return item;
    }

    private async Task<bool> WasUsedAsync(StockHold hold, CancellationToken cancellationToken)
    {
        if (!MemberId.TryParse(hold.MemberId, out var memberId)) return false;
        var (account, _) = await accounts.ReadAccountAsync(memberId, cancellationToken);
        if (account is null) return false;
        return account.Journal.Any(e => e.References.Contains(hold.RedemptionId))
            || (await accounts.FindSealedEntriesAsync(memberId, hold.RedemptionId, cancellationToken)).Count > 0;
    }

    /// <summary>
    /// Read, change, write with If-Match (create when absent), under the item's in-process gate. The change returns the
    /// next document (null or the same instance: nothing to write) and the result to return once that is written.
    /// </summary>
    /// <exception cref="CatalogContentionException">Other writers kept winning for every attempt.</exception>
    private async Task<TResult> UpdateAsync<TResult>(string itemId,
        Func<CatalogItemDocument?, Task<(CatalogItemDocument? Next, TResult Result)>> change, CancellationToken cancellationToken)
    {
        var gate = GateOf(itemId);
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await ConflictRetry.RunAsync(async _ =>
            {
                var (current, etag) = await CosmosStorage.ReadOrNullAsync<CatalogItemDocument>(
                    Config, CatalogItemDocument.IdOf(itemId), CatalogItemDocument.Partition, cancellationToken);
                var (next, result) = await change(current);
                if (next is null || ReferenceEquals(next, current)) return (true, result);
                if (!await TryWriteAsync(next, etag, cancellationToken)) return (false, result);
                _cache.Invalidate();
                return (true, result);
            }, attempt => LogConflict(itemId, attempt), () => new CatalogContentionException(itemId), cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private SemaphoreSlim GateOf(string itemId) => _gates[(int)((uint)StringComparer.Ordinal.GetHashCode(itemId) % GateStripes)];

    private async Task<bool> TryWriteAsync(CatalogItemDocument next, string? etag, CancellationToken cancellationToken)
    {
        try
        {
            if (etag is null) await Config.CreateItemAsync(next, new PartitionKey(next.Pk), cancellationToken: cancellationToken);
            else await Config.ReplaceItemAsync(next, next.Id, new PartitionKey(next.Pk), new ItemRequestOptions { IfMatchEtag = etag }, cancellationToken);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            return false; // Someone else wrote, created or deleted it since the read: decide again on fresh state.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Catalog item {ItemId}: write conflict, attempt {Attempt}")]
    private partial void LogConflict(string itemId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalog item {ItemId}: lapsed stock hold {RedemptionId} reclaimed, unit used: {Used}")]
    private partial void LogHoldReclaimed(string itemId, string redemptionId, bool used);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalog item {ItemId}: stock hold {RedemptionId} could not be resolved now; it lapses and is reclaimed later")]
    private partial void LogHoldLeft(string itemId, string redemptionId);
}

/// <summary>Other instances kept changing an item during every retry.</summary>
public sealed class CatalogContentionException(string itemId)
    : ContentionException($"Catalog item {itemId} kept changing during {ConflictRetry.AttemptsMax} attempts.");

using Points.Domain.Catalog;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Redemptions;
using HoldOutcome = Points.Functions.Catalog.CatalogStore.HoldOutcome;

namespace Points.Functions.Catalog;

/// <summary>
/// Redemptions with <c>purpose: catalog</c>. Refusals come in the documented order: the item (unknown or outside its
/// window) and the member's eligibility → <c>not_eligible</c>, the member's limit → <c>limit_reached</c>, stock →
/// <c>out_of_stock</c>, then the ledger's own (<c>member_in_debt</c>, <c>insufficient_points</c>). The first three are
/// checked here on the member as read, so no stock is taken for a member who cannot have the item, and again inside
/// the member's decision (<see cref="CatalogDecider"/>), where they are exact. A unit of a limited item is taken before
/// the member's commit, settled by that commit's outbox, and given back if the commit does not happen
/// (<see cref="CatalogStore"/>). A reversal of a catalog redemption returns the points only: the unit stays taken and
/// still counts toward the member's limit (the goods or seat were handed out; an admin who takes goods back raises the
/// item's stock).
/// </summary>
public sealed class CatalogRedemptions(MemberLedger ledger, LedgerStore accounts, CatalogStore catalog, TimeProvider clock)
{
    private readonly AttemptGates _attempts = new();

    public async Task<IResult> RedeemAsync(MemberId memberId, string key, RedemptionRequest request, HttpContext http)
    {
        // Concurrent retries of one request in this process run one after another: the first takes the unit and commits,
        // the others then find its record and replay. Otherwise each would hold a unit of its own until it learnt it was
        // a replay, and near the end of the stock a retry would be told out_of_stock instead of getting its answer.
        using var attempt = await _attempts.EnterAsync($"{memberId.Value}|{key}", http.RequestAborted);
        var (account, _) = await accounts.ReadAccountAsync(memberId, http.RequestAborted);
        if (account is null) return Problems.For(Problems.MemberNotFound);
        var requestHash = RequestReader.HashOf("POST", http.Request.Path, request);
        // A replay is answered from the ledger's record, whatever became of the item since: it takes no stock, and
        // neither a sold-out nor a changed or deleted item refuses it.
        if (await HasRecordAsync(memberId, account, key, http.RequestAborted))
            return (await ledger.ExecuteAsync(memberId, MemberOperation.Replay(http.CallerName(), key, requestHash))).ToHttp(http, StatusCodes.Status201Created);

        var itemId = request.CatalogItemId!;
        var item = await catalog.ReadAsync(itemId, http.RequestAborted);
        if (item is null) return Problems.For(CatalogRejection.NotEligible, $"There is no catalog item '{itemId}'.");
        if (request.Points != item.Spec.Cost) return Problems.Invalid("points", $"Must equal the cost of catalog item '{itemId}': {item.Spec.Cost}.");
        var terms = item.ToTerms();
        if (CatalogDecider.Check(terms, account.Member, clock.GetUtcNow()) is { } refusal) return Problems.For(refusal.Reason, refusal.Detail);

        var redemptionId = "rdm_" + Guid.CreateVersion7().ToString("N");
        StockHold? hold = null;
        if (terms.LimitedStock)
        {
            switch (await catalog.TryHoldAsync(itemId, redemptionId, memberId, http.RequestAborted))
            {
                case HoldOutcome.Held held: hold = held.Hold; break;
                case HoldOutcome.OutOfStock: return Problems.For(CatalogRejection.OutOfStock, $"Catalog item '{itemId}' is out of stock.");
                case HoldOutcome.NoSuchItem: return Problems.For(CatalogRejection.NotEligible, $"There is no catalog item '{itemId}'.");
                default: throw new CatalogContentionException(itemId); // too many redemptions of the item at once: 503, retry
            }
        }

        // From here the unit is taken: the member's commit settles it (outbox); if the commit throws (outage), the hold
        // stays and lapses into the reclaim path.
        var result = await ledger.ExecuteAsync(memberId, Operation(http.CallerName(), key, requestHash, terms, redemptionId, hold, request));
        if (hold is not null && result is not OperationResult.Applied)
        {
            await catalog.ReleaseAsync(itemId, hold);
        }
        return result.ToHttp(http, StatusCodes.Status201Created);
    }

    /// <summary>The member's side of a catalog redemption, as a member operation.</summary>
    public static MemberOperation Operation(string actor, string key, string requestHash, CatalogTerms terms, string redemptionId, StockHold? hold,
        RedemptionRequest request) =>
        new(actor, key, requestHash, input => CatalogDecider.Redeem(input.Member, terms, redemptionId, hold,
            new EntryDetails(redemptionId, [], $"catalog item {terms.ItemId}", request.StoreId, request.Channel), input.Context));

    /// <summary>Whether the member's ledger holds a record of this key (recent ones in the account, older ones spilled).</summary>
    private async Task<bool> HasRecordAsync(MemberId memberId, AccountDocument account, string key, CancellationToken cancellationToken) =>
        account.Idempotency.Any(r => r.Key == key)
        || (account.IdempotencySpilledUntil > clock.GetUtcNow() && await accounts.ReadSpilledRecordAsync(memberId, key, cancellationToken) is not null);

    /// <summary>One async gate per name while anybody uses it; removed when the last user leaves (bounded by requests in flight).</summary>
    private sealed class AttemptGates
    {
        private readonly Dictionary<string, (SemaphoreSlim Gate, int Users)> _gates = new(StringComparer.Ordinal);

        public async Task<IDisposable> EnterAsync(string name, CancellationToken cancellationToken)
        {
            SemaphoreSlim gate;
            lock (_gates)
            {
                var (existing, users) = _gates.GetValueOrDefault(name);
                gate = existing ?? new SemaphoreSlim(1, 1);
                _gates[name] = (gate, users + 1);
            }
            try
            {
                await gate.WaitAsync(cancellationToken);
            }
            catch
            {
                Leave(name, entered: false);
                throw;
            }
            return new Exit(this, name);
        }

        private void Leave(string name, bool entered)
        {
            lock (_gates)
            {
                var (gate, users) = _gates[name];
                if (entered) gate.Release();
                if (users == 1) _gates.Remove(name);
                else _gates[name] = (gate, users - 1);
            }
        }

        private sealed class Exit(AttemptGates gates, string name) : IDisposable
        {
            public void Dispose() => gates.Leave(name, entered: true);
        }
    }
}

/// <summary>Carries out <see cref="SettleStockHold"/>: the redemption committed, so its unit stays taken and the hold goes.</summary>
public sealed class StockHoldSettlement(CatalogStore catalog) : IOutboxHandler<SettleStockHold>
{
    public Task HandleAsync(MemberId memberId, SettleStockHold item, CancellationToken cancellationToken) =>
        catalog.SettleAsync(item.ItemId, item.RedemptionId);
}

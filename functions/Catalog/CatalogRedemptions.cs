using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Ledger;
using Points.Functions.Redemptions;
using HoldOutcome = Points.Functions.Catalog.CatalogStore.HoldOutcome;

namespace Points.Functions.Catalog;

public sealed record CatalogRedemptionResponse(string RedemptionId, long Points, IReadOnlyList<ConsumedLot> Consumed, long Balance, string CatalogItemId);

/// <summary>
/// Redemptions with <c>purpose: catalog</c>. Refusals come in the documented order: the item (unknown or outside its
/// window) and the member's eligibility → <c>not_eligible</c>, the member's limit → <c>limit_reached</c>, stock →
/// <c>out_of_stock</c>, then the ledger's own (<c>member_in_debt</c>, <c>insufficient_points</c>). The first three are
/// checked here on the account as read, so no stock is taken for a member who cannot have the item, and again inside
/// the member's decision, where they are exact. A unit of a limited item is taken before the member's commit and given
/// back if that commit does not happen (<see cref="CatalogStore"/>). A reversal of a catalog redemption returns the
/// points only: the unit stays taken and still counts toward the member's limit (the goods or seat were handed out;
/// an admin who takes goods back raises the item's stock).
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
        if (account is null) return Problems.For("member_not_found");
        var requestHash = RequestReader.HashOf("POST", http.Request.Path, request);
        // A replay is answered from the ledger's record, whatever became of the item since: it takes no stock, and
        // neither a sold-out nor a changed or deleted item refuses it.
        if (await HasRecordAsync(memberId, account, key, http.RequestAborted))
            return (await ledger.ExecuteAsync(memberId, new MemberOperation(http.CallerName(), key, requestHash, _ => RecordLapsed))).ToHttp(http);

        var itemId = request.CatalogItemId!;
        var item = await catalog.ReadAsync(itemId, http.RequestAborted);
        if (item is null) return Problems.For("not_eligible", $"There is no catalog item '{itemId}'.");
        if (request.Points != item.Spec.Cost) return Problems.Invalid("points", $"Must equal the cost of catalog item '{itemId}': {item.Spec.Cost}.");
        if (CatalogRules.Check(item, account, clock.GetUtcNow()) is { } refusal) return Problems.For(refusal.Code, refusal.Detail);

        var redemptionId = "rdm_" + Guid.CreateVersion7().ToString("N");
        StockHold? hold = null;
        if (item.Spec.Stock is not null)
        {
            switch (await catalog.TryHoldAsync(itemId, redemptionId, memberId, http.RequestAborted))
            {
                case HoldOutcome.Held held: hold = held.Hold; break;
                case HoldOutcome.OutOfStock: return Problems.For("out_of_stock", $"Catalog item '{itemId}' is out of stock.");
                case HoldOutcome.NoSuchItem: return Problems.For("not_eligible", $"There is no catalog item '{itemId}'.");
                default: return Problems.For("service_unavailable", $"Too many redemptions of catalog item '{itemId}' at once; retry.");
            }
        }

        // From here the unit is taken: if the commit throws (outage), the hold stays and lapses into the reclaim path.
        var result = await ledger.ExecuteAsync(memberId, new MemberOperation(http.CallerName(), key, requestHash,
            input => Decide(input, item, request, redemptionId, hold)));
        if (hold is not null)
        {
            await (result is OperationResult.Applied ? catalog.SettleAsync(itemId, hold) : catalog.ReleaseAsync(itemId, hold));
        }
        return result.ToHttp(http);
    }

    /// <summary>Only reached if the record seen a moment ago dropped out of retention (7 days) before the replay was decided.</summary>
    private static readonly OperationDecision RecordLapsed =
        new OperationDecision.Rejected("service_unavailable", "The record of this request expired while it was replayed; retry the request.");

    /// <summary>The member's side, against the account as committed: limit and eligibility exactly, then the spend.</summary>
    internal static OperationDecision Decide(MemberOperationInput input, CatalogItemDocument item, RedemptionRequest request, string redemptionId, StockHold? hold)
    {
        var account = input.Account;
        var now = input.Context.Now;
        // The lease that lets CatalogStore reclaim a lapsed hold safely: never commit on a unit that may be given back.
        if (item.Spec.Stock is not null && (hold is null || now - hold.HeldAt > CatalogStore.HoldCommitWindow))
            return new OperationDecision.Rejected("service_unavailable", "The stock reserved for this redemption lapsed; retry the request.");
        if (CatalogRules.Check(item, account, now) is { } refusal) return new OperationDecision.Rejected(refusal.Code, refusal.Detail);

        var debit = new LedgerCommand.Debit(EntryType.Spend, request.Points)
        {
            Details = new EntryDetails(redemptionId, [], $"catalog item {item.ItemId}", request.StoreId, request.Channel),
        };
        return OperationDecision.From(LedgerDecider.Decide(account.Ledger, debit, input.Context),
            account with { Spending = account.Spending.WithRedeemed(item.ItemId, now) },
            accepted => new CatalogRedemptionResponse(redemptionId, request.Points,
                accepted.Entries.Single(e => e.Type == EntryType.Spend).Lots.Select(l => new ConsumedLot(l.LotId, l.Kind, -l.Points.Value)).ToList(),
                accepted.State.Balance.Value, item.ItemId));
    }

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

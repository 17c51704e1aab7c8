using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Catalog;
using Points.Functions.Ledger;

namespace Points.Functions.Redemptions;

public sealed record RedemptionRequest(long Points, string? Purpose, string? OrderId, string? CatalogItemId, string? StoreId, string? Channel = null);

public sealed record RedemptionResponse(string RedemptionId, long Points, IReadOnlyList<ConsumedLot> Consumed, long Balance);

public sealed record ConsumedLot(string LotId, LotKind Kind, long Points);

public sealed record ReversalRequest(string? Reference, long? Points);

public sealed record ReversalResponse(long Seq, long Points, long Balance);

public static class RedemptionEndpoints
{
    public const long PointsPerRequestMax = 1_000_000_000;
    private const int ReferenceLengthMax = 128;

    public static void MapRedemptionEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/members/{memberId}/redemptions", Redeem).RequireScope(Scopes.PointsWrite)
            .Produces<RedemptionResponse>(201).ProducesProblem(400).ProducesProblem(404).ProducesProblem(422);
        api.MapPost("/v1/members/{memberId}/reversals", Reverse).RequireScope(Scopes.PointsWrite)
            .Produces<ReversalResponse>(201).ProducesProblem(400).ProducesProblem(404).ProducesProblem(422);
    }

    private static async Task<IResult> Redeem(string memberId, HttpContext http, MemberLedger ledger, CatalogRedemptions catalog)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (!RequestReader.TryIdempotencyKey(http, out var key, out problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<RedemptionRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        if (Validate(request!) is { } invalid) return invalid;
        if (request!.Purpose == "catalog") return await catalog.RedeemAsync(id, key, request, http);

        var redemptionId = "rdm_" + Guid.CreateVersion7().ToString("N");
        var details = new EntryDetails(redemptionId, request!.OrderId is { } order ? [order] : [], null, request.StoreId, request.Channel);
        var result = await ledger.ExecuteAsync(id, MemberOperation.ForCommand(
            http.CallerName(), key, RequestReader.HashOf("POST", http.Request.Path, request),
            new LedgerCommand.Debit(EntryType.Spend, request.Points) { Details = details },
            accepted => new RedemptionResponse(redemptionId, request.Points,
                accepted.Entries.Single(e => e.Type == EntryType.Spend).Lots.Select(l => new ConsumedLot(l.LotId, l.Kind, -l.Points.Value)).ToList(),
                accepted.State.Balance.Value)));
        return result.ToHttp(http);
    }

    private static IResult? Validate(RedemptionRequest request) => request switch
    {
        { Points: < 1 or > PointsPerRequestMax } => Problems.Invalid("points", $"Must be 1..{PointsPerRequestMax}."),
        { Purpose: not ("order" or "catalog" or "other") } => Problems.Invalid("purpose", "Must be order, catalog or other."),
        { Purpose: "catalog", CatalogItemId: null or "" } => Problems.Invalid("catalogItemId", "Required when purpose is catalog."),
        { CatalogItemId.Length: > CatalogSpecs.ItemIdLengthMax } => Problems.Invalid("catalogItemId", $"At most {CatalogSpecs.ItemIdLengthMax} characters."),
        { Purpose: "order", OrderId: null or "" } => Problems.Invalid("orderId", "Required when purpose is order."),
        { OrderId.Length: > ReferenceLengthMax } => Problems.Invalid("orderId", $"At most {ReferenceLengthMax} characters."),
        { StoreId.Length: > RequestReader.IdLengthMax } => Problems.Invalid("storeId", $"At most {RequestReader.IdLengthMax} characters."),
        { Channel.Length: 0 or > 64 } => Problems.Invalid("channel", "1–64 characters."),
        _ => null,
    };

    private static async Task<IResult> Reverse(string memberId, HttpContext http, MemberLedger ledger)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (!RequestReader.TryIdempotencyKey(http, out var key, out problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<ReversalRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        if (request!.Reference is not { Length: > 0 and <= ReferenceLengthMax } reference)
            return Problems.Invalid("reference", $"Required, 1–{ReferenceLengthMax} characters.");
        if (request.Points is < 1 or > PointsPerRequestMax) return Problems.Invalid("points", $"Must be 1..{PointsPerRequestMax}.");

        var points = request.Points is { } p ? new PointAmount(p) : (PointAmount?)null;
        var result = await ledger.ExecuteAsync(id, new MemberOperation(http.CallerName(), key,
            RequestReader.HashOf("POST", http.Request.Path, request), input => DecideReversal(input, reference, points), RelatedReference: reference));
        return result.ToHttp(http);
    }

    /// <summary>
    /// Reverses the entries recorded under the reference; when they rewarded a purchase, the same share of the
    /// purchase's yen leaves the rank metric (domain.md: the metric is net of reversals).
    /// </summary>
    private static OperationDecision DecideReversal(MemberOperationInput input, string reference, PointAmount? points)
    {
        var command = new LedgerCommand.Reverse(reference, points, input.Related) { Details = new EntryDetails(reference, [], null, null, null) };
        var outcome = LedgerDecider.Decide(input.Account.Ledger, command, input.Context);
        if (outcome is LedgerOutcome.Rejected rejected)
        {
            return OperationDecision.Rejected.Of(rejected);
        }
        var accepted = (LedgerOutcome.Accepted)outcome;
        var reversals = accepted.Entries.Where(e => e.Type == EntryType.Reverse).ToList();
        var reversed = -reversals.Sum(e => e.Points.Value);
        var account = input.Account with { Ledger = accepted.State };
        if (input.Related.FirstOrDefault(e => e.PurchaseYen is not null) is { PurchaseYen: { } yen, PurchaseOn: { } on })
        {
            var rewarded = input.Related.Where(e => e.Type == EntryType.Earn && e.ReversalOf is null).Sum(e => e.Points.Value);
            var returnedYen = (long)((Int128)yen * reversed / Math.Max(rewarded, 1)); // floor: the metric never drops by more than was returned
            account = account with { Earning = account.Earning.WithoutPurchaseYen(on, returnedYen) };
        }
        return new OperationDecision.Accepted(account, accepted.Entries,
            new ReversalResponse(reversals[^1].Seq, -reversed, accepted.State.Balance.Value));
    }
}

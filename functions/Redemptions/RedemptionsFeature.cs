using System.ComponentModel.DataAnnotations;
using Points.Domain.Catalog;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Domain.Redemptions;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Catalog;
using Points.Functions.Hosting;
using Points.Functions.Ledger;

namespace Points.Functions.Redemptions;

public sealed record RedemptionRequest(long Points, [property: Required] string? Purpose, string? OrderId, string? CatalogItemId, string? StoreId, string? Channel = null);

public sealed record ReversalRequest([property: Required] string? Reference, long? Points);

/// <summary>Spending points (F11) and reversing earns, spends and referenced adjustments (their refusals are the ledger's).</summary>
public sealed class RedemptionsFeature : Feature
{
    public const long PointsPerRequestMax = PointAmount.PerRequestMax;

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/members/{memberId}/redemptions", Redeem).RequireScope(Scopes.PointsWrite)
            .Describe("redeemPoints", ApiTags.Spending, "Redeem a member's points",
                "Spends points in consumption order for an order (`orderId`), a catalog item (`catalogItemId`, `points` = its cost; "
                + "the answer then also names `catalogItemId`) or another purpose, and answers the lots they came from and the balance after. "
                + "Reverse it by its `redemptionId`.")
            .RequiresIdempotencyKey()
            .TakesJson<RedemptionRequest>()
            .Produces<RedemptionResponse>(201)
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound)
            .Refuses(LedgerRejection.InsufficientPoints, LedgerRejection.MemberInDebt,
                CatalogRejection.NotEligible, CatalogRejection.LimitReached, CatalogRejection.OutOfStock);
        api.MapPost("/v1/members/{memberId}/reversals", Reverse).RequireScope(Scopes.PointsWrite)
            .Describe("reversePoints", ApiTags.Spending, "Reverse an earn, a spend or a referenced adjustment",
                "Reverses, in full or in part (`points`), what was recorded under `reference` (a redemptionId, an eventId or orderId, or an "
                + "adjustment's reference): spent points go back to their lots, earned points are taken back (as debt if already spent).")
            .RequiresIdempotencyKey()
            .TakesJson<ReversalRequest>()
            .Produces<ReversalResponse>(201)
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound)
            .Refuses(LedgerRejection.NothingToReverse, LedgerRejection.ReversalExceedsRemaining, LedgerRejection.BalanceLimitExceeded);
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
        var details = new EntryDetails(redemptionId, request.OrderId is { } order ? [order] : [], null, request.StoreId, request.Channel);
        var result = await ledger.ExecuteAsync(id, new MemberOperation(http.CallerName(), key, RequestReader.HashOf("POST", http.Request.Path, request),
            input => RedemptionDecider.Redeem(input.Member, redemptionId, request.Points, details, input.Context)));
        return result.ToHttp(http, StatusCodes.Status201Created);
    }

    private static IResult? Validate(RedemptionRequest request) => request switch
    {
        { Points: < 1 or > PointsPerRequestMax } => Problems.Invalid("points", $"Must be 1..{PointsPerRequestMax}."),
        { Purpose: not ("order" or "catalog" or "other") } => Problems.Invalid("purpose", "Must be order, catalog or other."),
        { Purpose: "catalog", CatalogItemId: null or "" } => Problems.Invalid("catalogItemId", "Required when purpose is catalog."),
        { CatalogItemId: { } item } when !RequestReader.IsWellFormedId(item) => RequestReader.InvalidId("catalogItemId"),
        { Purpose: "order", OrderId: null or "" } => Problems.Invalid("orderId", "Required when purpose is order."),
        { OrderId.Length: 0 or > EntryDetails.ReferenceLengthMax } => Problems.Invalid("orderId", $"1–{EntryDetails.ReferenceLengthMax} characters."),
        { StoreId.Length: 0 or > RequestReader.IdLengthMax } => Problems.Invalid("storeId", $"1–{RequestReader.IdLengthMax} characters."),
        { Channel.Length: 0 or > EntryDetails.ChannelLengthMax } => Problems.Invalid("channel", $"1–{EntryDetails.ChannelLengthMax} characters."),
        _ => null,
    };

    private static async Task<IResult> Reverse(string memberId, HttpContext http, MemberLedger ledger)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (!RequestReader.TryIdempotencyKey(http, out var key, out problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<ReversalRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        if (request!.Reference is not { Length: > 0 and <= EntryDetails.ReferenceLengthMax } reference)
            return Problems.Invalid("reference", $"Required, 1–{EntryDetails.ReferenceLengthMax} characters.");
        if (request.Points is < 1 or > PointsPerRequestMax) return Problems.Invalid("points", $"Must be 1..{PointsPerRequestMax}.");

        var points = request.Points is { } p ? new PointAmount(p) : (PointAmount?)null;
        var result = await ledger.ExecuteAsync(id, Reversal(reference, points, http.CallerName(), key, RequestReader.HashOf("POST", http.Request.Path, request)));
        return result.ToHttp(http, StatusCodes.Status201Created);
    }

    /// <summary>Reverses what was recorded under <paramref name="reference"/>, all of it or <paramref name="points"/> (the API and the console).</summary>
    public static MemberOperation Reversal(string reference, PointAmount? points, string actor, string idempotencyKey, string requestHash) =>
        new(actor, idempotencyKey, requestHash, input => RedemptionDecider.Reverse(input.Member, reference, points, input.Related, input.Context))
        {
            RelatedReference = reference,
        };
}

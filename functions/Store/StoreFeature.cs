using System.ComponentModel.DataAnnotations;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Domain.Store;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Earning;
using Points.Functions.Hosting;
using Points.Functions.Ledger;
using Points.Functions.Redemptions;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Store;

public sealed record QrTokenResponse(string Token, DateTimeOffset ExpiresAt);

public sealed record StoreTransactionRequest(
    [property: Required] string? QrToken, [property: Required] string? StoreId, [property: Required] long? PurchaseAmount, long? PointsToUse);

/// <summary>In-store use (F14): QR tokens and store transactions.</summary>
public sealed class StoreFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<StoreOptions>(configuration.GetSection("Store"));
        services.AddSingleton<QrTokens>();
    }

    public override IEnumerable<RejectionProblem> Rejections =>
        [new(StoreRejection.InvalidQrToken, new("invalid_qr_token", 401, "The QR token is invalid, expired or already used."))];

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/members/{memberId}/qr-token", IssueQrToken).RequireScope(Scopes.MembersRead)
            .Describe("issueQrToken", ApiTags.Store, "Issue a QR token for the member to show in store",
                "A signed token, valid for 5 minutes, that pays for one store transaction. Issuing one changes nothing, so it needs no Idempotency-Key.")
            .Produces<QrTokenResponse>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound);
        api.MapPost("/v1/store/transactions", Transact).RequireScope(Scopes.PointsWrite)
            .Describe("recordStoreTransaction", ApiTags.Store, "Pay in store with points and earn on the rest",
                "The store terminal's purchase by the member whose QR token it scanned: spends `pointsToUse`, then earns on the yen actually "
                + "paid (`purchaseAmount − pointsToUse × yenPerPoint`), together in one commit. A forged, expired or used token changes nothing.")
            .RequiresIdempotencyKey()
            .TakesJson<StoreTransactionRequest>()
            .Produces<StoreTransactionResponse>(201)
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound)
            .Refuses(StoreRejection.InvalidQrToken, LedgerRejection.InsufficientPoints, LedgerRejection.MemberInDebt, LedgerRejection.AmountTooLarge,
                LedgerRejection.BalanceLimitExceeded);
    }

    private static async Task<IResult> IssueQrToken(string memberId, HttpContext http, LedgerStore accounts, QrTokens tokens)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        var (account, _) = await accounts.ReadAccountAsync(id, http.RequestAborted);
        if (account is null) return Problems.For(Problems.MemberNotFound);
        var (token, expiresAt) = tokens.Issue(id);
        return Results.Json(new QrTokenResponse(token, expiresAt), JsonDefaults.Options);
    }

    private static async Task<IResult> Transact(HttpContext http, MemberLedger ledger, QrTokens tokens, EarningConfigStore earning,
        ProgramSettingsStore settingsStore)
    {
        if (!RequestReader.TryIdempotencyKey(http, out var key, out var problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<StoreTransactionRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        var settings = await settingsStore.GetAsync(http.RequestAborted);
        if (Validate(request!, settings) is { Count: > 0 } errors) return Problems.Invalid("Some fields are invalid.", errors);
        if (!tokens.TryRead(request!.QrToken, out var token))
            return Problems.For(StoreRejection.InvalidQrToken, "The QR token is malformed or its signature does not match.");

        var config = await earning.GetConfigAsync(settings, http.RequestAborted);
        var purchase = new StorePurchase("stx_" + Guid.CreateVersion7().ToString("N"), "store:" + key, request.StoreId!,
            request.PurchaseAmount!.Value, request.PointsToUse ?? 0, settings.YenPerPoint);
        // The purchase event's id is the idempotency key: the same key replays the transaction, spend and earn together.
        var result = await ledger.ExecuteAsync(token.MemberId, new MemberOperation(http.CallerName(), purchase.EventId,
            RequestReader.HashOf("POST", http.Request.Path, request), input => StoreDecider.Transact(input.Member, token, purchase, config, input.Context)));
        return result.ToHttp(http, StatusCodes.Status201Created);
    }

    private static Dictionary<string, string[]> Validate(StoreTransactionRequest request, ProgramSettings settings)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.QrToken)) errors["qrToken"] = ["Required: the token from the member's QR code."];
        if (request.StoreId is not { Length: > 0 and <= RequestReader.IdLengthMax }) errors["storeId"] = [$"Required, 1–{RequestReader.IdLengthMax} characters."];
        if (request.PurchaseAmount is not (>= 0 and <= EventEndpoints.AmountYenMax)) errors["purchaseAmount"] = [$"Required, 0..{EventEndpoints.AmountYenMax} yen."];
        if (request.PointsToUse is < 0 or > RedemptionsFeature.PointsPerRequestMax) errors["pointsToUse"] = [$"0..{RedemptionsFeature.PointsPerRequestMax} points."];
        else if (request is { PurchaseAmount: >= 0 and var amount, PointsToUse: > 0 and var points } && points * settings.YenPerPoint > amount)
            errors["pointsToUse"] = [$"Worth more than the purchase: at most {amount / settings.YenPerPoint} points at {settings.YenPerPoint} yen per point."];
        return errors;
    }
}

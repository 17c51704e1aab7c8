using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Earning;
using Points.Functions.Ledger;
using Points.Functions.Redemptions;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Store;

public sealed record QrTokenResponse(string Token, DateTimeOffset ExpiresAt);

/// <summary>In-store use (F14): the member's QR token, and the terminal's purchase that spends and earns at once.</summary>
public static class StoreEndpoints
{

    public static void MapStoreEndpoints(this IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/members/{memberId}/qr-token", IssueQrToken).RequireScope(Scopes.MembersRead)
            .Produces<QrTokenResponse>().ProducesProblem(400).ProducesProblem(404);
        api.MapPost("/v1/store/transactions", Transact).RequireScope(Scopes.PointsWrite)
            .Produces<StoreTransactionResponse>(201).ProducesProblem(400).ProducesProblem(401).ProducesProblem(404).ProducesProblem(422);
    }

    private static async Task<IResult> IssueQrToken(string memberId, HttpContext http, LedgerStore accounts, QrTokens tokens)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        var (account, _) = await accounts.ReadAccountAsync(id, http.RequestAborted);
        if (account is null) return Problems.For("member_not_found");
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
        if (Validate(request!, settings) is { Count: > 0 } errors) return Problems.For("invalid_request", "Some fields are invalid.", errors);
        if (!tokens.TryRead(request!.QrToken, out var token))
            return Problems.For("invalid_qr_token", "The QR token is malformed or its signature does not match.");

        var (rules, campaigns) = await earning.GetActiveAsync(http.RequestAborted);
        var result = await ledger.ExecuteAsync(token.MemberId, StoreTransaction.For(token, request, key, rules, campaigns, settings,
            http.CallerName(), RequestReader.HashOf("POST", http.Request.Path, request)));
        return result.ToHttp(http);
    }

    private static Dictionary<string, string[]> Validate(StoreTransactionRequest request, ProgramSettings settings)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.QrToken)) errors["qrToken"] = ["Required: the token from the member's QR code."];
        if (request.StoreId is not { Length: > 0 and <= RequestReader.IdLengthMax }) errors["storeId"] = [$"Required, 1–{RequestReader.IdLengthMax} characters."];
        if (request.PurchaseAmount is not (>= 0 and <= EventEndpoints.AmountYenMax)) errors["purchaseAmount"] = [$"Required, 0..{EventEndpoints.AmountYenMax} yen."];
        if (request.PointsToUse is < 0 or > RedemptionEndpoints.PointsPerRequestMax) errors["pointsToUse"] = [$"0..{RedemptionEndpoints.PointsPerRequestMax} points."];
        else if (request is { PurchaseAmount: >= 0 and var amount, PointsToUse: > 0 and var points } && points * settings.YenPerPoint > amount)
            errors["pointsToUse"] = [$"Worth more than the purchase: at most {amount / settings.YenPerPoint} points at {settings.YenPerPoint} yen per point."];
        return errors;
    }
}

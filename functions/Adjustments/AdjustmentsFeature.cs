using System.ComponentModel.DataAnnotations;
using Points.Domain.Adjustments;
using Points.Domain.Ledger;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Hosting;
using Points.Functions.Ledger;
using Points.Functions.Settings;

namespace Points.Functions.Adjustments;

public sealed record AdjustmentRequest(long Points, LotKind? Kind, DateOnly? ExpiresOn, [property: Required] string? Reason, string? Reference);

/// <summary>Manual grants and deductions by admins (F10); bulk ones come as CSV (Imports).</summary>
public sealed class AdjustmentsFeature : Feature
{
    public override void MapRoutes(IEndpointRouteBuilder api) =>
        api.MapPost("/v1/admin/members/{memberId}/adjustments", Adjust).RequireScope(Scopes.Admin)
            .Describe("adjustPoints", ApiTags.Admin, "Grant or deduct points by hand",
                "Positive `points` grant a lot of `kind` (regular by default; special points need `expiresOn`), negative points deduct in "
                + "consumption order. Always with a `reason`; with a `reference` it can later be reversed by it.")
            .RequiresIdempotencyKey()
            .TakesJson<AdjustmentRequest>()
            .Produces<Adjustment.Response>(201)
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound)
            .Refuses(LedgerRejection.InsufficientPoints, LedgerRejection.ExpiryRequired, LedgerRejection.ExpiryNotAllowed, LedgerRejection.ExpiryInPast,
                LedgerRejection.BalanceLimitExceeded);

    /// <summary>Why an adjustment cannot grant purchased points (the API and CSV imports say the same).</summary>
    public const string PurchasedKindRefused = "kind purchased is not allowed: purchased points come only from PayPal purchases. Grant regular or special points.";

    /// <summary>The adjustment as a member operation (the API and CSV imports share it).</summary>
    public static MemberOperation Operation(Adjustment adjustment, string actor, string idempotencyKey, string requestHash) =>
        new(actor, idempotencyKey, requestHash, input => adjustment.Decide(input.Member, input.Context));

    /// <summary>What is checked of an adjustment before the ledger decides it (the API and the console), by field.</summary>
    public static Dictionary<string, string[]> Check(AdjustmentRequest request, DateOnly today)
    {
        var errors = Adjustment.Validate(request.Points, request.Reason, request.Reference);
        if (request.Kind == LotKind.Purchased) errors["kind"] = [PurchasedKindRefused];
        if (request.ExpiresOn > today.AddDays(ExpiryDaysAheadMax)) errors["expiresOn"] = [$"At most {ExpiryDaysAheadMax} days (10 years) from today."];
        return errors;
    }

    /// <summary>Special points expire at most this many days (10 years) after the day they are granted (as a rule's grant).</summary>
    public const int ExpiryDaysAheadMax = Earning.EarningSpecs.SpecialExpiryDaysMax;

    private static async Task<IResult> Adjust(string memberId, HttpContext http, MemberLedger ledger, ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (!RequestReader.TryIdempotencyKey(http, out var key, out problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<AdjustmentRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        var errors = Check(request!, (await settingsStore.GetAsync(http.RequestAborted)).DateOf(clock.GetUtcNow()));
        if (errors.Count > 0) return Problems.Invalid("Some fields are invalid.", errors);

        var adjustment = new Adjustment(request!.Points, request.Kind ?? LotKind.Regular, request.ExpiresOn, request.Reason!.Trim(), request.Reference);
        var result = await ledger.ExecuteAsync(id,
            Operation(adjustment, http.CallerName(), key, RequestReader.HashOf("POST", http.Request.Path, request)));
        return result.ToHttp(http, StatusCodes.Status201Created);
    }
}

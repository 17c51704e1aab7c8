using Points.Domain.Ledger;

namespace Points.Functions.Api;

/// <summary>One kind of problem: its stable snake_case <paramref name="Code"/> (api.md), HTTP status and title.</summary>
public sealed record ProblemType(string Code, int Status, string Title);

/// <summary>
/// The one place where outcomes become HTTP: every error is application/problem+json (RFC 9457) with a stable
/// <c>code</c>. The problems of the HTTP layer itself are listed here; every business refusal (a feature's rejection
/// enum) maps to its problem through the table the features contribute to (<see cref="Feature.Rejections"/>).
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static readonly ProblemType InvalidRequest = new("invalid_request", 400, "The request is not valid.");
    public static readonly ProblemType IdempotencyKeyRequired = new("idempotency_key_required", 400, "An Idempotency-Key header is required.");
    public static readonly ProblemType Unauthorized = new("unauthorized", 401, "A valid X-Api-Key is required.");
    public static readonly ProblemType Forbidden = new("forbidden", 403, "The API key lacks the scope this endpoint needs.");
    public static readonly ProblemType MemberNotFound = new("member_not_found", 404, "The member does not exist.");
    public static readonly ProblemType NotFound = new("not_found", 404, "No such resource.");
    public static readonly ProblemType MethodNotAllowed = new("method_not_allowed", 405, "The method is not allowed on this resource.");
    public static readonly ProblemType PreconditionFailed = new("precondition_failed", 412, "The resource changed since the ETag given in If-Match.");
    public static readonly ProblemType UnsupportedMediaType = new("unsupported_media_type", 415, "The body must be JSON (Content-Type: application/json).");
    public static readonly ProblemType IdempotencyKeyReused = new("idempotency_key_reused", 422, "The Idempotency-Key was used with a different request.");
    public static readonly ProblemType PreconditionRequired = new("precondition_required", 428, "An If-Match header with the resource's current ETag is required.");
    public static readonly ProblemType InternalError = new("internal_error", 500, "An unexpected error occurred.");
    public static readonly ProblemType ServiceUnavailable = new("service_unavailable", 503, "A dependency is unavailable; retry later.");
    /// <summary>Shared by the features with a smallest amount (withdrawals, purchases): one code, one title.</summary>
    public static readonly ProblemType BelowMinimum = new("below_minimum", 422, "Fewer points than the smallest amount allowed.");

    private static readonly ProblemType[] OfTheHttpLayer =
        [
            InvalidRequest, IdempotencyKeyRequired, Unauthorized, Forbidden, MemberNotFound, NotFound, MethodNotAllowed, PreconditionFailed,
            UnsupportedMediaType, IdempotencyKeyReused, PreconditionRequired, InternalError, ServiceUnavailable,
        ];

    /// <summary>Every business refusal of every feature, with its problem: the one table.</summary>
    private static readonly Lazy<IReadOnlyDictionary<Enum, ProblemType>> RejectionTable = new(() =>
        PointsApp.Features.SelectMany(f => f.Rejections).ToDictionary(r => r.Reason, r => r.Problem));

    /// <summary>Every documented code.</summary>
    public static IReadOnlyCollection<string> Codes =>
        [.. OfTheHttpLayer.Concat(RejectionTable.Value.Values).Concat(PointsApp.Features.SelectMany(f => f.AlsoAnswers)).Select(p => p.Code)
            .Distinct(StringComparer.Ordinal)];

    /// <summary>The rejection enums of every feature (each member must have a row in the table; a test checks it).</summary>
    public static IEnumerable<Type> RejectionTypes => RejectionTable.Value.Keys.Select(k => k.GetType()).Distinct();

    public static ProblemType Of(Enum rejection) =>
        RejectionTable.Value.TryGetValue(rejection, out var problem)
            ? problem
            : throw new ArgumentOutOfRangeException(nameof(rejection), rejection, $"{rejection.GetType().Name}.{rejection} has no problem in the table.");

    public static IResult For(ProblemType problem, string? detail = null, IDictionary<string, string[]>? errors = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = problem.Code };
        if (errors is not null)
        {
            extensions["errors"] = errors;
        }
        return Results.Problem(detail: detail, statusCode: problem.Status, title: problem.Title, type: $"https://points.example/problems/{problem.Code}",
            extensions: extensions);
    }

    /// <summary>A business refusal: its feature's reason, mapped through the table.</summary>
    public static IResult For(Enum rejection, string detail) => For(Of(rejection), detail);

    public static IResult Invalid(string field, string message) =>
        For(InvalidRequest, $"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] });

    public static IResult Invalid(string detail, IDictionary<string, string[]> errors) => For(InvalidRequest, detail, errors);
}

/// <summary>A row of the rejection table: a feature's refusal and the problem it is answered with.</summary>
public sealed record RejectionProblem(Enum Reason, ProblemType Problem);

/// <summary>The ledger's own refusals, shared by every feature that moves points.</summary>
public static class LedgerProblems
{
    public static readonly IReadOnlyList<RejectionProblem> Rows =
    [
        new(LedgerRejection.MemberInDebt, new("member_in_debt", 422, "The member owes points and cannot spend.")),
        new(LedgerRejection.InsufficientPoints, new("insufficient_points", 422, "The member does not have enough points.")),
        new(LedgerRejection.ExpiryRequired, new("expiry_required", 422, "Special points need an expiry date.")),
        new(LedgerRejection.ExpiryNotAllowed, new("expiry_not_allowed", 422, "Only special points take an explicit expiry date.")),
        new(LedgerRejection.ExpiryInPast, new("expiry_in_past", 422, "The expiry date has passed.")),
        new(LedgerRejection.NothingToReverse, new("nothing_to_reverse", 422, "Nothing remains to reverse under that reference.")),
        new(LedgerRejection.ReversalExceedsRemaining, new("reversal_exceeds_remaining", 422, "The reversal is larger than what remains reversible.")),
        new(LedgerRejection.HoldNotFound, new("hold_not_found", 422, "No such open hold.")),
        new(LedgerRejection.AmountTooLarge, new("amount_too_large", 422, "More points than one request may move.")),
        new(LedgerRejection.BalanceLimitExceeded, new("balance_limit_exceeded", 422, "The member's points or debt would pass the ledger's bound.")),
    ];
}

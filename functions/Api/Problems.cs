namespace Points.Functions.Api;

/// <summary>
/// The one place where outcomes become HTTP: every error is application/problem+json (RFC 9457) with a stable
/// snake_case <c>code</c> from api.md.
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    private static readonly Dictionary<string, (int Status, string Title)> Known = new(StringComparer.Ordinal)
    {
        ["invalid_request"] = (400, "The request is not valid."),
        ["idempotency_key_required"] = (400, "An Idempotency-Key header is required."),
        ["unauthorized"] = (401, "A valid X-Api-Key is required."),
        ["invalid_qr_token"] = (401, "The QR token is invalid, expired or already used."),
        ["forbidden"] = (403, "The API key lacks the scope this endpoint needs."),
        ["member_not_found"] = (404, "The member does not exist."),
        ["not_found"] = (404, "No such resource."),
        ["method_not_allowed"] = (405, "The method is not allowed on this resource."),
        ["idempotency_key_reused"] = (422, "The Idempotency-Key was used with a different request."),
        ["insufficient_points"] = (422, "The member does not have enough points."),
        ["member_in_debt"] = (422, "The member owes points and cannot spend."),
        ["expiry_required"] = (422, "Special points need an expiry date."),
        ["expiry_not_allowed"] = (422, "Only special points take an explicit expiry date."),
        ["expiry_in_past"] = (422, "The expiry date has passed."),
        ["nothing_to_reverse"] = (422, "Nothing remains to reverse under that reference."),
        ["reversal_exceeds_remaining"] = (422, "The reversal is larger than what remains reversible."),
        ["hold_not_found"] = (422, "No such open hold."),
        ["invalid_referral_code"] = (422, "No member has that referral code."),
        ["self_referral"] = (422, "A member cannot refer themselves."),
        ["not_eligible"] = (422, "The member cannot redeem this catalog item now."),
        ["limit_reached"] = (422, "The member has reached their limit for this catalog item."),
        ["out_of_stock"] = (422, "The catalog item is out of stock."),
        ["referral_after_registration"] = (422, "A referral code can only be given when the member registers."),
        ["internal_error"] = (500, "An unexpected error occurred."),
        ["service_unavailable"] = (503, "A dependency is unavailable; retry later."),
    };

    public static IReadOnlyCollection<string> Codes => Known.Keys;

    public static IResult For(string code, string? detail = null, IDictionary<string, string[]>? errors = null)
    {
        var (status, title) = Known.TryGetValue(code, out var known)
            ? known
            : throw new ArgumentOutOfRangeException(nameof(code), code, "Undocumented problem code.");
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (errors is not null)
        {
            extensions["errors"] = errors;
        }
        return Results.Problem(detail: detail, statusCode: status, title: title, type: $"https://points.example/problems/{code}",
            extensions: extensions);
    }

    public static IResult Invalid(string field, string message) =>
        For("invalid_request", $"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] });
}

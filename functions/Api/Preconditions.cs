using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Net.Http.Headers;
using Points.Functions.Storage;

namespace Points.Functions.Api;

/// <summary>
/// Optimistic concurrency over HTTP (RFC 9110 §8.8.3, §13.1.1): admin resources answer their <c>ETag</c>, and a change
/// sent with <c>If-Match</c> is applied only while the resource is still in the state the client read; otherwise 412
/// <c>precondition_failed</c>. The tag is a hash of what the admin controls (the spec and its version), not of the
/// storage document, so a catalog item's stock moving under redemptions does not make an admin's copy stale.
/// </summary>
public static class Preconditions
{
    private const int TagHexDigits = 32;

    /// <summary>The strong ETag (quoted) of <paramref name="state"/>: equal states, equal tags.</summary>
    public static string ETagOf(object state)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(state, state.GetType(), JsonDefaults.Options);
        return $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..TagHexDigits]}\"";
    }

    /// <summary>Sets the response's ETag header (before the result is written).</summary>
    public static void AnswerETag(HttpContext http, string etag) => http.Response.Headers.ETag = etag;

    /// <summary>
    /// The If-Match header: null when absent; <c>*</c> or a list of strong tags otherwise. A header that is not that
    /// is a 400 naming it (weak tags never match: If-Match compares strongly).
    /// </summary>
    public static bool TryReadIfMatch(HttpContext http, out IfMatch? ifMatch, out IResult? problem)
    {
        ifMatch = null;
        problem = null;
        var values = http.Request.Headers.IfMatch;
        if (values.Count == 0) return true;
        if (EntityTagHeaderValue.TryParseStrictList(values, out var tags) && tags.Count > 0)
        {
            ifMatch = new IfMatch(tags.Any(t => t.Equals(EntityTagHeaderValue.Any)),
                [.. tags.Where(t => !t.IsWeak && !t.Equals(EntityTagHeaderValue.Any)).Select(t => t.Tag.ToString())]);
            return true;
        }
        problem = Problems.Invalid("If-Match", "Must be * or the quoted ETag the resource was read with.");
        return false;
    }

    /// <summary>
    /// For resources that require a conditional change (the program settings): a missing If-Match is 428
    /// <c>precondition_required</c>.
    /// </summary>
    public static bool TryReadRequiredIfMatch(HttpContext http, string what, out IfMatch? ifMatch, out IResult? problem)
    {
        if (!TryReadIfMatch(http, out ifMatch, out problem)) return false;
        if (ifMatch is null)
        {
            problem = Problems.For(Problems.PreconditionRequired, $"Changing {what} needs If-Match with the ETag of a GET, so that no other admin's change is overwritten.");
            return false;
        }
        return true;
    }

    /// <summary>412 with the current ETag, so the client can see the resource moved on.</summary>
    public static IResult Failed(HttpContext http, string what, string? currentETag)
    {
        if (currentETag is not null) AnswerETag(http, currentETag);
        return Problems.For(Problems.PreconditionFailed,
            currentETag is null ? $"{what}: there is none now (If-Match names a state that is gone)."
                : $"{what}: changed since the state If-Match names; read again and retry with the new ETag.");
    }
}

/// <summary>An If-Match precondition: <c>*</c> (any current state) or the strong tags it lists.</summary>
public sealed record IfMatch(bool Any, IReadOnlyList<string> ETags)
{
    /// <summary>Whether the resource's current state (its tag, or null when it does not exist) satisfies the condition.</summary>
    public static bool Allows(IfMatch? condition, string? currentETag) => condition is null || condition.Matches(currentETag);

    public bool Matches(string? currentETag) => currentETag is not null && (Any || ETags.Contains(currentETag, StringComparer.Ordinal));
}

using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Points.Domain.Primitives;
using Points.Functions.Storage;

namespace Points.Functions.Api;

/// <summary>Parses requests once, at the edge: body, member id and idempotency key, each with its documented 400.</summary>
public static partial class RequestReader
{
    /// <summary>api.md: bodies over 1 MiB are refused.</summary>
    public const int BodyBytesMax = 1024 * 1024;
    public const int IdempotencyKeyLengthMax = 128;

    public static async Task<(T? Value, IResult? Problem)> ReadBodyAsync<T>(HttpContext http) where T : class
    {
        if (http.Request.ContentLength > BodyBytesMax)
        {
            return (null, Problems.For(Problems.InvalidRequest, $"The body is larger than {BodyBytesMax} bytes."));
        }
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, JsonDefaults.Options, http.RequestAborted);
            return value is null ? (null, Problems.For(Problems.InvalidRequest, "A JSON body is required.")) : (value, null);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            return (null, Problems.Invalid(field, "Malformed JSON or a value of the wrong type."));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.For(Problems.InvalidRequest, $"The body is larger than {BodyBytesMax} bytes."));
        }
    }

    public static bool TryMemberId(string? text, out MemberId memberId, out IResult? problem)
    {
        problem = null;
        if (MemberId.TryParse(text, out memberId))
        {
            return true;
        }
        problem = Problems.Invalid("memberId", $"Must be 1–{MemberId.LengthMax} characters of A-Z a-z 0-9 . _ -");
        return false;
    }

    /// <summary>The Idempotency-Key header: 1–128 chars of [A-Za-z0-9._:-] (api.md).</summary>
    public static bool TryIdempotencyKey(HttpContext http, out string key, out IResult? problem)
    {
        key = http.Request.Headers["Idempotency-Key"].ToString();
        problem = null;
        if (IsWellFormedKey(key))
        {
            return true;
        }
        problem = Problems.For(Problems.IdempotencyKeyRequired, $"Send an Idempotency-Key header of 1–{IdempotencyKeyLengthMax} characters [A-Za-z0-9._:-].");
        return false;
    }

    public static bool IsWellFormedKey(string? key) => key is { Length: > 0 and <= IdempotencyKeyLengthMax } && KeyPattern().IsMatch(key);

    /// <summary>Ids that admins and partners choose (rules, campaigns, catalog items, stores): at most this long.</summary>
    public const int IdLengthMax = 64;

    /// <summary>An id used in a path: 1–<see cref="IdLengthMax"/> characters of the key alphabet.</summary>
    public static bool IsWellFormedId(string? id) => IsWellFormedKey(id) && id!.Length <= IdLengthMax;

    /// <summary>
    /// An admin's PUT of a named thing (a rule, a campaign, a catalog item): a well-formed id in the path and a body
    /// that <paramref name="validate"/> finds no fault with; otherwise the 400 to answer.
    /// </summary>
    public static async Task<(T? Spec, IResult? Problem)> ReadSpecAsync<T>(HttpContext http, string idField, string id,
        Func<T, Dictionary<string, string[]>> validate, string invalidDetail) where T : class
    {
        if (!IsWellFormedId(id)) return (null, InvalidId(idField));
        var (spec, problem) = await ReadBodyAsync<T>(http);
        if (problem is not null) return (null, problem);
        var errors = validate(spec!);
        return errors.Count > 0 ? (null, Problems.Invalid(invalidDetail, errors)) : (spec, null);
    }

    public static IResult InvalidId(string field) => Problems.Invalid(field, $"1–{IdLengthMax} characters [A-Za-z0-9._:-].");

    /// <summary>Hash of the request as parsed (not as sent), so whitespace or field order do not make a retry "different".</summary>
    public static string HashOf(string method, string path, object request)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new { method, path, request }, JsonDefaults.Options);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
    }

    /// <summary>Lets one endpoint (a trigger invocation carrying a blob inline) read more than the API's limit.</summary>
    public static void AllowLargeBody(HttpContext http, long bytes)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = bytes;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]+$")]
    private static partial Regex KeyPattern();
}

using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Points.Domain.Primitives;
using Points.Functions.Storage;

namespace Points.Functions.Api;

/// <summary>
/// Parses requests once, at the edge: body, member id, idempotency key, query parameters and If-Match, each with its
/// documented 4xx. Nothing a client sends reaches a handler unparsed, so no input can end in a 500.
/// </summary>
public static partial class RequestReader
{
    /// <summary>api.md: bodies over 1 MiB are refused.</summary>
    public const int BodyBytesMax = 1024 * 1024;
    public const int IdempotencyKeyLengthMax = 128;

    /// <summary>
    /// The JSON rules of request bodies: those of the wire (<see cref="JsonDefaults"/>) made strict. A null is accepted
    /// only where a field is nullable, never as an element of a list; a property given twice is refused; every string
    /// must be text (<see cref="TextRules"/>). Stored documents keep the lenient rules, so a document written before a
    /// rule existed stays readable.
    /// </summary>
    public static readonly JsonSerializerOptions BodyOptions = CreateBodyOptions();

    public static async Task<(T? Value, IResult? Problem)> ReadBodyAsync<T>(HttpContext http) where T : class
    {
        if (UnsupportedMediaType(http) is { } unsupported) return (null, unsupported);
        if (http.Request.ContentLength > BodyBytesMax)
        {
            return (null, Problems.For(Problems.InvalidRequest, $"The body is larger than {BodyBytesMax} bytes."));
        }
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, BodyOptions, http.RequestAborted);
            return value is null ? (null, Problems.Invalid("body", "A JSON object is required.")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Problems.Invalid(FieldOf(e), MessageOf(e)));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.For(Problems.InvalidRequest, $"The body is larger than {BodyBytesMax} bytes."));
        }
    }

    /// <summary>
    /// The body as a JSON object, for handlers that must see which fields were given (a partial update); bind it with
    /// <see cref="Bind{T}"/>.
    /// </summary>
    public static async Task<(JsonElement Value, IResult? Problem)> ReadObjectAsync(HttpContext http)
    {
        var (document, problem) = await ReadBodyAsync<JsonDocument>(http);
        if (problem is not null) return (default, problem);
        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (default, Problems.Invalid("body", "A JSON object is required."));
            // A document keeps its bytes as sent and decodes a name or string only when asked: bytes that are not UTF-8
            // would throw there (a 500), so they are refused here, once (the typed reader refuses them as it reads).
            if (!System.Text.Unicode.Utf8.IsValid(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(root)))
            {
                return (default, Problems.Invalid("body", "The body is not valid UTF-8 text."));
            }
            return (root.Clone(), null);
        }
    }

    /// <summary>Binds the body read by <see cref="ReadObjectAsync"/> under the body rules, with the same 400s as <see cref="ReadBodyAsync{T}"/>.</summary>
    public static (T? Value, IResult? Problem) Bind<T>(JsonElement body) where T : class
    {
        try
        {
            return body.Deserialize<T>(BodyOptions) is { } bound ? (bound, null) : (null, Problems.Invalid("body", "A JSON object is required."));
        }
        catch (JsonException e)
        {
            return (null, Problems.Invalid(FieldOf(e), MessageOf(e)));
        }
    }

    /// <summary>
    /// 415 unless the body is declared JSON: <c>application/json</c> or a <c>+json</c> type, in UTF-8 (charset absent or
    /// utf-8). A request without a Content-Type passes only when it has no body at all (it is then refused as empty).
    /// </summary>
    public static IResult? UnsupportedMediaType(HttpContext http)
    {
        var declared = http.Request.ContentType;
        if (string.IsNullOrEmpty(declared))
        {
            var hasBody = http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? http.Request.ContentLength > 0;
            return hasBody ? Problems.For(Problems.UnsupportedMediaType, "The body has no Content-Type; send it as application/json.") : null;
        }
        if (!MediaTypeHeaderValue.TryParse(declared, out var mediaType)
            || !(mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || (mediaType.MediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))))
        {
            return Problems.For(Problems.UnsupportedMediaType, "The body must be sent as application/json.");
        }
        if (mediaType.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.For(Problems.UnsupportedMediaType, "JSON bodies are read as UTF-8; send charset=utf-8 or no charset.");
        }
        return null;
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

    /// <summary>
    /// An optional whole-number query parameter within [<paramref name="min"/>, <paramref name="max"/>]: absent gives
    /// null; given twice, not a number, or out of range is a 400 naming it. (Bound here, not by the framework, whose
    /// binding failures are not problem+json.)
    /// </summary>
    public static bool TryQueryInteger(HttpContext http, string name, long min, long max, out long? value, out IResult? problem)
    {
        value = null;
        problem = null;
        if (!TryQueryText(http, name, out var text, out problem)) return false;
        if (text is null) return true;
        if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var parsed)
            && parsed >= min && parsed <= max)
        {
            value = parsed;
            return true;
        }
        problem = Problems.Invalid(name, max == long.MaxValue ? $"Must be a whole number ≥ {min}." : $"Must be a whole number {min}..{max}.");
        return false;
    }

    /// <summary>An optional query parameter given at most once; null when absent.</summary>
    public static bool TryQueryText(HttpContext http, string name, out string? value, out IResult? problem)
    {
        var values = http.Request.Query[name];
        value = values.Count == 1 ? values[0] : null;
        problem = values.Count > 1 ? Problems.Invalid(name, "Give this parameter once.") : null;
        return problem is null;
    }

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

    /// <summary>The longest field path echoed in <c>errors</c> (a path holds names the client chose).</summary>
    private const int FieldPathLengthMax = 200;

    /// <summary>The field a JSON error is about, as api.md's <c>errors</c> names it: <c>items[0].sku</c>, or <c>body</c>.</summary>
    private static string FieldOf(JsonException e)
    {
        var path = (e.Path ?? "$") + (e is BodyValueException value ? value.Below : "");
        var field = path.StartsWith('$') ? path[1..].TrimStart('.') : path;
        return field.Length == 0 ? "body" : field.Length > FieldPathLengthMax ? field[..FieldPathLengthMax] + "…" : field;
    }

    private static string MessageOf(JsonException e) =>
        e is BodyValueException value ? value.Reason : "Malformed JSON, a value of the wrong type, or null where a value is required.";

    private static JsonSerializerOptions CreateBodyOptions()
    {
        var options = new JsonSerializerOptions(JsonDefaults.Options)
        {
            RespectNullableAnnotations = true,
            AllowDuplicateProperties = false,
        };
        options.Converters.Add(new TextConverter());
        options.Converters.Add(new RawJsonConverter());
        options.Converters.Add(new ListWithoutNullsConverterFactory());
        // Copied from options that may not have been used yet, so without a resolver: read-only options need one.
        options.TypeInfoResolver ??= new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver();
        options.MakeReadOnly();
        return options;
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]+$")]
    private static partial Regex KeyPattern();

    /// <summary>A value of the body refused for a reason the client is told (<see cref="Reason"/>) rather than "malformed".</summary>
    /// <param name="Below">The path below the property the serializer reports (<c>[2]</c> for a list's third element).</param>
    private sealed class BodyValueException(string reason, string below = "") : JsonException(reason)
    {
        public string Reason { get; } = reason;
        public string Below { get; } = below;
    }

    /// <summary>Every string of a body: text only (<see cref="TextRules"/>).</summary>
    private sealed class TextConverter : System.Text.Json.Serialization.JsonConverter<string>
    {
        public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String) throw new JsonException("Expected a string.");
            string text;
            try
            {
                text = reader.GetString()!;
            }
            catch (InvalidOperationException)
            {
                throw new BodyValueException(TextRules.NotUnicodeMessage); // an escaped lone surrogate
            }
            return TextRules.Check(text) is { } message ? throw new BodyValueException(message) : text;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    /// <summary>
    /// A part of the body kept as JSON (a segment tree): its bytes as sent, decoded only when read, so bytes that are not
    /// UTF-8 would throw there (a 500). They are refused here, as the body is read.
    /// </summary>
    private sealed class RawJsonConverter : System.Text.Json.Serialization.JsonConverter<JsonElement>
    {
        public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var element = JsonElement.ParseValue(ref reader);
            return System.Text.Unicode.Utf8.IsValid(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element))
                ? element
                : throw new BodyValueException("Must be valid UTF-8 text.");
        }

        public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);
    }

    /// <summary>Lists of a body (<c>IReadOnlyList&lt;T&gt;</c>): a null element is refused, naming its index.</summary>
    private sealed class ListWithoutNullsConverterFactory : System.Text.Json.Serialization.JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) =>
            typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(IReadOnlyList<>);

        public override System.Text.Json.Serialization.JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
            (System.Text.Json.Serialization.JsonConverter)Activator.CreateInstance(
                typeof(ListWithoutNullsConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;
    }

    private sealed class ListWithoutNullsConverter<T> : System.Text.Json.Serialization.JsonConverter<IReadOnlyList<T>>
    {
        public override IReadOnlyList<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("Expected a list.");
            var items = new List<T>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var index = $"[{items.Count}]";
                if (reader.TokenType == JsonTokenType.Null) throw new BodyValueException("A list must not contain null.", index);
                try
                {
                    items.Add(JsonSerializer.Deserialize<T>(ref reader, options)!);
                }
                catch (JsonException e)
                {
                    // The element was read from its own start, so its path is relative: put it under this list's index.
                    var below = index + (e.Path is { Length: > 1 } path ? path[1..] : "") + (e is BodyValueException v ? v.Below : "");
                    throw new BodyValueException(MessageOf(e), below);
                }
            }
            return items;
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyList<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.AsEnumerable(), options);
    }
}

/// <summary>
/// What free text may hold (names, reasons, tags, references, store ids…, from the API and CSV files alike): no C0 or
/// C1 control characters (U+0000–U+001F, U+007F–U+009F: NUL, ESC, CR, LF, TAB…), and only whole Unicode characters
/// (no lone surrogate halves). They would be stored, shown in back offices and written into exports as they are.
/// </summary>
public static class TextRules
{
    public const string ControlCharactersMessage = "Must not contain control characters (U+0000–U+001F, U+007F–U+009F: line breaks, tabs, NUL, ESC…).";
    public const string NotUnicodeMessage = "Must be valid Unicode text (a lone surrogate half was found).";

    /// <summary>Null when <paramref name="text"/> is acceptable; otherwise the message saying why not.</summary>
    public static string? Check(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c)) return ControlCharactersMessage;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(c)) return NotUnicodeMessage;
        }
        return null;
    }
}

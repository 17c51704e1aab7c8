using System.Text.Json;

namespace Points.Functions.Hosting;

/// <summary>
/// The custom-handler invocation payload <c>{"Data": {...}, "Metadata": {...}}</c> (facts §1.4). Data may hold a whole
/// blob inline as base64; it is skipped byte by byte, never buffered, unless the caller asks for it (timers). Values
/// are decoded tolerantly: the host may JSON-encode a string twice.
/// </summary>
public sealed class InvocationPayload
{
    /// <summary>Largest Data or Metadata value kept in memory; larger values are only skipped.</summary>
    public const int CapturedValueBytesMax = 1024 * 1024;

    public JsonElement Data { get; private init; }
    public JsonElement Metadata { get; private init; }

    public static async Task<InvocationPayload> ReadAsync(Stream body, bool keepData, CancellationToken cancellationToken)
    {
        var reader = new JsonByteScanner(body);
        JsonElement data = default, metadata = default;
        await reader.ExpectAsync((byte)'{', cancellationToken);
        while (true)
        {
            var next = await reader.PeekNonSpaceAsync(cancellationToken);
            if (next == '}') break;
            if (next == ',') { await reader.ReadByteAsync(cancellationToken); continue; }
            var key = await reader.ReadStringAsync(cancellationToken);
            await reader.ExpectAsync((byte)':', cancellationToken);
            var keep = key == "Metadata" || (key == "Data" && keepData);
            var captured = await reader.ScanValueAsync(keep ? new MemoryStream() : null, cancellationToken);
            if (captured is not null)
            {
                using var document = JsonDocument.Parse(captured.ToArray());
                if (key == "Metadata") metadata = document.RootElement.Clone();
                else data = document.RootElement.Clone();
            }
        }
        return new InvocationPayload { Data = data, Metadata = metadata };
    }

    public string? MetadataString(string name) =>
        Metadata.ValueKind == JsonValueKind.Object && Metadata.TryGetProperty(name, out var value) ? Unwrap(value) : null;

    /// <summary>A value as text, unwrapping a string that itself holds a JSON string (double encoding).</summary>
    public static string? Unwrap(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
                {
                    try { return JsonSerializer.Deserialize<string>(text); }
                    catch (JsonException) { return text; }
                }
                return text;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return null;
            default:
                return value.GetRawText();
        }
    }

    /// <summary>A timer invocation's <c>IsPastDue</c> (a missed run executed late, facts §1.5); false when absent.</summary>
    public bool TimerIsPastDue
    {
        get
        {
            if (Data.ValueKind != JsonValueKind.Object) return false;
            foreach (var binding in Data.EnumerateObject())
            {
                var timer = UnwrapObject(binding.Value);
                if (timer.ValueKind == JsonValueKind.Object && timer.TryGetProperty("IsPastDue", out var pastDue))
                {
                    return pastDue.ValueKind == JsonValueKind.True || Unwrap(pastDue) is "true" or "True";
                }
            }
            return false;
        }
    }

    /// <summary>An object-valued entry that may arrive as a JSON string holding the object.</summary>
    private static JsonElement UnwrapObject(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String && Unwrap(value) is { } text && text.StartsWith('{'))
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        return value;
    }

    /// <summary>Forward-only scanning of JSON bytes: enough to find top-level keys and skip or copy their values.</summary>
    private sealed class JsonByteScanner(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _position, _length;

        public async ValueTask<int> ReadByteAsync(CancellationToken cancellationToken)
        {
            if (_position == _length)
            {
                _length = await stream.ReadAsync(_buffer, cancellationToken);
                _position = 0;
                if (_length == 0) throw new JsonException("The invocation payload ended early.");
            }
            return _buffer[_position++];
        }

        public async ValueTask<int> PeekNonSpaceAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var b = await ReadByteAsync(cancellationToken);
                if (b is not (' ' or '\t' or '\r' or '\n'))
                {
                    _position--;
                    return b;
                }
            }
        }

        public async ValueTask ExpectAsync(byte expected, CancellationToken cancellationToken)
        {
            if (await PeekNonSpaceAsync(cancellationToken) != expected)
                throw new JsonException($"Expected '{(char)expected}' in the invocation payload.");
            _position++;
        }

        public async ValueTask<string> ReadStringAsync(CancellationToken cancellationToken)
        {
            var copy = new MemoryStream();
            await ScanValueAsync(copy, cancellationToken);
            return JsonSerializer.Deserialize<string>(copy.ToArray()) ?? throw new JsonException("Expected a key.");
        }

        /// <summary>Reads one JSON value, copying its bytes to <paramref name="copy"/> when given.</summary>
        public async ValueTask<MemoryStream?> ScanValueAsync(MemoryStream? copy, CancellationToken cancellationToken)
        {
            await PeekNonSpaceAsync(cancellationToken);
            int depth = 0;
            bool inString = false, escaped = false, started = false;
            while (true)
            {
                var b = await ReadByteAsync(cancellationToken);
                if (!inString && depth == 0 && started && b is ',' or '}' or ']' or ' ' or '\r' or '\n' or '\t')
                {
                    _position--; // A scalar ended; the delimiter belongs to the parent.
                    return copy;
                }
                copy?.WriteByte((byte)b);
                if (copy is { Length: > CapturedValueBytesMax })
                    throw new JsonException($"An invocation value is larger than {CapturedValueBytesMax} bytes.");
                started = true;
                if (inString)
                {
                    if (escaped) escaped = false;
                    else if (b == '\\') escaped = true;
                    else if (b == '"')
                    {
                        inString = false;
                        if (depth == 0) return copy;
                    }
                    continue;
                }
                switch (b)
                {
                    case '"': inString = true; break;
                    case '{' or '[': depth++; break;
                    case '}' or ']':
                        depth--;
                        if (depth == 0) return copy;
                        break;
                }
            }
        }
    }
}

/// <summary>The reply the Functions host expects from a non-HTTP function (facts §1.10): 2xx with Outputs/Logs/ReturnValue.</summary>
public static class InvocationReply
{
    /// <summary>PascalCase as the host writes it, not the API's camelCase.</summary>
    private static readonly JsonSerializerOptions HostNaming = new();

    public static IResult Ok(params string[] logs) =>
        Results.Json(new { Outputs = new Dictionary<string, object>(), Logs = logs, ReturnValue = (object?)null }, HostNaming);
}

using System.Text.Json;
using Points.Functions.Storage;

namespace Points.Functions.Api;

/// <summary>
/// Continuation tokens of paged answers: where the next page starts, as base64url of JSON, opaque to clients and safe in
/// a query string. A token that does not read back is the client's mistake (400), never a 500.
/// </summary>
public static class PageTokens
{
    public static string Write<T>(T position) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(position, JsonDefaults.Options)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static T? Read<T>(string text) where T : class
    {
        try
        {
            var padded = text.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            return JsonSerializer.Deserialize<T>(Convert.FromBase64String(padded), JsonDefaults.Options);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}

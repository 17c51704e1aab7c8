using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Points.Functions.Storage;

namespace Points.Functions.Tests.Infrastructure;

/// <summary>Small verbs over the HTTP API for tests: each returns the status and the parsed JSON.</summary>
public static class Api
{
    public sealed record Reply(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response, string Text)
    {
        public string? Code => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("code", out var c) ? c.GetString() : null;
        public long Long(string name) => Body.GetProperty(name).GetInt64();
        public string? Header(string name) => Response.Headers.TryGetValues(name, out var v) ? v.First() : null;
        public string? ContentType => Response.Content.Headers.ContentType?.MediaType;
    }

    public static async Task<Reply> SendAsync(this HttpClient client, HttpMethod method, string path, object? body = null, string? idempotencyKey = null,
        string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, options: JsonDefaults.Options);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length > 0 && text.TrimStart()[0] is '{' or '[' ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return new Reply(response.StatusCode, json, response, text);
    }

    public static Task<Reply> PutMemberAsync(this HttpClient client, string memberId, object? body = null) =>
        client.SendAsync(HttpMethod.Put, $"/api/v1/members/{memberId}", body ?? new { });

    public static Task<Reply> GetMemberAsync(this HttpClient client, string memberId) =>
        client.SendAsync(HttpMethod.Get, $"/api/v1/members/{memberId}");

    public static Task<Reply> AdjustAsync(this HttpClient client, string memberId, long points, string? kind = null, string? expiresOn = null, string? key = null) =>
        client.SendAsync(HttpMethod.Post, $"/api/v1/admin/members/{memberId}/adjustments",
            new { points, kind, expiresOn, reason = "test" }, key ?? Guid.NewGuid().ToString("N"));

    public static Task<Reply> RedeemAsync(this HttpClient client, string memberId, long points, string? key = null, string purpose = "other") =>
        client.SendAsync(HttpMethod.Post, $"/api/v1/members/{memberId}/redemptions", new { points, purpose }, key ?? Guid.NewGuid().ToString("N"));

    /// <summary>Sends a body exactly as given (malformed JSON, oversized bodies) with optional extra headers.</summary>
    public static async Task<Reply> SendRawAsync(this HttpClient client, HttpMethod method, string path, HttpContent? content,
        string? idempotencyKey = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (idempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(name, value);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length > 0 && text.TrimStart()[0] is '{' or '[' ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return new Reply(response.StatusCode, json, response, text);
    }

    public static Task<Reply> ReverseAsync(this HttpClient client, string memberId, string reference, long? points = null, string? key = null) =>
        client.SendAsync(HttpMethod.Post, $"/api/v1/members/{memberId}/reversals", new { reference, points }, key ?? Guid.NewGuid().ToString("N"));

    public static Task<Reply> TransactionsAsync(this HttpClient client, string memberId, int? limit = null, long? before = null) =>
        client.SendAsync(HttpMethod.Get, $"/api/v1/members/{memberId}/transactions?"
            + string.Join('&', new[] { limit is { } l ? $"limit={l}" : null, before is { } b ? $"before={b}" : null }.OfType<string>()));

    /// <summary>Changes the settings as an admin does: reads them for their ETag, then PUTs with If-Match.</summary>
    public static async Task<Reply> PutSettingsAsync(this HttpClient client, object settings)
    {
        var current = await client.SendAsync(HttpMethod.Get, "/api/v1/admin/settings");
        return await client.SendAsync(HttpMethod.Put, "/api/v1/admin/settings", settings, ifMatch: current.Header("ETag") ?? current.Response.Headers.ETag?.ToString());
    }

    /// <summary>The one item of the list at <paramref name="path"/> (<c>{"items": […]}</c>) whose <paramref name="property"/> is <paramref name="value"/>.</summary>
    public static async Task<JsonElement> ListedAsync(this HttpClient client, string path, string property, string value) =>
        (await client.SendAsync(HttpMethod.Get, path)).Body.GetProperty("items").EnumerateArray().Single(i => i.GetProperty(property).GetString() == value);

    /// <summary>Gives the member a bank account to be paid to (bank 0001, branch 123, ordinary 7654321).</summary>
    public static Task<Reply> PutBankAccountAsync(this HttpClient client, string memberId) =>
        client.SendAsync(HttpMethod.Put, $"/api/v1/members/{memberId}/bank-account",
            new { bankCode = "0001", branchCode = "123", accountType = "ordinary", accountNumber = "7654321", holderKana = "ヤマダ　タロウ" });

    /// <summary>An adult member holding twice <paramref name="points"/>, with a bank account and a request to withdraw <paramref name="points"/>.</summary>
    public static async Task<(string Member, string Withdrawal)> NewWithdrawalAsync(this HttpClient client, long points)
    {
        var member = await client.NewMemberAsync(points * 2, profile: new { birthDate = "1990-05-05" });
        if ((await client.PutBankAccountAsync(member)).Status != HttpStatusCode.OK) throw new InvalidOperationException("The bank account was refused.");
        var requested = await client.SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/withdrawals", new { points }, Unique("w-"));
        if (requested.Status != HttpStatusCode.Created) throw new InvalidOperationException($"The withdrawal was refused: {requested.Status} {requested.Text}");
        return (member, requested.Body.GetProperty("withdrawalId").GetString()!);
    }

    /// <summary><paramref name="prefix"/> and 8 random hex digits: ids of rules, items, tags, events that no other test uses.</summary>
    public static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A member id no other test uses.</summary>
    public static string NewMemberId() => "m-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Registers a new member (with <paramref name="profile"/> as the PUT body if given) and grants it <paramref name="points"/>.</summary>
    public static async Task<string> NewMemberAsync(this HttpClient client, long points = 0, object? profile = null)
    {
        var memberId = NewMemberId();
        var put = await client.PutMemberAsync(memberId, profile);
        if (put.Status != HttpStatusCode.Created) throw new InvalidOperationException($"Register failed: {put.Status} {put.Text}");
        if (points > 0)
        {
            var adjust = await client.AdjustAsync(memberId, points);
            if (adjust.Status != HttpStatusCode.Created) throw new InvalidOperationException($"Adjust failed: {adjust.Status} {adjust.Text}");
        }
        return memberId;
    }
}

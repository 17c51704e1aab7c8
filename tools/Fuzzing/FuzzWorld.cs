using System.Net.Http.Json;
using System.Text.Json;

namespace Points.Tools.Fuzzing;

/// <summary>
/// What exists in the app when the fuzzing starts, so that generated requests reach past "not found" into the
/// decisions: members with points, a catalog item, a rule, a campaign, QR tokens. Made by <see cref="PrepareAsync"/>.
/// </summary>
/// <param name="ApiKey">A key holding every scope.</param>
/// <param name="Now">The app's clock at the start (events must be recent).</param>
public sealed record FuzzWorld(string ApiKey, DateTimeOffset Now)
{
    public IReadOnlyList<string> Members { get; init; } = [];
    public IReadOnlyList<string> CatalogItems { get; init; } = [];
    public IReadOnlyList<string> Rules { get; init; } = [];
    public IReadOnlyList<string> Campaigns { get; init; } = [];
    public IReadOnlyList<string> QrTokens { get; init; } = [];
    public IReadOnlyList<string> ReferralCodes { get; init; } = [];
    public IReadOnlyList<string> WebhookSubscriptions { get; init; } = [];
    /// <summary>Keys holding one scope each (401/403 paths), if the app has them.</summary>
    public IReadOnlyList<string> NarrowKeys { get; init; } = [];

    public const int MembersCount = 8;

    /// <summary>Creates the members (1,000 points each), a catalog item, a rule, a campaign and QR tokens through the API.</summary>
    public static async Task<FuzzWorld> PrepareAsync(HttpClient client, string apiKey, DateTimeOffset now, string runId, IReadOnlyList<string>? narrowKeys = null)
    {
        async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, string? key = null)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Add("X-Api-Key", apiKey);
            if (key is not null) request.Headers.Add("Idempotency-Key", key);
            if (body is not null) request.Content = JsonContent.Create(body);
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Fuzz setup: {method} {path} → {(int)response.StatusCode} {text}");
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }

        var members = new List<string>();
        var codes = new List<string>();
        var tokens = new List<string>();
        for (var i = 0; i < MembersCount; i++)
        {
            var member = $"fz-{runId}-{i}";
            var summary = await SendAsync(HttpMethod.Put, $"/api/v1/members/{member}", new { tags = new[] { "vip" }, storeId = "s1" });
            codes.Add(summary.GetProperty("referralCode").GetString()!);
            await SendAsync(HttpMethod.Post, $"/api/v1/admin/members/{member}/adjustments", new { points = 1000, reason = "fuzz setup" }, $"fz-{runId}-grant-{i}");
            tokens.Add((await SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/qr-token", null)).GetProperty("token").GetString()!);
            members.Add(member);
        }
        var item = $"fz-{runId}-item";
        await SendAsync(HttpMethod.Put, $"/api/v1/admin/catalog/{item}", new { name = "Mug", cost = 10, stock = 1000, perMemberLimit = 100 });
        var rule = $"fz-{runId}-rule";
        await SendAsync(HttpMethod.Put, $"/api/v1/admin/rules/{rule}", new { trigger = "purchase", formula = new { type = "rate", unitYen = 100, pointsPerUnit = 1 } });
        var campaign = $"fz-{runId}-campaign";
        await SendAsync(HttpMethod.Put, $"/api/v1/admin/campaigns/{campaign}",
            new { multiplierPermille = 1500, triggers = new[] { "purchase" }, from = now.AddDays(-1), until = now.AddDays(30) });
        // A partner endpoint nobody listens on (the discard port): deliveries fail and retry, which the fuzzer never waits for.
        var subscription = (await SendAsync(HttpMethod.Post, "/api/v1/admin/webhooks",
            new { partner = "fuzz", url = "http://127.0.0.1:9/hook", eventTypes = new[] { "rank.changed" } }, $"fz-{runId}-webhook")).GetProperty("subscriptionId").GetString()!;
        return new FuzzWorld(apiKey, now)
        {
            Members = members, CatalogItems = [item], Rules = [rule], Campaigns = [campaign], QrTokens = tokens, ReferralCodes = codes,
            WebhookSubscriptions = [subscription],
            NarrowKeys = narrowKeys ?? [],
        };
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Points.Tools.Demo;

/// <summary>
/// The demo program a fresh <c>./points run</c> starts with (issue 17), seeded through the API exactly as an operator
/// and a partner would: settings (a store hierarchy), three earning rules, a weekend campaign, two catalog items, and
/// ten members with some history. Every write carries an idempotency key or is a PUT, so seeding again changes nothing.
/// Everything it creates is named <c>demo-…</c>.
/// </summary>
public static class DemoProgram
{
    public const string MemberPrefix = "demo-";
    public const int MembersCount = 10;
    public static readonly IReadOnlyList<string> Members = [.. Enumerable.Range(1, MembersCount).Select(i => $"{MemberPrefix}{i:D2}")];
    public static readonly IReadOnlyList<string> Rules = ["demo-registration", "demo-purchase", "demo-login"];
    public const string Campaign = "demo-weekend";
    public static readonly IReadOnlyList<string> CatalogItems = ["demo-mug", "demo-event"];
    private static readonly string[] Stores = ["shibuya", "shinjuku", "umeda"];

    /// <summary>Seeds the demo program when the database has none of it (its first member is missing); answers whether it did.</summary>
    /// <param name="client">Pointed at the app, with an admin key that has every scope.</param>
    public static async Task<bool> SeedIfEmptyAsync(HttpClient client, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using (var probe = await client.GetAsync($"/api/v1/members/{Members[0]}", cancellationToken))
        {
            if (probe.StatusCode != HttpStatusCode.NotFound) return false;
        }
        await SeedAsync(client, now, cancellationToken);
        return true;
    }

    public static async Task SeedAsync(HttpClient client, DateTimeOffset now, CancellationToken cancellationToken)
    {
        async Task SendAsync(HttpMethod method, string path, object body, string? key = null, string? ifMatch = null)
        {
            using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: Json) };
            if (key is not null) request.Headers.Add("Idempotency-Key", key);
            if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            using var response = await client.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"Demo program: {method} {path} answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        // The store hierarchy: HQ → areas → stores.
        using (var current = await client.GetAsync("/api/v1/admin/settings", cancellationToken))
        {
            await SendAsync(HttpMethod.Put, "/api/v1/admin/settings", new
            {
                stores = new object[]
                {
                    new { storeId = "hq", name = "本部", level = "hq" },
                    new { storeId = "tokyo", name = "東京エリア", level = "area", parentId = "hq" },
                    new { storeId = "osaka", name = "大阪エリア", level = "area", parentId = "hq" },
                    new { storeId = "shibuya", name = "渋谷店", level = "store", parentId = "tokyo" },
                    new { storeId = "shinjuku", name = "新宿店", level = "store", parentId = "tokyo" },
                    new { storeId = "umeda", name = "梅田店", level = "store", parentId = "osaka" },
                },
            }, ifMatch: current.Headers.ETag?.ToString() ?? "*");
        }

        // Three earning rules and a weekend campaign, in force from now for a year.
        var (from, until) = (now.AddMinutes(-1), now.AddYears(1));
        await SendAsync(HttpMethod.Put, "/api/v1/admin/rules/demo-registration", new { trigger = "registration", formula = new { type = "fixed", points = 100 } });
        await SendAsync(HttpMethod.Put, "/api/v1/admin/rules/demo-purchase", new { trigger = "purchase", formula = new { type = "rate", unitYen = 100, pointsPerUnit = 1, rounding = "floor" } });
        await SendAsync(HttpMethod.Put, "/api/v1/admin/rules/demo-login",
            new { trigger = "login", formula = new { type = "fixed", points = 5 }, caps = new { perDay = new { times = 1 } } });
        await SendAsync(HttpMethod.Put, $"/api/v1/admin/campaigns/{Campaign}",
            new { multiplierPermille = 2000, triggers = new[] { "purchase" }, daysOfWeek = new[] { "saturday", "sunday" }, from, until });

        // Two catalog items.
        await SendAsync(HttpMethod.Put, "/api/v1/admin/catalog/demo-mug", new { name = "デモ マグカップ", cost = 300, kind = "goods", stock = 100, perMemberLimit = 2 });
        await SendAsync(HttpMethod.Put, "/api/v1/admin/catalog/demo-event", new { name = "ポイント会員限定イベント", cost = 500, kind = "event", stock = 50, perMemberLimit = 1 });

        // Ten members with some history: registration points, purchases in their store, a login; one spends.
        foreach (var (member, i) in Members.Select((m, i) => (m, i)))
        {
            var store = Stores[i % Stores.Length];
            await SendAsync(HttpMethod.Put, $"/api/v1/members/{member}", new { tags = i % 3 == 0 ? new[] { "vip" } : new[] { "demo" }, storeId = store, newsletterOptIn = i % 2 == 0 });
            for (var purchase = 1; purchase <= 1 + i % 3; purchase++)
            {
                var eventId = $"{member}-purchase-{purchase}";
                await SendAsync(HttpMethod.Post, "/api/v1/events", new
                {
                    eventId, memberId = member, type = "purchase", amount = 1_000 * (i + purchase), storeId = store, channel = "store", reference = $"order-{eventId}",
                    occurredAt = now.AddDays(-purchase).ToString("O", CultureInfo.InvariantCulture),
                });
            }
            await SendAsync(HttpMethod.Post, "/api/v1/events", new { eventId = $"{member}-login", memberId = member, type = "login", channel = "app" });
        }
        await SendAsync(HttpMethod.Post, $"/api/v1/members/{Members[0]}/redemptions", new { points = 50, purpose = "other" }, key: "demo-01-first-redemption");
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

using System.Collections.Immutable;
using System.Text.Json;
using Points.Domain.Earning;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.SpecialPoints;

namespace Points.Functions.Tests.SpecialPoints;

/// <summary>
/// A generated population for seed 003's recipes. Member <c>i</c>: born in month <c>i % 12 + 1</c>; gold when <c>i % 10 == 0</c>;
/// newsletter opt-in when even; purchases by <c>i % 4</c>: 0 never, 1 one two years ago, 2 one last month (SKU-A when
/// <c>i % 8 == 2</c>, else SKU-B), 3 three (January 2025, June 2025 and this month). Today is 2026-11-23.
/// </summary>
internal static class Population
{
    public static readonly DateOnly Today = new(2026, 11, 23);

    public static IReadOnlyList<PurchaseRecord> PurchasesOf(int i) => (i % 4) switch
    {
        1 => [Bought(i, 0, new DateOnly(2024, 11, 3), "SKU-C")],
        2 => [Bought(i, 0, new DateOnly(2026, 10, 15), i % 8 == 2 ? "SKU-A" : "SKU-B")],
        3 => [Bought(i, 0, new DateOnly(2025, 1, 10), "SKU-B"), Bought(i, 1, new DateOnly(2025, 6, 20), "SKU-C"), Bought(i, 2, new DateOnly(2026, 11, 2), "SKU-B")],
        _ => [],
    };

    private static PurchaseRecord Bought(int i, int n, DateOnly day, string sku) => new($"seed-{i}-{n}", day, new Yen(1_000 * (n + 1)), [sku]);

    public static Member MemberOf(string prefix, int i) => Member.Register(MemberId.Parse($"{prefix}{i:D5}"), new MemberProfile
    {
        JoinedOn = new DateOnly(2020, 1, 1).AddDays(i % 1000),
        BirthDate = new DateOnly(1980 + i % 30, i % 12 + 1, i % 28 + 1),
        NewsletterOptIn = i % 2 == 0,
        ReferralCode = $"SEED{i:D5}",
    }) with
    {
        Earning = MemberEarning.New with
        {
            Rank = i % 10 == 0 ? "gold" : "bronze",
            PurchaseMonths = [.. PurchasesOf(i).Select(p => CalendarText.MonthOf(p.Day)).Distinct().OrderDescending(StringComparer.Ordinal)],
        },
    };

    /// <summary>The recipes: a segment as an admin writes it, and which members it must select (by the generator's rules, not by the segment code).</summary>
    public static readonly IReadOnlyList<(string Name, string Segment, Func<int, bool> Expected)> Recipes =
    [
        ("birthday month (November)", """{ "type": "member", "birthMonth": 11 }""", i => i % 12 == 10),
        ("all members", """{ "type": "all" }""", _ => true),
        ("only one purchase ever", """{ "type": "purchaseCount", "min": 1, "max": 1 }""", i => i % 4 is 1 or 2),
        ("never purchased", """{ "type": "not", "of": { "type": "purchaseCount", "min": 1 } }""", i => i % 4 == 0),
        ("no purchase in the last year", """{ "type": "not", "of": { "type": "purchaseCount", "from": "2025-11-23", "min": 1 } }""", i => i % 4 is 0 or 1),
        ("gold rank", """{ "type": "member", "rank": "gold" }""", i => i % 10 == 0),
        ("bought SKU-A", """{ "type": "purchasedSkus", "skus": ["SKU-A"] }""", i => i % 8 == 2),
        ("born in November and subscribed, or gold", """
            { "type": "or", "of": [ { "type": "and", "of": [ { "type": "member", "birthMonth": 11 }, { "type": "member", "newsletter": true } ] },
                                    { "type": "member", "rank": "gold" } ] }
            """, i => (i % 12 == 10 && i % 2 == 0) || i % 10 == 0),
    ];

    public static JsonElement Json(string segment) => JsonDocument.Parse(segment).RootElement.Clone();
}

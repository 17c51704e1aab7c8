using Points.Domain.SpecialPoints;
using Points.Functions.SpecialPoints;

namespace Points.Functions.Tests.SpecialPoints;

/// <summary>Segments (F26): the seed's recipes select exactly the expected members of 10,000; malformed segments name the node.</summary>
public sealed class SegmentTests
{
    private const int Members = 10_000;

    public static TheoryData<string> RecipeNames => [.. Population.Recipes.Select(r => r.Name)];

    [Theory]
    [MemberData(nameof(RecipeNames))]
    public void Recipe_SelectsExactlyTheExpectedMembers(string recipe)
    {
        var (_, json, expected) = Population.Recipes.Single(r => r.Name == recipe);
        var errors = new Dictionary<string, string[]>();
        var segment = SegmentJson.Parse(Population.Json(json), "segment", errors);
        Assert.Empty(errors);

        var selected = Enumerable.Range(0, Members)
            .Where(i => segment!.Matches(new MemberSnapshot(Population.MemberOf("m-", i), Population.PurchasesOf(i), Population.Today))).ToList();

        Assert.Equal(Enumerable.Range(0, Members).Where(expected), selected);
        // What the member document decides alone (no purchase reads) never contradicts the full answer.
        Assert.All(Enumerable.Range(0, Members).Where(i => i % 7 == 0), i => Assert.True(
            segment!.MatchesWithoutPurchases(Population.MemberOf("m-", i), Population.Today) is not { } decided || decided == expected(i), $"member {i}"));
    }

    [Theory]
    [InlineData("""{ "type": "nand" }""", "segment")]
    [InlineData("""{ "type": "and", "of": [ { "type": "member", "birthMonth": 13 } ] }""", "segment.of[0].birthMonth")]
    [InlineData("""{ "type": "or", "of": [ { "type": "all" }, { "type": "purchaseCount", "from": "2026-13-01", "min": 1 } ] }""", "segment.of[1].from")]
    [InlineData("""{ "type": "purchaseAmount", "min": 5, "max": 1 }""", "segment.max")]
    [InlineData("""{ "type": "purchaseCount" }""", "segment.min")]
    [InlineData("""{ "type": "not", "of": { "type": "member", "colour": "red" } }""", "segment.of.colour")]
    [InlineData("""{ "type": "purchasedSkus", "skus": [] }""", "segment.skus")]
    [InlineData("""{ "type": "member", "ageMin": 30, "ageMax": 20 }""", "segment.ageMin")]
    public void MalformedSegment_NamesTheNode(string json, string path)
    {
        var errors = new Dictionary<string, string[]>();
        Assert.Null(SegmentJson.Parse(Population.Json(json), "segment", errors));
        Assert.Contains(path, errors.Keys);
    }

    [Fact]
    public void ASegmentOfMoreThan64Nodes_IsRefused()
    {
        var leaves = string.Join(",", Enumerable.Repeat("""{ "type": "all" }""", 64));
        var errors = new Dictionary<string, string[]>();
        Assert.Null(SegmentJson.Parse(Population.Json($$"""{ "type": "and", "of": [ {{leaves}} ] }"""), "segment", errors));
        Assert.Contains("at most 64", errors["segment"][0], StringComparison.OrdinalIgnoreCase);
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using Points.Functions.Members;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Infrastructure.Api;

namespace Points.Functions.Tests.Imports;

/// <summary>The member directory (issue 17): 10,000 members imported, every search answers exactly the members the filter selects.</summary>
[Collection(BlobImportsCollection.Name)]
public sealed class MemberDirectoryTests(TriggerRunnerFixture app, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TriggerRunnerFixture>
{
    private const int MembersCount = 10_000;

    private sealed record Generated(string MemberId, string[] Tags, string Rank, string Store, DateOnly JoinedOn);

    private async Task<List<string>> SearchAllAsync(string query, int limit)
    {
        var found = new List<string>();
        string? continuation = null;
        for (var page = 0; page < 10_000; page++)
        {
            var reply = await app.Client().SendAsync(HttpMethod.Get, $"/api/v1/admin/members?limit={limit}{query}"
                + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation)));
            Assert.True(reply.Status == HttpStatusCode.OK, query + " " + reply.Text + string.Join("\n", app.Logs.Lines.Where(l => l.Contains("Exception", StringComparison.Ordinal)).TakeLast(3)));
            var items = reply.Body.GetProperty("items").EnumerateArray().ToList();
            Assert.True(items.Count <= limit);
            found.AddRange(items.Select(i => i.GetProperty("memberId").GetString()!));
            continuation = reply.Body.GetProperty("continuation").GetString();
            if (continuation is null) return found;
        }
        throw new InvalidOperationException("The search never ended.");
    }

    [Fact]
    public async Task Searches_OverTenThousandMembers_AnswerExactlyTheFilteredMembers_EachOnce()
    {
        var prefix = Unique("dir");
        string[] ranks = ["bronze", "silver", "gold"], stores = ["shibuya", "umeda", "tenjin", "sapporo"], tags = ["vip", "club", "lapsed", "new"];
        var members = Enumerable.Range(0, MembersCount).Select(i => new Generated($"{prefix}-{i:D5}", [.. tags.Where((_, t) => (i >> t) % 3 == 0)],
            ranks[i % 7 % 3], stores[i % 4], new DateOnly(2015, 1, 1).AddDays(i % 3650))).ToList();
        var csv = new StringBuilder("member_id,joined_on,tags,store_id,rank\r\n");
        foreach (var m in members) csv.Append(CultureInfo.InvariantCulture, $"{m.MemberId},{m.JoinedOn:yyyy-MM-dd},{string.Join(';', m.Tags)},{m.Store},{m.Rank}\r\n");
        var imported = System.Diagnostics.Stopwatch.StartNew();
        var result = await app.DropAndReadResultAsync(MemberImport.FunctionName, MemberImport.Prefix, "directory.csv", Encoding.UTF8.GetBytes(csv.ToString()), TimeSpan.FromMinutes(10));
        Assert.Equal(members.Count, result.Count(l => l.Contains(",applied,created,", StringComparison.Ordinal)));
        output.WriteLine($"{members.Count} members imported and listed in {imported.Elapsed.TotalSeconds:0.0} s");

        var (from, to) = (new DateOnly(2018, 6, 1), new DateOnly(2019, 5, 31));
        foreach (var (query, filter, limit) in new (string, Func<Generated, bool>, int)[]
        {
            ("", _ => true, 200),
            ("&tag=vip", m => m.Tags.Contains("vip"), 100),
            ("&rank=gold", m => m.Rank == "gold", 150),
            ($"&store=umeda&joinedFrom={from:yyyy-MM-dd}&joinedTo={to:yyyy-MM-dd}", m => m.Store == "umeda" && m.JoinedOn >= from && m.JoinedOn <= to, 50),
            ($"&q={prefix}-012", m => m.MemberId.StartsWith($"{prefix}-012", StringComparison.Ordinal), 40),
            ("&tag=club&rank=silver&store=tenjin", m => m.Tags.Contains("club") && m.Rank == "silver" && m.Store == "tenjin", 200),
            ("&tag=nobody", _ => false, 50),
        })
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var found = await SearchAllAsync(query, limit);
            output.WriteLine($"{query}: {found.Count} members in {watch.Elapsed.TotalSeconds:0.0} s");
            Assert.Equal(found.Count, found.Distinct().Count());
            Assert.Equal(members.Where(filter).Select(m => m.MemberId).Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        }

        // A change of the member moves their listing with it.
        var moved = members[42].MemberId;
        Assert.Equal(HttpStatusCode.OK, (await app.Client().PutMemberAsync(moved, new { tags = new[] { "moved-" + prefix } })).Status);
        Assert.Equal([moved], await SearchAllAsync($"&tag=moved-{prefix}", 10));
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=201")]
    [InlineData("?joinedFrom=2020-13-01")]
    [InlineData("?joinedFrom=2020-02-01&joinedTo=2020-01-01")]
    [InlineData("?q=a%20b")]
    [InlineData("?store=a/b")]
    [InlineData("?continuation=%%%")]
    [InlineData("?tag=a&tag=b")]
    public async Task AWrongSearch_IsRefusedNamingTheParameter(string query)
    {
        var reply = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/members" + query);
        Assert.True(reply.Status == HttpStatusCode.BadRequest, reply.Text);
        Assert.Equal("invalid_request", reply.Code);
    }
}

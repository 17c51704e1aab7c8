using System.Globalization;
using System.Net;
using System.Text;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Members;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Infrastructure.Api;

namespace Points.Functions.Tests.Imports;

/// <summary>Past purchases (issue 17) dropped at <c>imports/purchases/</c>: history and rank metric from day one, no points, once per order.</summary>
[Collection(BlobImportsCollection.Name)]
public sealed class PurchaseHistoryImportTests(TriggerRunnerFixture app) : IClassFixture<TriggerRunnerFixture>
{
    private async Task<List<string[]>> DropAsync(string name, string csv) =>
        [.. (await app.DropAndReadResultAsync(PurchaseHistoryImport.FunctionName, PurchaseHistoryImport.Prefix, name, Encoding.UTF8.GetBytes(csv), TimeSpan.FromMinutes(2)))
            .Select(l => l.Split(','))];

    private DateOnly Today => DateOnly.FromDateTime(app.Clock.GetUtcNow().ToOffset(TimeSpan.FromHours(9)).DateTime);

    private static string Day(DateOnly day) => day.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture);

    [Fact]
    public async Task PastOrders_FeedSegmentsAndTheRankMetric_WithoutPoints_OncePerOrder()
    {
        var tag = Unique("hist");
        var (lapsed, recent) = (await app.Client().NewMemberAsync(profile: new { tags = new[] { tag } }), await app.Client().NewMemberAsync(profile: new { tags = new[] { tag } }));
        var (o1, o2, o3, o4) = (Unique("o"), Unique("o"), Unique("o"), Unique("o"));
        var csv = "会員ID,注文番号,購入日,金額,商品\r\n"
            + $"{lapsed},{o1},{Day(Today.AddMonths(-20))},12000,A;B\r\n"
            + $"{recent},{o2},{Day(Today.AddMonths(-1))},8000,C\r\n"
            + $"{recent},{o3},{Day(Today.AddDays(-3))},500,\r\n"
            + $"{recent},{o4},{Day(Today.AddMonths(-40))},100,\r\n"; // past the 36 months of history the program keeps

        var result = await DropAsync("orders.csv", csv);

        Assert.Equal([("applied", ""), ("applied", ""), ("applied", ""), ("rejected", "older_than_history")], result.Select(r => (r[2], r[3])));
        foreach (var member in new[] { lapsed, recent }) Assert.Equal(0, (await app.Client().GetMemberAsync(member)).Long("balance"));
        var earning = (await app.Service<LedgerStore>().ReadAccountAsync(MemberId.Parse(recent), CancellationToken.None)).Account!.Member.Earning;
        Assert.Equal(8_500, earning.TrailingYearYen(Today).Value);

        // "No purchase in the last year" works on day one: the lapsed member only.
        var segment = new
        {
            type = "and",
            of = new object[]
            {
                new { type = "member", tags = new[] { tag } },
                new { type = "not", of = new { type = "purchaseCount", from = Today.AddYears(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), min = 1 } },
            },
        };
        var preview = await app.Client().SendAsync(HttpMethod.Post, "/api/v1/admin/special-grants/preview", new { segment });
        Assert.True(preview.Status == HttpStatusCode.OK, preview.Text);
        Assert.Equal(1, preview.Long("count"));
        Assert.Equal([lapsed], preview.Body.GetProperty("sample").EnumerateArray().Select(m => m.GetString()));

        var again = await DropAsync("orders-again.csv", csv);
        Assert.Equal(["duplicate", "duplicate", "duplicate", "rejected"], again.Select(r => r[2]));
        var after = (await app.Service<LedgerStore>().ReadAccountAsync(MemberId.Parse(recent), CancellationToken.None)).Account!.Member.Earning;
        Assert.Equal(8_500, after.TrailingYearYen(Today).Value);
    }

    [Fact]
    public async Task AFileWithAnInvalidRow_RecordsNothing()
    {
        var member = await app.Client().NewMemberAsync();
        var order = Unique("o");
        var csv = "member_id,order_id,purchased_on,amount\r\n"
            + $"{member},{order},{Day(Today.AddDays(-1))},100\r\n"
            + $"{member},{order},{Day(Today.AddDays(1))},-5\r\n";

        var result = await DropAsync("bad-orders.csv", csv);

        Assert.Equal([("2", "invalid", "invalid_amount;invalid_date")], result.Select(r => (r[0], r[2], r[3])));
        Assert.Empty((await app.Service<LedgerStore>().ReadAccountAsync(MemberId.Parse(member), CancellationToken.None)).Account!.Member.Earning.Purchases);
    }
}

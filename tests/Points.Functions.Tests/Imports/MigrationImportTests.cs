using System.Globalization;
using System.Text;
using Xunit.Abstractions;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Members;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Infrastructure.Api;

namespace Points.Functions.Tests.Imports;

/// <summary>Opening balances (issue 17) dropped at <c>imports/migration/</c>: every lot as in the file, checked against a control total, once per member.</summary>
[Collection(BlobImportsCollection.Name)]
public sealed class MigrationImportTests(TriggerRunnerFixture app, ITestOutputHelper output) : IClassFixture<TriggerRunnerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    private async Task<List<string[]>> DropAsync(string function, string folder, string name, string csv) =>
        [.. (await app.DropAndReadResultAsync(function, folder, name, Encoding.UTF8.GetBytes(csv), Timeout)).Select(l => l.Split(','))];

    private Task<List<string[]>> MigrateAsync(string name, string csv) => DropAsync(MigrationImport.FunctionName, MigrationImport.Prefix, name, csv);

    private DateOnly Today => DateOnly.FromDateTime(app.Clock.GetUtcNow().ToOffset(TimeSpan.FromHours(9)).DateTime);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private async Task<IReadOnlyList<Lot>> LotsAsync(string member) =>
        (await app.Service<LedgerStore>().ReadAccountAsync(MemberId.Parse(member), CancellationToken.None)).Account!.Member.Ledger.Lots;

    [Fact]
    public async Task TenThousandMembersWithThirtyThousandLots_LeaveEveryBalanceAndExpiryAsInTheFile_Once()
    {
        const int members = 10_000;
        var prefix = Unique("mg");
        var ids = Enumerable.Range(0, members).Select(i => $"{prefix}-{i:D5}").ToList();
        var registered = await DropAsync(MemberImport.FunctionName, MemberImport.Prefix, "members.csv",
            "member_id,joined_on\r\n" + string.Concat(ids.Select(id => $"{id},2019-04-01\r\n")));
        Assert.All(registered, r => Assert.Equal("applied", r[2]));

        // Each member: regular points earned a year ago, special points with their own expiry, purchased points without.
        var expected = new Dictionary<string, (LotKind Kind, long Points, DateOnly EarnedOn, DateOnly? ExpiresOn)[]>();
        var csv = new StringBuilder("会員ID,ポイント,種別,付与日,有効期限,移行参照\r\n");
        long total = 0;
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            (LotKind, long, DateOnly, DateOnly?)[] lots =
            [
                (LotKind.Regular, 100 + i % 900, Today.AddDays(-365 + i % 300), Today.AddDays(1 + i % 400)),
                (LotKind.Special, 1 + i % 50, Today.AddDays(-i % 30), Today.AddDays(i % 60)),
                (LotKind.Purchased, 500 + i % 7, Today.AddDays(-1000 + i % 500), null),
            ];
            expected[id] = lots;
            foreach (var (kind, points, earnedOn, expiresOn) in lots)
            {
                var kindText = kind switch { LotKind.Regular => "通常", LotKind.Special => "special", _ => "購入" };
                csv.Append(CultureInfo.InvariantCulture, $"{id},{points},{kindText},{Day(earnedOn).Replace('-', '/')},{(expiresOn is { } e ? Day(e) : "")},old-{i}\r\n");
                total += points;
            }
        }
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await MigrateAsync($"opening.total-{total}.csv", csv.ToString());
        output.WriteLine($"Migration of {members:N0} members, {members * 3:N0} lots: {watch.Elapsed.TotalSeconds:0.0} s");

        Assert.Equal(members * 3, result.Count(r => r[2] == "applied"));
        var summary = result[^1];
        Assert.Equal((MigrationImport.SummaryStatus, "control_total_matched"), (summary[2], summary[3]));
        Assert.StartsWith($"members {members}; lots {members * 3}; points {total} (", summary[4], StringComparison.Ordinal);
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (id, _) =>
        {
            var lots = (await LotsAsync(id)).OrderBy(l => l.Kind).Select(l => (l.Kind, l.Remaining.Value, l.EarnedOn, l.ExpiresOn));
            Assert.Equal(expected[id].OrderBy(l => l.Kind), lots);
        });
        var sample = await app.Client().GetMemberAsync(ids[1234]);
        Assert.Equal(expected[ids[1234]].Sum(l => l.Points), sample.Long("balance"));
        var history = await app.Client().TransactionsAsync(ids[1234]);
        Assert.All(history.Body.GetProperty("items").EnumerateArray(), e => Assert.Equal("migrate", e.GetProperty("type").GetString()));

        // The same file again, and another file for a migrated member: nothing more.
        var again = await MigrateAsync($"opening-again.total-{total}.csv", csv.ToString());
        Assert.Equal(members * 3, again.Count(r => r[2] == "duplicate"));
        var other = await MigrateAsync("other.total-10.csv", $"member_id,points,kind,earned_on,expires_on\r\n{ids[0]},10,regular,{Day(Today)},{Day(Today.AddDays(30))}\r\n");
        Assert.Equal(("duplicate", "already_migrated"), (other[0][2], other[0][3]));
        Assert.Equal(expected[ids[0]].Sum(l => l.Points), (await app.Client().GetMemberAsync(ids[0])).Long("balance"));
    }

    [Fact]
    public async Task AControlTotalThatDoesNotMatch_RefusesTheWholeFile_AndATrailerRowCarriesItToo()
    {
        var (first, second) = (await app.Client().NewMemberAsync(), await app.Client().NewMemberAsync());
        var rows = $"member_id,points,kind,earned_on,expires_on\r\n{first},70,regular,{Day(Today.AddDays(-10))},{Day(Today.AddDays(100))}\r\n"
            + $"{second},30,special,{Day(Today.AddDays(-10))},{Day(Today.AddDays(-1))}\r\n";

        var mismatch = await MigrateAsync("total-99.csv", rows);
        Assert.Equal(("invalid", "control_total_mismatch"), (mismatch[^1][2], mismatch[^1][3]));
        var missing = await MigrateAsync("no-total.csv", rows);
        Assert.Equal(("invalid", "control_total_missing"), (missing[^1][2], missing[^1][3]));
        Assert.Equal(0, (await app.Client().GetMemberAsync(first)).Long("balance"));

        var applied = await MigrateAsync("with-trailer.csv", rows + "合計,100,,,\r\n");
        // The lot that expired in the old system is that row's refusal; the summary says what was applied of the total.
        Assert.Equal([("1", "applied", ""), ("2", "rejected", "expiry_in_past")], applied.Take(2).Select(r => (r[0], r[2], r[3])));
        Assert.Equal(("summary", "control_total_partly_applied"), (applied[^1][2], applied[^1][3]));
        Assert.Equal(70, (await app.Client().GetMemberAsync(first)).Long("balance"));
        Assert.Equal(0, (await app.Client().GetMemberAsync(second)).Long("balance"));

        // The same file again a week and more later (the member remembers its rows beyond the idempotency keys' 7 days:
        // MigrationTests.TheSameRowOfTheSameFile_AppliesOnce_HoweverLater).
        app.Clock.Advance(TimeSpan.FromDays(8));
        var later = await MigrateAsync("with-trailer-again.csv", rows + "合計,100,,,\r\n");
        Assert.Equal("duplicate", later[0][2]);
        Assert.Equal(70, (await app.Client().GetMemberAsync(first)).Long("balance"));
    }
}

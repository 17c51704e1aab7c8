using System.Text;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Members;
using Points.Functions.Tests.Imports.Csv;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Infrastructure.Api;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;

namespace Points.Functions.Tests.Imports;

/// <summary>Bulk members (issue 17) dropped at <c>imports/members/</c>: validated whole, created or updated, ranks carried over, no rules fired.</summary>
[Collection(BlobImportsCollection.Name)]
public sealed class MemberImportTests(TriggerRunnerFixture app) : IClassFixture<TriggerRunnerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private async Task<List<string[]>> DropAsync(string name, string csv, bool shiftJis = false) =>
        [.. (await app.DropAndReadResultAsync(MemberImport.FunctionName, MemberImport.Prefix, name, shiftJis ? CsvInput.InShiftJis(csv) : Encoding.UTF8.GetBytes(csv), Timeout))
            .Select(l => l.Split(','))];

    [Fact]
    public async Task MembersAreCreatedAndUpdated_WithTheirRankAndReferrer_AndNoRuleFires()
    {
        var rule = await app.Client().SendAsync(HttpMethod.Put, $"/api/v1/admin/rules/{Unique("welcome")}", new { trigger = "registration", formula = new { type = "fixed", points = 500 } });
        Assert.Equal(System.Net.HttpStatusCode.OK, rule.Status);
        app.Clock.Advance(TimeSpan.FromSeconds(6));
        var referrer = await app.Client().NewMemberAsync();
        var code = (await app.Client().GetMemberAsync(referrer)).Body.GetProperty("referralCode").GetString()!;
        var (moved, updated) = (NewMemberId(), await app.Client().NewMemberAsync());
        var csv = "会員ID,入会日,生年月日,タグ,店舗,メルマガ,紹介コード,ランク\r\n"
            + $"{moved},2019/04/01,1988-02-29,常連;VIP,shibuya,はい,{code},gold\r\n"
            + $"{updated},,,移行済,,,,\r\n";

        var result = await DropAsync("members.csv", csv, shiftJis: true);

        Assert.Equal([("1", "applied", "created"), ("2", "applied", "updated")], result.Select(r => (r[0], r[2], r[3])));
        var (account, _) = await app.Service<LedgerStore>().ReadAccountAsync(MemberId.Parse(moved), CancellationToken.None);
        var member = account!.Member;
        Assert.Equal((new DateOnly(2019, 4, 1), new DateOnly(1988, 2, 29), "shibuya", true, referrer, "gold"),
            (member.Profile.JoinedOn, member.Profile.BirthDate!.Value, member.Profile.StoreId, member.Profile.NewsletterOptIn, member.Profile.ReferredBy, member.Earning.Rank));
        Assert.Equal(["常連", "VIP"], member.Profile.Tags.AsEnumerable());
        Assert.Equal(0, (await app.Client().GetMemberAsync(moved)).Long("balance")); // moved, not recruited: no registration points
        Assert.DoesNotContain(await HistoryAsync(app.Client(), referrer), e => e.Reference?.StartsWith("referral", StringComparison.Ordinal) == true); // nor referral points
        Assert.Equal(["移行済"], (await app.Service<LedgerStore>().ReadAccountAsync(MemberId.Parse(updated), CancellationToken.None)).Account!.Member.Profile.Tags.AsEnumerable());

        var again = await DropAsync("members-again.csv", csv, shiftJis: true);
        Assert.Equal(["updated", "updated"], again.Select(r => r[3])); // nothing new: the same profile
    }

    [Fact]
    public async Task AFileWithAnInvalidRow_RegistersNobody()
    {
        var (first, second) = (NewMemberId(), NewMemberId());
        var csv = "member_id,joined_on,rank,newsletter\r\n"
            + $"{first},2020-01-01,bronze,true\r\n"
            + $"{second},2020-13-01,platinum,maybe\r\n"
            + $"{first},2020-01-02,,\r\n";

        var result = await DropAsync("invalid-members.csv", csv);

        Assert.Equal([("2", "invalid", "invalid_date;invalid_newsletter;invalid_rank"), ("3", "invalid", "duplicate_member")], result.Select(r => (r[0], r[2], r[3])));
        Assert.Null((await app.Service<LedgerStore>().ReadAccountAsync(MemberId.Parse(first), CancellationToken.None)).Account);
    }
}

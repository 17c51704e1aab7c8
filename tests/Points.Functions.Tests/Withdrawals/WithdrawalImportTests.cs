using System.Net;
using System.Text;
using Points.Functions.Tests.Imports;
using Points.Functions.Tests.Imports.Csv;
using Points.Functions.Tests.Infrastructure;
using Points.Functions.Withdrawals;
using static Points.Functions.Tests.Infrastructure.Api;

namespace Points.Functions.Tests.Withdrawals;

/// <summary>Bulk status updates dropped at <c>imports/withdrawals/</c>: validated whole, applied per row as the admin API would, once.</summary>
[Collection(BlobImportsCollection.Name)]
public sealed class WithdrawalImportTests(TriggerRunnerFixture app) : IClassFixture<TriggerRunnerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public Task InitializeAsync() => app.SetSettingsSectionAsync("withdrawals", WithdrawalApiTests.Offered());

    public Task DisposeAsync() => Task.CompletedTask;

    private sealed record ResultLine(long Row, string MemberId, string WithdrawalId, string Action, string Status, string Code);

    private async Task<List<ResultLine>> DropAsync(string name, string csv, bool shiftJis = false) =>
        [.. (await app.DropAndReadResultAsync(WithdrawalImport.FunctionName, WithdrawalImport.Prefix, name,
                shiftJis ? CsvInput.InShiftJis(csv) : Encoding.UTF8.GetBytes(csv), Timeout))
            .Select(line => line.Split(','))
            .Select(cells => new ResultLine(long.Parse(cells[0], System.Globalization.CultureInfo.InvariantCulture), cells[1], cells[2], cells[3], cells[4], cells[5]))];

    /// <summary>An adult member with a bank account and an open request for 10,000 of their 20,000 points.</summary>
    private async Task<(string Member, string Withdrawal)> RequestedAsync()
    {
        var member = await app.Client().NewMemberAsync(20_000, profile: new { birthDate = "1990-05-05" });
        var put = await app.Client().SendAsync(HttpMethod.Put, $"/api/v1/members/{member}/bank-account",
            new { bankCode = "0001", branchCode = "123", accountType = "ordinary", accountNumber = "7654321", holderKana = "ヤマダ タロウ" });
        Assert.Equal(HttpStatusCode.OK, put.Status);
        var requested = await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/withdrawals", new { points = 10_000 }, Unique("w-"));
        Assert.Equal(HttpStatusCode.Created, requested.Status);
        return (member, requested.Body.GetProperty("withdrawalId").GetString()!);
    }

    private async Task<(long Balance, long Held)> PointsOfAsync(string member)
    {
        var summary = await app.Client().GetMemberAsync(member);
        return (summary.Long("balance"), summary.Long("held"));
    }

    private Task WaitForStatusAsync(string member, string withdrawal, string status) =>
        Eventually.WaitForAsync(async () =>
        {
            var list = await app.Client().SendAsync(HttpMethod.Get, $"/api/v1/members/{member}/withdrawals");
            return list.Body.GetProperty("items").EnumerateArray().Any(w =>
                w.GetProperty("withdrawalId").GetString() == withdrawal && w.GetProperty("status").GetString() == status);
        }, $"withdrawal {withdrawal} {status}");

    [Fact]
    public async Task ValidFile_ApprovesRejectsAndRefusesPerRow_DroppedAgainAppliesNothing_ThenPaysInALaterFile()
    {
        var (approved, approvedId) = await RequestedAsync();
        var (rejected, rejectedId) = await RequestedAsync();
        var (early, earlyId) = await RequestedAsync();
        var csv = "member_id,withdrawal_id,action,reason\r\n"
            + $"{approved},{approvedId},approve,\r\n"
            + $"{rejected},{rejectedId},reject,口座名義が一致しません\r\n"
            + $"{early},{earlyId},paid,\r\n"
            + $"{approved},no-such-request,approve,\r\n";

        var result = await DropAsync("decisions.csv", csv);

        Assert.Equal(
            [(1L, "applied", ""), (2L, "applied", ""), (3L, "rejected", "invalid_state"), (4L, "rejected", "withdrawal_not_found")],
            result.Select(r => (r.Row, r.Status, r.Code)));
        Assert.Equal((10_000L, 0L), await PointsOfAsync(approved)); // the held points left the member
        Assert.Equal((20_000L, 0L), await PointsOfAsync(rejected)); // the held points came back
        Assert.Equal((10_000L, 10_000L), await PointsOfAsync(early)); // untouched
        await WaitForStatusAsync(approved, approvedId, "approved");
        await WaitForStatusAsync(rejected, rejectedId, "rejected");

        var again = await DropAsync("decisions-again.csv", csv);
        // A refusal is not remembered (as with the API): those rows are decided again, and refused again.
        Assert.Equal([("duplicate", "duplicate"), ("duplicate", "duplicate"), ("rejected", "invalid_state"), ("rejected", "withdrawal_not_found")],
            again.Select(r => (r.Status, r.Code)));
        Assert.Equal((20_000L, 0L), await PointsOfAsync(rejected));

        var paid = await DropAsync("paid.csv", $"会員ID,出金ID,処理\r\n{approved},{approvedId},支払済\r\n", shiftJis: true);
        Assert.Equal(("applied", "paid"), (Assert.Single(paid).Status, paid[0].Action));
        await WaitForStatusAsync(approved, approvedId, "paid");
    }

    [Fact]
    public async Task FileWithAnInvalidRow_AppliesNothing_AndListsEveryInvalidRow()
    {
        var (member, withdrawal) = await RequestedAsync();
        var (other, otherId) = await RequestedAsync();
        var csv = "member_id,withdrawal_id,action,reason\r\n"
            + $"{member},{withdrawal},approve,\r\n"
            + $"{other},{otherId},cancel,\r\n"
            + $"{other},{otherId},approve,looks fine\r\n"
            + $"{member},{withdrawal},reject,\r\n"
            + $"bad id!,{otherId},approve,\r\n";

        var result = await DropAsync("invalid.csv", csv);

        Assert.Equal(
            [(2L, "invalid", "invalid_action"), (3L, "invalid", "reason_not_allowed"), (4L, "invalid", "duplicate_request"), (5L, "invalid", "invalid_member_id")],
            result.Select(r => (r.Row, r.Status, r.Code)));
        Assert.Equal((10_000L, 10_000L), await PointsOfAsync(member)); // row 1 was valid, and still nothing applied
        Assert.Equal((10_000L, 10_000L), await PointsOfAsync(other));
    }

    [Fact]
    public async Task FileWithoutTheActionColumn_IsRefusedAsAWhole()
    {
        var (member, withdrawal) = await RequestedAsync();

        var result = await DropAsync("no-action.csv", $"member_id,withdrawal_id\r\n{member},{withdrawal}\r\n");

        Assert.Equal(("invalid", "missing_column"), (Assert.Single(result).Status, result[0].Code));
        Assert.Equal((10_000L, 10_000L), await PointsOfAsync(member));
    }
}

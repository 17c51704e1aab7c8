using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Azure.Cosmos;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Infrastructure.Api;
using static Points.Functions.Tests.Platform.ErrorCodesTests;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;

namespace Points.Functions.Tests.Withdrawals;

/// <summary>Cash-outs end to end: settings, the bank account (encrypted, masked), requests, approval, rejection, a Zengin file, payment.</summary>
public sealed class WithdrawalApiTests(AppFixture app) : IClassFixture<AppFixture>, IAsyncLifetime
{
    private const string AccountNumber = "7654321";
    private const string CrLf = "\r\n";
    private readonly ConcurrentQueue<string> _answers = new();

    public async Task InitializeAsync() => await SetWithdrawalsAsync(Offered());

    /// <summary>Withdrawals offered from 1,000 points to adults, ¥330 a transfer, paid from the company's account at bank 0009.</summary>
    public static JsonObject Offered() => new()
    {
        ["enabled"] = true, ["minimumPoints"] = 1_000, ["feeFixedYen"] = 330, ["ageLimitYears"] = 18,
        ["consignor"] = new JsonObject
        {
            ["consignorCode"] = "1234567890", ["nameKana"] = "ポイント（カ", ["bankCode"] = "0009", ["bankNameKana"] = "ﾐﾂｲｽﾐﾄﾓ", ["branchCode"] = "100",
            ["branchNameKana"] = "ﾎﾝﾃﾝ", ["accountType"] = "current", ["accountNumber"] = "1111111",
        },
    };

    public Task DisposeAsync() => Task.CompletedTask;

    private Task SetWithdrawalsAsync(JsonObject withdrawals) => app.SetSettingsSectionAsync("withdrawals", withdrawals);

    private async Task<Reply> Keep(Task<Reply> call)
    {
        var reply = await call;
        _answers.Enqueue(reply.Text);
        return reply;
    }

    private async Task<string> AdultAsync(long points, bool withBankAccount = true)
    {
        var member = await app.Client().NewMemberAsync(points, profile: new { birthDate = "1990-05-05" });
        if (withBankAccount)
        {
            var put = await Keep(app.Client().SendAsync(HttpMethod.Put, $"/api/v1/members/{member}/bank-account",
                new { bankCode = "0001", branchCode = "123", accountType = "ordinary", accountNumber = AccountNumber, holderKana = "ヤマダ　タロウ" }));
            Assert.Equal(HttpStatusCode.OK, put.Status);
        }
        return member;
    }

    private Task<Reply> RequestAsync(string member, long points, string? key = null) =>
        Keep(app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/withdrawals", new { points }, key ?? Unique("w-")));

    private Task<Reply> TransitionAsync(string member, string withdrawalId, string action, object? body = null) =>
        Keep(app.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/withdrawals/{member}/{withdrawalId}/{action}", body ?? new { }, Unique("t-")));

    [Fact]
    public async Task Withdrawal_IsHeld_Approved_WrittenToAZenginFile_AndPaid_WithTheNumberNowhereElse()
    {
        var member = await AdultAsync(200_000);
        var masked = await Keep(app.Client().SendAsync(HttpMethod.Get, $"/api/v1/members/{member}/bank-account"));
        Assert.Equal(("***4321", "ﾔﾏﾀﾞ ﾀﾛｳ"), (masked.Body.GetProperty("accountNumberLast4").GetString(), masked.Body.GetProperty("holderKana").GetString()));

        var requested = await RequestAsync(member, 150_000);
        Assert.Equal(HttpStatusCode.Created, requested.Status);
        Assert.Equal((150_000L, 330L, 15_315L, 134_355L, "requested"),
            (requested.Long("grossYen"), requested.Long("feeYen"), requested.Long("taxYen"), requested.Long("netYen"), requested.Body.GetProperty("status").GetString()));
        var id = requested.Body.GetProperty("withdrawalId").GetString()!;
        var summary = await Keep(app.Client().GetMemberAsync(member));
        Assert.Equal((50_000L, 150_000L), (summary.Long("balance"), summary.Long("held")));

        Assert.Equal("approved", (await TransitionAsync(member, id, "approve")).Body.GetProperty("status").GetString());
        Assert.Equal("approved", (await TransitionAsync(member, id, "approve")).Body.GetProperty("status").GetString()); // again: answered again
        AssertProblem(await Keep(app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/withdrawals/{id}/cancel", null, Unique("c-"))),
            HttpStatusCode.Conflict, "invalid_state");
        Assert.Equal((50_000L, 0L), ((await app.Client().GetMemberAsync(member)).Long("balance"), (await app.Client().GetMemberAsync(member)).Long("held")));

        var listed = await Keep(app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/withdrawals?status=approved"));
        Assert.Contains(listed.Body.GetProperty("items").EnumerateArray(), w => w.GetProperty("withdrawalId").GetString() == id);

        var file = await Keep(app.Client().SendAsync(HttpMethod.Post, "/api/v1/admin/withdrawals/transfer-files",
            new { transferOn = "2026-11-25" }, Unique("f-")));
        Assert.Equal(HttpStatusCode.Created, file.Status);
        var item = file.Body.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("withdrawalId").GetString() == id);
        Assert.Equal(134_355, item.GetProperty("netYen").GetInt64());
        var bytes = await DownloadAsync(file.Body.GetProperty("blobName").GetString()!);
        var records = Encoding.Latin1.GetString(bytes).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(records, r => Assert.Equal(120, r.Length));
        Assert.Equal(file.Long("transfers") + 3, records.Length);
        var data = records.Single(r => r[0] == '2' && r.Substring(91, 20).TrimEnd() == id);
        Assert.Equal(("0001", "123", AccountNumber, "0000134355"), (data.Substring(1, 4), data.Substring(20, 3), data.Substring(43, 7), data.Substring(80, 10)));
        var trailer = records[^2];
        Assert.Equal(file.Long("totalYen"), long.Parse(trailer.Substring(7, 12), System.Globalization.CultureInfo.InvariantCulture));

        var again = await Keep(app.Client().SendAsync(HttpMethod.Post, "/api/v1/admin/withdrawals/transfer-files", new { transferOn = "2026-11-25" }, Unique("f-")));
        Assert.DoesNotContain(again.Body.GetProperty("items").EnumerateArray(), i => i.GetProperty("withdrawalId").GetString() == id); // in an unpaid file already

        var paid = await Keep(app.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/withdrawals/transfer-files/{file.Body.GetProperty("fileId").GetString()}/paid", null, Unique("p-")));
        Assert.Equal(HttpStatusCode.OK, paid.Status);
        var mine = await Keep(app.Client().SendAsync(HttpMethod.Get, $"/api/v1/members/{member}/withdrawals"));
        await Eventually.WaitForAsync(async () => (await app.Client().SendAsync(HttpMethod.Get, $"/api/v1/members/{member}/withdrawals")).Text.Contains("\"paid\"", StringComparison.Ordinal),
            "the record to say paid");

        // The number is in the transfer file only: not in any answer, not in a log line, not in clear in any stored document.
        Assert.DoesNotContain(_answers, a => a.Contains(AccountNumber, StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(AccountNumber, StringComparison.Ordinal));
        foreach (var stored in await PartitionTextAsync(member)) Assert.DoesNotContain(AccountNumber, stored, StringComparison.Ordinal);
    }

    /// <summary>
    /// The day's approved requests as CSV, by request and by the daily timer (for the day before): Excel-ready, the
    /// bank account in full (this file and the transfer file are the only places it is decrypted to).
    /// </summary>
    [Fact]
    public async Task Export_OfTheDaysApprovedRequests_OnRequestAndDaily()
    {
        var member = await AdultAsync(10_000);
        var id = (await RequestAsync(member, 3_000)).Body.GetProperty("withdrawalId").GetString()!;
        await TransitionAsync(member, id, "approve");
        var today = DateOnly.FromDateTime(app.Clock.GetUtcNow().ToOffset(TimeSpan.FromHours(9)).DateTime);

        string? line = null;
        foreach (var encoding in new[] { "utf8_bom", "shift_jis" })
        {
            await Eventually.WaitForAsync(async () =>
            {
                var export = await app.Client().SendAsync(HttpMethod.Post, "/api/v1/admin/withdrawals/exports", new { date = today.ToString("yyyy-MM-dd"), encoding }, Unique("x-"));
                Assert.Equal(HttpStatusCode.Created, export.Status);
                var bytes = await DownloadAsync(export.Body.GetProperty("blobName").GetString()!);
                var text = encoding == "utf8_bom" ? Encoding.UTF8.GetString(bytes) : Imports.Csv.CsvInput.ShiftJis.GetString(bytes);
                Assert.Equal(encoding == "utf8_bom", bytes.Take(3).SequenceEqual(new byte[] { 0xEF, 0xBB, 0xBF }));
                line = text.Split(CrLf).FirstOrDefault(l => l.StartsWith(id, StringComparison.Ordinal));
                return line is not null;
            }, "the approval to reach the export's index");
            Assert.Contains($",approved,3000,3000,330,0,2670,0001,123,ordinary,{AccountNumber},ﾔﾏﾀﾞ ﾀﾛｳ", line, StringComparison.Ordinal);
        }

        app.Clock.Advance(TimeSpan.FromDays(1));
        AssertInvocationReply(await Ranks.PeriodicJobsKit.InvokeTimerAsync(app, "ExportWithdrawals"));
        var daily = await DownloadAsync($"exports/withdrawals/{today:yyyy-MM-dd}.csv");
        Assert.Contains(id, Encoding.UTF8.GetString(daily), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejected_GivesThePointsBack_AndTheListShowsIt()
    {
        var member = await AdultAsync(5_000);
        var id = (await RequestAsync(member, 2_000)).Body.GetProperty("withdrawalId").GetString()!;
        var rejected = await TransitionAsync(member, id, "reject", new { reason = "documents missing" });
        Assert.Equal("rejected", rejected.Body.GetProperty("status").GetString());
        var summary = await app.Client().GetMemberAsync(member);
        Assert.Equal((5_000L, 0L), (summary.Long("balance"), summary.Long("held")));
        AssertProblem(await TransitionAsync(member, id, "approve"), HttpStatusCode.Conflict, "invalid_state");
        await Eventually.WaitForAsync(async () => (await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/withdrawals?status=rejected")).Text.Contains(id, StringComparison.Ordinal),
            "the admin list to show the rejection");
    }

    [Fact]
    public async Task FiftyConcurrentRequests_ForTenWorth_HoldTen_TheRestAreRefused_TheBalanceIsExact()
    {
        var member = await AdultAsync(10_000);
        var replies = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => RequestAsync(member, 1_000)));
        Assert.Equal(10, replies.Count(r => r.Status == HttpStatusCode.Created));
        Assert.All(replies.Where(r => r.Status != HttpStatusCode.Created), r => Assert.Equal("insufficient_points", r.Code));
        var summary = await app.Client().GetMemberAsync(member);
        Assert.Equal((0L, 10_000L), (summary.Long("balance"), summary.Long("held")));
    }

    [Fact]
    public async Task EveryRefusal_HasItsCode()
    {
        var member = await AdultAsync(5_000);
        AssertProblem(await RequestAsync(member, 999), HttpStatusCode.UnprocessableEntity, "below_minimum");
        AssertProblem(await RequestAsync(member, 6_000), HttpStatusCode.UnprocessableEntity, "insufficient_points");
        AssertProblem(await RequestAsync(await AdultAsync(5_000, withBankAccount: false), 2_000), HttpStatusCode.UnprocessableEntity, "no_bank_account");
        var minor = await app.Client().NewMemberAsync(5_000, profile: new { birthDate = "2010-01-01" });
        AssertProblem(await RequestAsync(minor, 2_000), HttpStatusCode.UnprocessableEntity, "under_age");
        AssertProblem(await TransitionAsync(member, "W-UNKNOWN", "approve"), HttpStatusCode.NotFound, "withdrawal_not_found");
        var bank = await app.Client().SendAsync(HttpMethod.Put, $"/api/v1/members/{member}/bank-account",
            new { bankCode = "1", branchCode = "123", accountType = "ordinary", accountNumber = "123", holderKana = "山田" });
        Assert.Equal(HttpStatusCode.BadRequest, bank.Status);
        Assert.Equal(["accountNumber", "bankCode", "holderKana"], bank.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task SettingsRefusals_DisabledFeeAndMonthlyLimit()
    {
        var member = await AdultAsync(10_000);
        try
        {
            await SetWithdrawalsAsync(new JsonObject { ["enabled"] = true, ["feeFixedYen"] = 5_000, ["ageLimitYears"] = 18, ["monthlyRequestsMax"] = 1 });
            AssertProblem(await RequestAsync(member, 2_000), HttpStatusCode.UnprocessableEntity, "net_not_positive");
            Assert.Equal(HttpStatusCode.Created, (await RequestAsync(member, 6_000)).Status);
            AssertProblem(await RequestAsync(member, 6_000), HttpStatusCode.UnprocessableEntity, "monthly_limit_reached");
            await SetWithdrawalsAsync(new JsonObject { ["enabled"] = false });
            AssertProblem(await RequestAsync(member, 2_000), HttpStatusCode.UnprocessableEntity, "withdrawals_disabled");
        }
        finally
        {
            await InitializeAsync();
        }
    }

    private async Task<byte[]> DownloadAsync(string blobName)
    {
        var container = blobName[..blobName.IndexOf('/', StringComparison.Ordinal)];
        var blob = new BlobServiceClient(app.Emulators.StorageConnectionString).GetBlobContainerClient(container).GetBlobClient(blobName[(container.Length + 1)..]);
        return (await blob.DownloadContentAsync()).Value.Content.ToArray();
    }

    private async Task<List<string>> PartitionTextAsync(string member)
    {
        var texts = new List<string>();
        using var iterator = app.Service<CosmosStorage>().Ledger.GetItemQueryStreamIterator(
            new QueryDefinition("SELECT * FROM c WHERE c.memberId = @member").WithParameter("@member", member),
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(member) });
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync();
            page.EnsureSuccessStatusCode();
            using var reader = new StreamReader(page.Content);
            texts.Add(await reader.ReadToEndAsync());
        }
        return texts;
    }
}

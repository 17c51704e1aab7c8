using System.Net;
using System.Security.Cryptography;
using System.Text;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Infrastructure.Api;

namespace Points.Functions.Tests.Withdrawals;

/// <summary>An app on a given database with given bank data keys (the current one, and the previous ones it can still read).</summary>
public sealed class KeyedApp(string database, string current, string? previous = null) : AppFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["Cosmos:Database"] = database;
        settings["BankData:EncryptionKey"] = current;
        settings["BankData:PreviousKeys"] = previous;
    }
}

/// <summary>
/// A rotation of the bank data key: the app moves to key B reading A; re-encryption pages move every account and every
/// withdrawal's copy to B; an app that knows only B then pays the withdrawal made under A.
/// </summary>
public sealed class BankKeyRotationTests
{
    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public async Task AfterReEncryption_AnAppWithOnlyTheNewKey_OpensEveryAccountAndCopy()
    {
        var database = "t" + Guid.NewGuid().ToString("N")[..12];
        var (keyA, keyB) = (NewKey(), NewKey());
        string member, withdrawalId;
        await using (var before = await StartAsync(new KeyedApp(database, keyA)))
        {
            await before.Client().PutSettingsAsync(new
            {
                withdrawals = new
                {
                    enabled = true, minimumPoints = 1_000, ageLimitYears = (int?)null,
                    consignor = new { consignorCode = "1234567890", nameKana = "ﾎﾟｲﾝﾄ", bankCode = "0009", branchCode = "100", accountType = "current", accountNumber = "1111111" },
                },
            });
            member = await before.Client().NewMemberAsync(5_000);
            Assert.Equal(HttpStatusCode.OK, (await before.Client().SendAsync(HttpMethod.Put, $"/api/v1/members/{member}/bank-account",
                new { bankCode = "0001", branchCode = "123", accountType = "ordinary", accountNumber = "2468135", holderKana = "ｻﾄｳ" })).Status);
            var requested = await before.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/withdrawals", new { points = 2_000 }, Unique("w-"));
            Assert.Equal(HttpStatusCode.Created, requested.Status);
            withdrawalId = requested.Body.GetProperty("withdrawalId").GetString()!;
        }

        await using (var rotating = await StartAsync(new KeyedApp(database, keyB, previous: keyA)))
        {
            var reEncrypted = 0;
            string? continuation = null;
            do
            {
                var page = await rotating.Client().SendAsync(HttpMethod.Post,
                    "/api/v1/admin/bank-accounts/re-encrypt" + (continuation is null ? "" : "?continuation=" + Uri.EscapeDataString(continuation)), null, Unique("r-"));
                Assert.Equal(HttpStatusCode.OK, page.Status);
                reEncrypted += (int)page.Long("accounts");
                continuation = page.Body.GetProperty("continuation").GetString();
            }
            while (continuation is not null);
            Assert.Equal(2, reEncrypted); // the member's account and the withdrawal record's copy
        }

        await using var after = await StartAsync(new KeyedApp(database, keyB));
        Assert.Equal("***8135", (await after.Client().SendAsync(HttpMethod.Get, $"/api/v1/members/{member}/bank-account")).Body.GetProperty("accountNumberLast4").GetString());
        Assert.Equal(HttpStatusCode.OK, (await after.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/withdrawals/{member}/{withdrawalId}/approve", new { }, Unique("a-"))).Status);
        var file = await after.Client().SendAsync(HttpMethod.Post, "/api/v1/admin/withdrawals/transfer-files", new { transferOn = AppFixture.Start.AddHours(9).AddDays(1).ToString("yyyy-MM-dd") }, Unique("f-"));
        Assert.Equal((HttpStatusCode.Created, 1L), (file.Status, file.Long("transfers")));
    }

    private static async Task<Disposable> StartAsync(KeyedApp app)
    {
        await app.InitializeAsync();
        return new Disposable(app);
    }

    /// <summary>An app started here and stopped at the end of its block.</summary>
    private sealed class Disposable(KeyedApp app) : IAsyncDisposable
    {
        public HttpClient Client() => app.Client();
        public ValueTask DisposeAsync() => new(app.DisposeAsync());
    }
}

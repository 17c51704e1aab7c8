using System.Diagnostics;
using System.Text;
using Azure.Storage.Blobs;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Members;
using Points.Functions.Tests.Imports.Csv;
using Points.Functions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Points.Functions.Tests.Imports;

/// <summary>The app with the local trigger runner on: files dropped in Azurite reach ImportAdjustments through the blob trigger path.</summary>
public sealed class TriggerRunnerFixture : AppFixture
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["LocalTriggers:Enabled"] = "true";
        settings["LocalTriggers:BlobPollMilliseconds"] = "300";
    }

    /// <summary>
    /// Drops <paramref name="content"/> at <c>imports/{folder}{name}</c> (the name made unique) and answers the lines of
    /// its result file, header left out, once the blob trigger of <paramref name="functionName"/> finished with it.
    /// </summary>
    public async Task<List<string>> DropAndReadResultAsync(string functionName, string folder, string name, byte[] content, TimeSpan timeout)
    {
        var unique = Guid.NewGuid().ToString("N")[..8] + "-" + name;
        var blobs = new BlobServiceClient(Emulators.StorageConnectionString);
        await blobs.GetBlobContainerClient("imports").GetBlobClient(folder + unique).UploadAsync(new BinaryData(content));
        var result = blobs.GetBlobContainerClient("results").GetBlobClient($"{folder}{unique}.result.csv");
        return await Eventually.WaitForAsync(async () =>
        {
            // The result is written while the import runs; it is complete once the blob receipt exists.
            var receipts = blobs.GetBlobContainerClient("azure-webjobs-hosts").GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None,
                Azure.Storage.Blobs.Models.BlobStates.None, $"blobreceipts/local/{functionName}/imports/{folder}{unique}/", CancellationToken.None);
            await foreach (var _ in receipts)
            {
                var text = (await result.DownloadContentAsync()).Value.Content.ToString().TrimStart('\uFEFF');
                return text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
            }
            return null;
        }, $"the result of {name}", timeout, TimeSpan.FromMilliseconds(300));
    }
}

[Collection(BlobImportsCollection.Name)]
public sealed class AdjustmentImportTests(TriggerRunnerFixture app, ITestOutputHelper output) : IClassFixture<TriggerRunnerFixture>
{
    [Fact]
    public async Task HundredThousandRowShiftJisFile_AppliesEveryRow_AndDroppedAgainAppliesNothing()
    {
        const int members = 5_000, rowsPerMember = 20;
        var prefix = "imp-" + Guid.NewGuid().ToString("N")[..6] + "-";
        var ledger = app.Service<MemberLedger>();
        await Parallel.ForEachAsync(Enumerable.Range(0, members), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            await ledger.ExecuteAsync(MemberId.Parse(prefix + i), MembersFeature.Register(MemberId.Parse(prefix + i),
                new ProfileChange(new DateOnly(2026, 1, 1), null, null, null, null), new Newcomer($"IMPORT{i}", null, null), null, "test")));

        var csv = new StringBuilder("会員ID,ポイント,種別,有効期限,理由\r\n");
        for (var m = 0; m < members; m++)
            for (var r = 0; r < rowsPerMember; r++)
                csv.Append(prefix).Append(m).Append(r % 2 == 0 ? ",10,通常,,キャンペーン付与\r\n" : ",5,期間限定,2027/03/31,期間限定ポイント付与\r\n");
        var bytes = CsvInput.InShiftJis(csv.ToString());

        var watch = Stopwatch.StartNew();
        var result = await DropAndWaitForResultAsync("bulk.csv", bytes, TimeSpan.FromMinutes(20));
        output.WriteLine($"100,000 rows ({bytes.Length / 1024} KiB Shift_JIS) imported through the blob trigger in {watch.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(members * rowsPerMember, result.Count(l => l.Status == "applied"));
        var store = app.Service<LedgerStore>();
        for (var m = 0; m < members; m += 997)
        {
            var (account, _) = await store.ReadAccountAsync(MemberId.Parse(prefix + m), CancellationToken.None);
            Assert.Equal(10 * rowsPerMember / 2 + 5 * rowsPerMember / 2, account!.Ledger.Balance.Value);
        }

        var again = await DropAndWaitForResultAsync("bulk-again.csv", bytes, TimeSpan.FromMinutes(20));
        Assert.Equal(members * rowsPerMember, again.Count(l => l.Status == "duplicate"));
        var (after, _) = await store.ReadAccountAsync(MemberId.Parse(prefix + 0), CancellationToken.None);
        Assert.Equal(150, after!.Ledger.Balance.Value);
    }

    [Fact]
    public async Task FileWithOneInvalidRow_AppliesNothing_AndItsResultNamesThatRow()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync();
        var csv = $"member_id,points,reason\n{member},100,ok\n{member},abc,bad row\n{member},50,ok\n";

        var result = await DropAndWaitForResultAsync("one-bad.csv", Encoding.UTF8.GetBytes(csv), TimeSpan.FromMinutes(2));

        var invalid = Assert.Single(result);
        Assert.Equal((2L, "invalid", "invalid_points"), (invalid.Row, invalid.Status, invalid.Code));
        Assert.Equal(0, (await client.GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task RowFailingAtApplyTime_IsRejected_AndTheOthersApply()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync();
        var csv = $"\uFEFFmember_id,points,reason,idempotency_key\n{member},100,grant,k-{member}-1\n{member},-500,too much,k-{member}-2\n{member},-30,fix,k-{member}-3\n";

        var result = await DropAndWaitForResultAsync("apply-time.csv", Encoding.UTF8.GetBytes(csv), TimeSpan.FromMinutes(2));

        Assert.Equal(["applied", "rejected", "applied"], result.Select(r => r.Status));
        Assert.Equal("insufficient_points", result[1].Code);
        Assert.Equal(70, result[2].BalanceAfter);
        Assert.Equal(70, (await client.GetMemberAsync(member)).Long("balance"));
    }

    /// <summary>Regression (review): the same key with different content applied the other rows and rejected one.</summary>
    [Fact]
    public async Task SameIdempotencyKeyWithDifferentContent_RefusesTheWholeFile_NamingTheRow()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync();
        var key = "k-" + Guid.NewGuid().ToString("N");
        var csv = $"member_id,points,reason,idempotency_key\n{member},100,grant,{key}\n{member},5,other,{key}-2\n{member},200,grant,{key}\n";

        var result = await DropAndWaitForResultAsync("key-reused.csv", Encoding.UTF8.GetBytes(csv), TimeSpan.FromMinutes(2));

        var invalid = Assert.Single(result);
        Assert.Equal((3L, "invalid", "idempotency_key_reused"), (invalid.Row, invalid.Status, invalid.Code));
        Assert.Contains("row 1", invalid.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await client.GetMemberAsync(member)).Long("balance"));
    }

    [Fact]
    public async Task SameIdempotencyKeyWithTheSameContent_AppliesOnce()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync();
        var key = "k-" + Guid.NewGuid().ToString("N");
        var csv = $"member_id,points,reason,idempotency_key\n{member},100,grant,{key}\n{member},100,grant,{key}\n";

        var result = await DropAndWaitForResultAsync("key-twice.csv", Encoding.UTF8.GetBytes(csv), TimeSpan.FromMinutes(2));

        Assert.Equal(["applied", "duplicate"], result.Select(r => r.Status));
        Assert.Equal(100, (await client.GetMemberAsync(member)).Long("balance"));
    }

    /// <summary>Regression (probing the fuzzer's odd dates): special points expiring 9999-12-31 overflowed the due-date listing.</summary>
    [Fact]
    public async Task SpecialPointsExpiringBeyondTenYears_RefuseTheFile_NamingTheRow()
    {
        var client = app.Client();
        var member = await client.NewMemberAsync();
        var csv = $"member_id,points,kind,expires_on,reason\n{member},10,special,2027-03-31,ok\n{member},10,special,9999-12-31,too far\n";

        var result = await DropAndWaitForResultAsync("far-expiry.csv", Encoding.UTF8.GetBytes(csv), TimeSpan.FromMinutes(2));

        var invalid = Assert.Single(result);
        Assert.Equal((2L, "invalid", "invalid_date"), (invalid.Row, invalid.Status, invalid.Code));
        Assert.Equal(0, (await client.GetMemberAsync(member)).Long("balance"));
    }

    /// <summary>Regression (review): a header-only file gave a result file with no message at all.</summary>
    [Theory]
    [InlineData("member_id,points,reason\r\n")]
    [InlineData("member_id,points,reason\r\n,,\r\n\r\n")]
    public async Task HeaderOnlyFile_SaysNoRows(string csv)
    {
        var result = await DropAndWaitForResultAsync("header-only.csv", Encoding.UTF8.GetBytes(csv), TimeSpan.FromMinutes(2));

        var line = Assert.Single(result);
        Assert.Equal(("invalid", "no_rows"), (line.Status, line.Code));
        Assert.StartsWith("no rows", line.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Regression (review): a blob that did not exist or could not be named made ImportAdjustments throw (500); it is a
    /// failed invocation, answered and logged, as the Event Grid path needs (the host retries, then poisons).
    /// </summary>
    [Theory]
    [InlineData("does-not-exist.csv", 404)]
    [InlineData("../adjustments/x.csv", 400)]
    [InlineData("a//b.csv", 400)]
    [InlineData("ends-with-a-dot.", 400)]
    public async Task ImportAdjustments_ForABlobThatCannotBeRead_AnswersAClearFailure(string name, int status)
    {
        var payload = System.Text.Json.JsonSerializer.Serialize(new { Data = new { blob = "" }, Metadata = new { name = System.Text.Json.JsonSerializer.Serialize(name) } });
        using var http = new HttpClient { BaseAddress = app.BaseAddress };

        using var response = await http.PostAsync("/ImportAdjustments", new StringContent(payload, Encoding.UTF8, "application/json"));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>
    /// Regression (review): a blob named <c>imports/adjustments/../adjustments/x.csv</c> (storage keeps the name as
    /// given; every client resolves the <c>..</c>, so it cannot be read) failed every scan with 404 and starved every
    /// later file. It is now that blob's failed attempts, then a poison message; the file dropped after it is imported.
    /// </summary>
    [Fact]
    public async Task BlobThatCannotBeRead_GoesToPoison_AndTheFilesAfterItAreImported()
    {
        var unique = Guid.NewGuid().ToString("N")[..8];
        var unreadable = $"adjustments/../adjustments/{unique}-dots.csv";
        await UploadWithTheNameAsGivenAsync("imports", unreadable, "member_id,points,reason\n");
        var member = await app.Client().NewMemberAsync();

        var result = await DropAndWaitForResultAsync("after-the-dots.csv", Encoding.UTF8.GetBytes($"member_id,points,reason\n{member},10,ok\n"), TimeSpan.FromMinutes(1));

        Assert.Equal("applied", Assert.Single(result).Status);
        var poison = new Azure.Storage.Queues.QueueServiceClient(app.Emulators.StorageConnectionString).GetQueueClient("webjobs-blobtrigger-poison");
        await Eventually.WaitForAsync(async () =>
            (await poison.PeekMessagesAsync(32)).Value.Any(m => m.Body.ToString().Contains(unreadable, StringComparison.Ordinal)),
            "the unreadable blob's poison message");
    }

    /// <summary>Creates a blob under exactly <paramref name="name"/>: the SDK would resolve <c>..</c> segments first, as every client does.</summary>
    private async Task UploadWithTheNameAsGivenAsync(string container, string name, string content)
    {
        var containerClient = new BlobServiceClient(app.Emulators.StorageConnectionString).GetBlobContainerClient(container);
        var sas = containerClient.GenerateSasUri(Azure.Storage.Sas.BlobContainerSasPermissions.Write, DateTimeOffset.UtcNow.AddMinutes(10));
        var uri = new Uri($"{containerClient.Uri}/{name}{sas.Query}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, uri) { Content = new StringContent(content) };
        request.Headers.Add("x-ms-blob-type", "BlockBlob");
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Contains(containerClient.GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "adjustments/../", CancellationToken.None), b => b.Name == name);
    }

    private sealed record ResultLine(long Row, string MemberId, string Status, string Code, long? BalanceAfter, string Message);

    private async Task<List<ResultLine>> DropAndWaitForResultAsync(string name, byte[] content, TimeSpan timeout) =>
        [.. (await app.DropAndReadResultAsync(Points.Functions.Imports.AdjustmentImport.FunctionName, Points.Functions.Imports.AdjustmentImport.Prefix, name, content, timeout)).Select(Parse)];

    private static ResultLine Parse(string line)
    {
        var cells = line.Split(',');
        return new ResultLine(long.Parse(cells[0], System.Globalization.CultureInfo.InvariantCulture), cells[1], cells[3], cells[4],
            cells[^1].Length > 0 ? long.Parse(cells[^1], System.Globalization.CultureInfo.InvariantCulture) : null, string.Join(',', cells[5..^1]).Trim('"'));
    }
}

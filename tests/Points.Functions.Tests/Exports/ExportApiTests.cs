using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Points.Functions.Exports;
using Points.Functions.Ledger;
using Points.Functions.Tests.Infrastructure;
using Points.Functions.Tests.Ranks;
using static Points.Functions.Tests.Infrastructure.Api;
using static Points.Functions.Tests.Ranks.PeriodicJobsKit;

namespace Points.Functions.Tests.Exports;

/// <summary>Exports (F30) over HTTP: jobs over every member through ledger-jobs, Excel-ready files, Shift_JIS refusals, resumption.</summary>
public sealed class ExportApiTests(RanksFixture app, BrowserFixture browser) : IClassFixture<RanksFixture>, IClassFixture<BrowserFixture>
{
    private async Task DrainAsync()
    {
        while ((await DeliverAllAsync(app)).Count > 0) { }
    }

    private async Task<Reply> ExportAsync(object body, string? key = null)
    {
        var reply = await app.Client().SendAsync(HttpMethod.Post, "/api/v1/admin/exports", body, key);
        Assert.True(reply.Status == HttpStatusCode.Accepted, reply.Text);
        return reply;
    }

    private async Task<(Reply Done, byte[] File)> CompletedAsync(Reply started)
    {
        await DrainAsync();
        var id = started.Body.GetProperty("exportId").GetString()!;
        var done = await app.Client().SendAsync(HttpMethod.Get, $"/api/v1/admin/exports/{id}");
        Assert.Equal("completed", done.Body.GetProperty("status").GetString());
        return (done, await BlobAsync(done.Body.GetProperty("blobName").GetString()!));
    }

    private async Task<byte[]> BlobAsync(string name) =>
        (await new BlobServiceClient(app.Emulators.StorageConnectionString).GetBlobContainerClient("exports").GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray();

    private static List<string> Lines(string text) => [.. text.TrimStart('\uFEFF').Split("\r\n", StringSplitOptions.RemoveEmptyEntries)];

    [Fact]
    public async Task MembersAndBalances_AreExcelReady_AndAFormulaComesOutNeutralised()
    {
        var tag = Unique("exp");
        var formula = await app.Client().NewMemberAsync(120, profile: new { tags = new[] { "=HYPERLINK(\"http://evil\")", tag } });
        var plain = await app.Client().NewMemberAsync(30, profile: new { tags = new[] { tag } });

        var (members, file) = await CompletedAsync(await ExportAsync(new
        {
            kind = "members", filter = JsonSerializer.Deserialize<JsonElement>($$"""{ "type": "member", "tags": ["{{tag}}"] }"""),
        }));

        Assert.Equal([0xEF, 0xBB, 0xBF], file[..3]); // UTF-8 with BOM
        var lines = Lines(Encoding.UTF8.GetString(file));
        Assert.Equal("member_id,joined_on,rank,balance,tags,store_id,newsletter_opt_in,area_id", lines[0]);
        Assert.Equal(2, lines.Count - 1);
        Assert.Contains(lines, l => l.StartsWith(plain + ",", StringComparison.Ordinal) && l.Contains(",30,", StringComparison.Ordinal));
        var risky = Assert.Single(lines, l => l.StartsWith(formula + ",", StringComparison.Ordinal));
        Assert.Contains(",\"'=HYPERLINK(\"\"http://evil\"\");", risky, StringComparison.Ordinal); // shown as text, never run by Excel
        Assert.Equal(2, members.Body.GetProperty("progress").GetProperty("rows").GetInt64());

        var (_, balances) = await CompletedAsync(await ExportAsync(new { kind = "balances" }));
        var balanceLines = Lines(Encoding.UTF8.GetString(balances));
        Assert.StartsWith("member_id,balance,regular,special,purchased,held,debt,rank,lifetime_earned,next_expiry_on,next_expiry_points", balanceLines[0], StringComparison.Ordinal);
        Assert.Contains(balanceLines, l => l.StartsWith($"{formula},120,120,0,0,0,0,bronze,120,2027-11-30,120", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ShiftJisTransactions_RoundTripJapanese_AndARowShiftJisCannotHoldIsReported_NotMangled()
    {
        var member = await app.Client().NewMemberAsync();
        Assert.Equal(HttpStatusCode.Created, (await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/members/{member}/adjustments",
            new { points = 500, reason = "誕生日ポイント（特別）" }, Unique("a-"))).Status);
        Assert.Equal(HttpStatusCode.Created, (await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/admin/members/{member}/adjustments",
            new { points = 5, reason = "thanks 🎉" }, Unique("a-"))).Status);

        var started = await ExportAsync(new { kind = "transactions", from = "2026-11-01", to = "2026-11-30", encoding = "shift_jis" });
        var (done, file) = await CompletedAsync(started);

        var text = CodePagesEncodingProvider.Instance.GetEncoding(932)!.GetString(file);
        var mine = Lines(text).Where(l => l.Contains(member, StringComparison.Ordinal)).ToList();
        Assert.Contains(mine, l => l.Contains(",adjust,regular,500,500,,誕生日ポイント（特別）,", StringComparison.Ordinal));
        Assert.DoesNotContain(mine, l => l.Contains("thanks", StringComparison.Ordinal) || l.Contains('?'));
        var errors = Lines(Encoding.UTF8.GetString(await BlobAsync(done.Body.GetProperty("errorsBlobName").GetString()!["exports/".Length..])));
        Assert.Contains(errors, l => l.StartsWith($"{member},2,reason,", StringComparison.Ordinal));
        Assert.True(done.Body.GetProperty("progress").GetProperty("rowErrors").GetInt64() >= 1);
    }

    [Fact]
    public async Task AnExportInterruptedAfterItsPage_ResumesWithoutDuplicateOrMissingRows()
    {
        var tag = Unique("int");
        var members = new List<string>();
        for (var i = 0; i < 3; i++) members.Add(await app.Client().NewMemberAsync(10, profile: new { tags = new[] { tag } }));
        var key = Unique("x-");
        var body = new { kind = "members", filter = JsonSerializer.Deserialize<JsonElement>($$"""{ "type": "member", "tags": ["{{tag}}"] }""") };
        var started = await ExportAsync(body, key);
        var id = started.Body.GetProperty("exportId").GetString()!;
        var store = app.Service<LedgerScanStore>();
        var (initial, _) = await store.ReadShardAsync(id, ExportScan.Phase, 0, CancellationToken.None);

        // The page is written, then the checkpoint is lost (the shard goes back as it was) before the file was put together.
        var step = await TakeShardsAsync(app);
        var (_, etag) = await store.ReadShardAsync(id, ExportScan.Phase, 0, CancellationToken.None);
        foreach (var (message, text) in step) AssertInvocationReplyOk(await DeliverAsync(app, message, text));
        (_, etag) = await store.ReadShardAsync(id, ExportScan.Phase, 0, CancellationToken.None);
        var (export, exportETag) = await app.Service<ExportStore>().ReadAsync(id, CancellationToken.None);
        Assert.True(await app.Service<ExportStore>().TryReplaceAsync(export! with { State = ExportState.Running }, exportETag!, CancellationToken.None));
        Assert.True(await store.TryWriteShardAsync(initial!, etag, CancellationToken.None));

        var again = await ExportAsync(body, key); // the same request resumes it
        Assert.Equal(id, again.Body.GetProperty("exportId").GetString());
        var (_, file) = await CompletedAsync(again);

        Assert.Equal(members.Order(), Lines(Encoding.UTF8.GetString(file)).Skip(1).Select(l => l.Split(',')[0]).Order());
    }

    [Fact]
    public async Task WrongRequests_AreRefusedNamingTheField()
    {
        foreach (var (body, field) in new (object, string)[]
        {
            (new { kind = "zengin" }, "kind"),
            (new { kind = "balances", encoding = "latin1" }, "encoding"),
            (new { kind = "transactions", from = "2026-11-30", to = "2026-11-01" }, "to"),
            (new { kind = "balances", from = "2026-11-01" }, "from"),
            (new { kind = "members", filter = JsonSerializer.Deserialize<JsonElement>("""{ "type": "member", "birthMonth": 13 }""") }, "filter.birthMonth"),
        })
        {
            var reply = await app.Client().SendAsync(HttpMethod.Post, "/api/v1/admin/exports", body);
            Assert.Equal(HttpStatusCode.BadRequest, reply.Status);
            Assert.Contains(field, reply.Body.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        }
        var missing = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/exports/ex-none");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
    }

    [Fact]
    public async Task ARequestFile_StartsTheExport_AndAWrongOneIsAnsweredBeside()
    {
        var member = await app.Client().NewMemberAsync(77);
        var blobs = new BlobServiceClient(app.Emulators.StorageConnectionString);
        var good = Unique("req-") + ".json";
        var bad = Unique("req-") + ".json";
        await blobs.GetBlobContainerClient("imports").GetBlobClient(ExportRequestFiles.Folder + good).UploadAsync(BinaryData.FromString("""{ "kind": "balances" }"""));
        await blobs.GetBlobContainerClient("imports").GetBlobClient(ExportRequestFiles.Folder + bad).UploadAsync(BinaryData.FromString("""{ "kind": "balances", "encoding": "ebcdic" }"""));

        foreach (var name in new[] { good, bad, good }) // the good one delivered twice: one export
        {
            AssertInvocationReplyOk(await app.Client(apiKey: null).SendRawAsync(HttpMethod.Post, "/" + ExportRequestFiles.FunctionName, new StringContent(
                JsonSerializer.Serialize(new { Data = new { blob = "" }, Metadata = new { name = JsonSerializer.Serialize(name) } }), Encoding.UTF8, "application/json")));
        }

        async Task<JsonElement> ResultOf(string name) => JsonDocument.Parse((await blobs.GetBlobContainerClient("results")
            .GetBlobClient($"{ExportRequestFiles.Folder}{name}.result.json").DownloadContentAsync()).Value.Content.ToString()).RootElement;
        var started = await ResultOf(good);
        Assert.Equal("started", started.GetProperty("status").GetString());
        var refused = await ResultOf(bad);
        Assert.Equal(("invalid", true), (refused.GetProperty("status").GetString(), refused.GetProperty("errors").TryGetProperty("encoding", out _)));
        await DrainAsync();
        var done = await app.Client().SendAsync(HttpMethod.Get, $"/api/v1/admin/exports/{started.GetProperty("exportId").GetString()}");
        Assert.Equal("completed", done.Body.GetProperty("status").GetString());
        var lines = Lines(Encoding.UTF8.GetString(await BlobAsync(done.Body.GetProperty("blobName").GetString()!)));
        Assert.Single(lines, l => l.StartsWith(member + ",77,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheStoreHierarchy_IsValidated_AndExportsNameTheArea()
    {
        var client = app.Client();
        var wrong = await client.PutSettingsAsync(new
        {
            stores = new object[]
            {
                new { storeId = "hq", name = "本部", level = "hq" }, new { storeId = "hq2", name = "二つ目", level = "hq" },
                new { storeId = "tokyo", name = "東京エリア", level = "area", parentId = "shibuya" },
                new { storeId = "shibuya", name = "渋谷店", level = "store", parentId = "nowhere" },
            },
        });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Equal(["stores", "stores[2].parentId", "stores[3].parentId"], wrong.Body.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());

        var saved = await client.PutSettingsAsync(new
        {
            stores = new object[]
            {
                new { storeId = "hq", name = "本部", level = "hq" }, new { storeId = "tokyo", name = "東京エリア", level = "area", parentId = "hq" },
                new { storeId = "shibuya", name = "渋谷店", level = "store", parentId = "tokyo" },
            },
        });
        Assert.True(saved.Status == HttpStatusCode.OK, saved.Text);
        app.Clock.Advance(TimeSpan.FromSeconds(6)); // past the settings cache
        var tag = Unique("st");
        var member = await client.NewMemberAsync(10, profile: new { tags = new[] { tag }, storeId = "shibuya" });

        var (_, file) = await CompletedAsync(await ExportAsync(new
        {
            kind = "members", filter = JsonSerializer.Deserialize<JsonElement>($$"""{ "type": "member", "tags": ["{{tag}}"] }"""),
        }));

        Assert.EndsWith(",shibuya,false,tokyo", Assert.Single(Lines(Encoding.UTF8.GetString(file)).Skip(1), l => l.StartsWith(member, StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Liability_ByKindAndExpiryMonth_AddsUpToEveryBalance()
    {
        var member = await app.Client().NewMemberAsync(100);
        Assert.Equal(HttpStatusCode.Created, (await app.Client().AdjustAsync(member, 50, "special", "2026-12-31")).Status);
        // A sealed history page of a member who bought 500 points on 1 September and used 120 of them on 3 October.
        var buyer = NewMemberId();
        var bought = new Points.Domain.Ledger.LotPortion("L1", 1, Points.Domain.Ledger.LotKind.Purchased, null, new DateOnly(2026, 9, 1), new Points.Domain.Primitives.PointAmount(500));
        Points.Domain.Ledger.JournalEntry Entry(long seq, Points.Domain.Ledger.EntryType type, long points, DateTimeOffset at) => new()
        {
            Seq = seq, Type = type, Points = new(points), BalanceAfter = new(seq == 1 ? 500 : 380), OccurredAt = at, Actor = "test",
            Lots = [bought with { Points = new(points) }],
        };
        await app.Service<Points.Functions.Storage.CosmosStorage>().Ledger.UpsertItemAsync(new JournalPageDocument
        {
            Id = JournalPageDocument.IdOf(0), MemberId = buyer, PageNo = 0, References = [],
            Entries = [Entry(1, Points.Domain.Ledger.EntryType.Purchase, 500, new(2026, 9, 1, 12, 0, 0, TimeSpan.FromHours(9))),
                Entry(2, Points.Domain.Ledger.EntryType.Spend, -120, new(2026, 10, 3, 12, 0, 0, TimeSpan.FromHours(9)))],
        }, new Microsoft.Azure.Cosmos.PartitionKey(buyer));

        var (_, liability) = await CompletedAsync(await ExportAsync(new { kind = "liability" }));
        var (_, balances) = await CompletedAsync(await ExportAsync(new { kind = "balances" }));

        var rows = Lines(Encoding.UTF8.GetString(liability)).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Contains(rows, r => r[0] == "special" && r[1] == "2026-12" && long.Parse(r[2], System.Globalization.CultureInfo.InvariantCulture) >= 50);
        var total = rows.Single(r => r[0] == "all" && r[1] == "total");
        var byMember = Lines(Encoding.UTF8.GetString(balances)).Skip(1).Select(l => l.Split(','))
            .Sum(c => long.Parse(c[2], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(c[3], System.Globalization.CultureInfo.InvariantCulture)
                + long.Parse(c[4], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(byMember, long.Parse(total[2], System.Globalization.CultureInfo.InvariantCulture)); // every point owed is in some member's lots
        Assert.Equal(total[2], total[3]); // 1 yen a point
        Assert.Equal(total[2], rows.Single(r => r[0] == "reconciliation")[2]);
        // On 30 September the buyer still had the 500 bought points (the 120 were used in October).
        Assert.Equal(["purchased_at_base_date", "2026-09-30", "500", "500"], rows.Single(r => r[0].StartsWith("purchased_at_base_date", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TheMonthlyReport_ChartsAndTablesTheSameNumbersAsItsCsv()
    {
        var member = await app.Client().NewMemberAsync(100);
        Assert.Equal(HttpStatusCode.Created, (await app.Client().RedeemAsync(member, 30)).Status);

        await new BlobServiceClient(app.Emulators.StorageConnectionString).GetBlobContainerClient("exports").GetBlobClient(MonthlyReport.MonthlyBlobOf(new DateOnly(2026, 10, 1)))
            .UploadAsync(BinaryData.FromString("section,key,category,points\r\nowed,regular,points,1234\r\nowed,special,points,66\r\n"), overwrite: true);
        var started = await ExportAsync(new { kind = "report", from = "2026-11-01", to = "2026-11-30" });
        var (done, csv) = await CompletedAsync(started);
        var html = Encoding.UTF8.GetString(await BlobAsync(MonthlyReport.HtmlOf(done.Body.GetProperty("blobName").GetString()!)));

        var rows = Lines(Encoding.UTF8.GetString(csv)).Skip(1).Select(l => l.Split(',')).ToList();
        var issuedToday = long.Parse(rows.Single(r => r[0] == "day" && r[1] == "2026-11-23" && r[2] == "issued")[3], System.Globalization.CultureInfo.InvariantCulture);
        var usedToday = long.Parse(rows.Single(r => r[0] == "day" && r[1] == "2026-11-23" && r[2] == "used")[3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(issuedToday >= 100 && usedToday >= 30, $"issued {issuedToday}, used {usedToday}");
        Assert.Contains(rows, r => r[0] == "rank" && r[1] == "bronze");
        // The trend: October's report said 1,300 were owed; November's is what its own owed lines add up to.
        Assert.Equal(["trend", "2026-10", "owed", "1300"], rows.Single(r => r[0] == "trend" && r[1] == "2026-10"));
        Assert.Equal(rows.Where(r => r[0] == "owed").Sum(r => long.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture)),
            long.Parse(rows.Single(r => r[0] == "trend" && r[1] == "2026-11")[3], System.Globalization.CultureInfo.InvariantCulture));
        // Every chart is there (inline SVG, no script), and each day's bar and table cell carry the CSV's number.
        foreach (var category in MonthlyReport.Categories) Assert.Contains($"<svg class=\"chart\" data-category=\"{category}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"data-day=\"2026-11-23\" data-points=\"{issuedToday}\"", html, StringComparison.Ordinal);
        var cells = System.Text.RegularExpressions.Regex.Matches(html, "<td data-points=\"(\\d+)\">").Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(rows.Select(r => long.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture)).Order(), cells.Order()); // the same numbers, each once

        // What a person sees: the file rendered in Chromium draws every chart with its size, no bar with more points is
        // shorter than one with fewer, and the numbers read off the page are the CSV's.
        var page = await browser.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        await page.SetContentAsync(html);
        foreach (var category in MonthlyReport.Categories.Append("trend"))
        {
            var chart = page.Locator($"svg.chart[data-category=\"{category}\"]");
            var box = await chart.BoundingBoxAsync();
            Assert.True(box is { Width: 640, Height: 180 }, $"{category}: {box?.Width}x{box?.Height}");
            var bars = await chart.Locator("rect").EvaluateAllAsync<double[][]>("rs => rs.map(r => [Number(r.dataset.points), r.getBoundingClientRect().height])");
            var byPoints = bars.OrderBy(b => b[0]).ToList();
            for (var i = 1; i < byPoints.Count; i++) Assert.True(byPoints[i][1] >= byPoints[i - 1][1], $"{category}: a bar of {byPoints[i][0]} pt drawn shorter than one of {byPoints[i - 1][0]} pt");
        }
        var issuedBar = await page.Locator("svg.chart[data-category=\"issued\"] rect[data-day=\"2026-11-23\"]").BoundingBoxAsync();
        Assert.True(issuedBar is { Height: > 0 }, "the day's issued points are drawn");
        var shown = await page.Locator("td[data-points]").AllInnerTextsAsync();
        Assert.Equal(rows.Select(r => long.Parse(r[3], System.Globalization.CultureInfo.InvariantCulture)).Order(),
            shown.Select(t => long.Parse(t, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture)).Order());
        var screenshot = BrowserFixture.ScreenshotPath("monthly-report");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot holds the rendered report");
        await page.CloseAsync();
    }

    [Theory]
    [InlineData("2026-11-23", "2026-09-30")]
    [InlineData("2026-09-30", "2026-09-30")]
    [InlineData("2026-09-29", "2026-03-31")]
    [InlineData("2026-03-30", "2025-09-30")]
    public void TheBaseDate_IsTheLatest31MarchOr30September(string today, string expected) =>
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture),
            ExportScan.BaseDateOf(DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public async Task Accounting_PostsEveryEntry_AndTheLiabilityAccountsEqualTheBalance()
    {
        var member = await app.Client().NewMemberAsync(100);
        Assert.Equal(HttpStatusCode.Created, (await app.Client().RedeemAsync(member, 30)).Status);

        var (_, file) = await CompletedAsync(await ExportAsync(new { kind = "accounting", from = "2026-11-01", to = "2026-11-30" }));

        var postings = Lines(Encoding.UTF8.GetString(file)).Skip(1).Select(l => l.Split(',')).Where(c => c[1] == member).ToList();
        Assert.Equal([("adjust", "marketing_expense", "points_liability", "100"), ("spend", "points_liability", "points_redeemed", "30")],
            postings.Select(c => (c[3], c[4], c[5], c[6])));
        var liability = postings.Sum(c => (c[5] == "points_liability" ? 1 : 0) * long.Parse(c[6], System.Globalization.CultureInfo.InvariantCulture)
            - (c[4] == "points_liability" ? 1 : 0) * long.Parse(c[6], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((await app.Client().GetMemberAsync(member)).Long("balance"), liability);
    }

    private static void AssertInvocationReplyOk(Reply reply) => Assert.True(reply.Status == HttpStatusCode.OK, reply.Text);
}

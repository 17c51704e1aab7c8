using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Time.Testing;
using Points.Benchmarks.Infrastructure;
using Points.Domain.Earning;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.SpecialPoints;
using Points.Functions.Ledger;
using Points.Functions.Ranks;
using Points.Functions.SpecialPoints;
using Points.Functions.Storage;

namespace Points.Benchmarks.Scenarios;

/// <summary>
/// 6. A special points campaign over 100,000 members (issue 14): the population is written with plain upserts (member
/// <c>i</c> born in month <c>i % 12 + 1</c>, one purchase thirteen months ago when <c>i % 7 == 0</c>, one this month when
/// <c>i % 7 == 1</c>), then a campaign targeting "born in November, no purchase in the last year" is previewed and granted
/// through the real jobs: its steps are taken off the app's <c>ledger-jobs</c> queue and run as <c>ProcessLedgerJobs</c>
/// runs them. Cosmos requests are counted in the app's client pipeline.
/// </summary>
public sealed class SpecialCampaignScenario : IScenario
{
    private const string Scenario = "6 special campaign";
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 12, 0, 0, Jst);
    private const string Segment = """
        { "type": "and", "of": [ { "type": "member", "birthMonth": 11 },
                                 { "type": "not", "of": { "type": "purchaseCount", "from": "2025-11-23", "min": 1 } } ] }
        """;

    public int Number => 6;
    public string Title => "Special campaign preview and grant over 100,000 members";
    public bool NeedsEmulators => true;

    public async Task<IReadOnlyList<Figure>> RunAsync(BenchContext context)
    {
        var members = context.Quick ? 10_000 : 100_000;
        var database = context.DatabaseFor("s6-campaign");
        var clock = new FakeTimeProvider(Start);
        var figures = new List<Figure>();
        await using (var app = await BenchApp.StartAsync(context.Emulators, database, clock))
        {
            BenchContext.Log($"6: {members:N0} members with their purchase pages (direct upserts)");
            var seeding = Stopwatch.StartNew();
            var ledger = app.Service<CosmosStorage>().Ledger;
            await Parallel.ForEachAsync(Enumerable.Range(0, members), new ParallelOptions { MaxDegreeOfParallelism = Seeding.Concurrency }, async (i, ct) =>
            {
                var (member, page) = Generated(i);
                await ledger.UpsertItemAsync(AccountDocument.Of(member, Start), new PartitionKey(member.Id.Value), cancellationToken: ct);
                if (page is not null)
                    await ledger.UpsertItemAsync(page, new PartitionKey(member.Id.Value), cancellationToken: ct);
            });
            BenchContext.Log($"6: seeded in {seeding.Elapsed.TotalSeconds:0} s");
            var expected = Enumerable.Range(0, members).Count(i => i % 12 == 10 && i % 7 != 1);

            using var client = app.Client();
            using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/admin/special-campaigns")
            {
                Content = JsonContent.Create(new { name = "Benchmark thanks", points = 100, expiresOn = "2026-12-31", segment = JsonDocument.Parse(Segment).RootElement }),
            };
            create.Headers.Add("Idempotency-Key", "bench-campaign");
            using var created = await client.SendAsync(create);
            var text = await created.Content.ReadAsStringAsync();
            if (!created.IsSuccessStatusCode) throw new InvalidOperationException($"Create: {(int)created.StatusCode} {text}");
            var id = JsonDocument.Parse(text).RootElement.GetProperty("campaignId").GetString()!;

            foreach (var phase in new[] { CampaignScan.Preview, CampaignScan.Grant })
            {
                BenchContext.Log($"6: {phase}");
                var before = app.Traffic.Snapshot();
                var watch = Stopwatch.StartNew();
                using (var start = await client.PostAsync($"/api/v1/admin/special-campaigns/{id}/{phase}", null))
                {
                    if (!start.IsSuccessStatusCode) throw new InvalidOperationException($"{phase}: {(int)start.StatusCode} {await start.Content.ReadAsStringAsync()}");
                }
                var steps = await ScanSteps.RunAsync(app);
                watch.Stop();
                var traffic = app.Traffic.Snapshot() - before;
                var view = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/admin/special-campaigns/{id}")).RootElement;
                var counts = view.GetProperty(phase);
                var title = phase == CampaignScan.Preview ? "preview" : "grant";
                figures.Add(Figure.Context(Scenario, $"{title}: members/s", members / watch.Elapsed.TotalSeconds, "/s",
                    $"{watch.Elapsed.TotalSeconds:0.0} s for {members:N0} members ({counts.GetProperty("documentsRead").GetInt64():N0} documents), {steps} steps"));
                figures.Add(Figure.Context(Scenario, $"{title}: Cosmos requests per member", (double)traffic.Total / members, "",
                    string.Join(", ", traffic.Breakdown().Select(p => $"{p.Key}: {p.Value:N0}"))));
                figures.Add(Figure.Exactly(Scenario, $"{title}: targeted", counts.GetProperty("targeted").GetInt64(), "", expected));
                if (phase == CampaignScan.Grant)
                {
                    figures.Add(Figure.Exactly(Scenario, "grant: members holding the points", counts.GetProperty("granted").GetInt64(), "", expected,
                        $"state {view.GetProperty("status").GetString()}, {counts.GetProperty("skipped").GetInt64()} skipped"));
                    figures.Add(Figure.Context(Scenario, "grant: Cosmos requests per member granted", (double)traffic.Total / expected, "",
                        "the read feed's share, the purchase pages of the members born in November, a read and a write per grant"));
                }
                context.Details[$"6-{phase}"] = new { members, expected, seconds = watch.Elapsed.TotalSeconds, steps, requests = traffic.Total, breakdown = traffic.Breakdown(), counts = counts.ToString() };
            }
        }
        await context.DropDatabaseAsync(database);
        return figures;
    }

    /// <summary>Member <c>i</c> of the population, with its purchase page when it bought.</summary>
    private static (Member Member, PurchasePage? Page) Generated(int i)
    {
        var id = MemberId.Parse($"camp-{i:D6}");
        var bought = (i % 7) switch
        {
            0 => new PurchaseRecord($"p-{i}", new DateOnly(2025, 10, 1), new Yen(2_000), ["SKU-1"]),
            1 => new PurchaseRecord($"p-{i}", new DateOnly(2026, 11, 5), new Yen(3_000), ["SKU-2"]),
            _ => null,
        };
        var month = bought is null ? null : CalendarText.MonthOf(bought.Day);
        var member = Member.Register(id, new MemberProfile
        {
            JoinedOn = new DateOnly(2021, 1, 1), BirthDate = new DateOnly(1985, i % 12 + 1, 10), NewsletterOptIn = i % 2 == 0, ReferralCode = $"CAMP{i:D6}",
        }) with
        {
            Earning = MemberEarning.New with { PurchaseMonths = month is null ? [] : [month] },
        };
        return (member, bought is null ? null : new PurchasePage { Id = PurchasePage.IdOf(month!), MemberId = id.Value, Month = month!, Purchases = [bought] });
    }
}

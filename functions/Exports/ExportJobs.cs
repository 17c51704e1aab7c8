using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Storage.Blobs.Specialized;
using Points.Domain.Primitives;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.SpecialPoints;
using Points.Functions.Imports.Csv;
using Points.Functions.Ledger;
using Points.Functions.Members;
using Points.Functions.Ranks;
using Points.Functions.Settings;
using Points.Functions.SpecialPoints;
using Points.Functions.Storage;

namespace Points.Functions.Exports;

/// <summary>The exports an admin can ask for (csv.md "Exports").</summary>
public static class ExportKinds
{
    public const string Balances = "balances";
    public const string Members = "members";
    public const string Transactions = "transactions";
    public const string Ranks = "ranks";
    public const string Liability = "liability";
    public const string Accounting = "accounting";
    public const string Report = "report";

    public static readonly IReadOnlyList<string> All = [Balances, Members, Transactions, Ranks, Liability, Accounting, Report];

    /// <summary>The columns of each kind's file (csv.md; <c>ranks</c> lists each member's rank, its summary the distribution).</summary>
    public static IReadOnlyList<CsvColumn> ColumnsOf(string kind) => kind switch
    {
        Balances =>
        [
            new("member_id"), new("balance", true), new("regular", true), new("special", true), new("purchased", true), new("held", true), new("debt", true),
            new("rank"), new("lifetime_earned", true), new("next_expiry_on"), new("next_expiry_points", true), new("pending", true),
        ],
        Members => [new("member_id"), new("joined_on"), new("rank"), new("balance", true), new("tags"), new("store_id"), new("newsletter_opt_in"), new("area_id")],
        Transactions =>
        [
            new("occurred_at"), new("member_id"), new("seq", true), new("type"), new("kind"), new("points", true), new("balance_after", true),
            new("reference"), new("reason"), new("actor"), new("store_id"), new("channel"), new("area_id"),
        ],
        Ranks => [new("rank"), new("member_id")],
        Liability => [new("kind"), new("expires_month"), new("points", true), new("yen", true)],
        Report => MonthlyReport.Columns,
        Accounting =>
        [
            new("occurred_at"), new("member_id"), new("seq", true), new("type"), new("debit"), new("credit"), new("points", true), new("yen", true),
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown export kind."),
    };

    public static readonly IReadOnlyList<CsvColumn> ErrorColumns = [new("member_id"), new("seq", true), new("column"), new("message")];

    public static readonly IReadOnlyList<CsvColumn> RankSummaryColumns = [new("rank"), new("members", true)];
}

public enum ExportState { Running, Completed }

/// <summary>An export job (jobs container, partition <c>exports</c>).</summary>
public sealed record ExportDocument
{
    public const string Partition = "exports";

    [JsonPropertyName("id")]
    public required string Id { get; init; }
    public string Pk { get; init; } = Partition;
    public required string Kind { get; init; }
    public DateOnly? From { get; init; }
    public DateOnly? To { get; init; }
    /// <summary>The members export's segment (see special points), as given.</summary>
    public JsonElement? Filter { get; init; }
    public CsvOutputEncoding Encoding { get; init; }
    public ExportState State { get; init; } = ExportState.Running;
    /// <summary><c>{kind}/{date}-{id}.csv</c> in the exports container.</summary>
    public required string BlobName { get; init; }
    public required string RequestHash { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    /// <summary>Set once written: rows a Shift_JIS file could not hold, one line each (member, column, why).</summary>
    public string? ErrorsBlobName { get; init; }
    public ImmutableSortedDictionary<string, long> Totals { get; init; } = ImmutableSortedDictionary<string, long>.Empty;
    /// <summary>A report's numbers (<c>report|…</c>) as its files hold them, kept for the console's dashboard: a few hundred entries a month.</summary>
    public ImmutableSortedDictionary<string, long> ReportSums { get; init; } = ImmutableSortedDictionary<string, long>.Empty;
}

/// <summary>
/// Exports (F30; csv.md "Exports") as a scan of every document of the ledger container (<see cref="LedgerScanJob"/>):
/// each page writes its rows as a part (rows only, in the file's encoding; a page done again rewrites its part), and
/// the step that finds every shard done puts the parts together under one header into <c>exports/{kind}/{date}-{id}.csv</c>.
/// Memory holds one page, whatever the number of members. Excel-ready: UTF-8 with BOM (or Shift_JIS), CRLF, RFC 4180
/// quoting, formula-looking cells neutralised (<see cref="CsvResultWriter"/>); in Shift_JIS a row with a character it
/// lacks is not written but listed in <c>….errors.csv</c>, never mangled.
/// </summary>
public sealed partial class ExportScan(ExportStore exports, LedgerScanStore store, PurchaseHistory history, LedgerJobQueue queue, BlobStorage blobs,
    ProgramSettingsStore settingsStore, TimeProvider clock, ILogger<ExportScan> log) : LedgerScanJob(store, queue, clock, log)
{
    public const string JobName = "ExportScan";
    public const string Phase = "export";

    public override string Name => JobName;

    private static string PartOf(string exportId, int range, int page, string file) => $"parts/{exportId}/{range:D3}-{page:D6}.{file}.csv";

    /// <summary>The counts so far: documents and members read, rows written, rows refused.</summary>
    public async Task<IReadOnlyDictionary<string, long>> ProgressAsync(string exportId, CancellationToken cancellationToken) =>
        ScanShardDocument.Sum((await Store.ShardsAsync(exportId, Phase, cancellationToken)).Select(s => s.Counts));

    protected override async Task<ScanPageResult?> ProcessPageAsync(ScanStep step, JsonDocument page, CancellationToken cancellationToken)
    {
        var (export, _) = await exports.ReadAsync(step.Subject, cancellationToken);
        if (export is null) return null;
        var settings = await settingsStore.GetAsync(cancellationToken);
        var today = settings.DateOf(Clock.GetUtcNow());
        var filter = export.Filter is { } json ? SegmentJson.Parse(json, "filter", []) : null;
        var container = blobs.Container(BlobContainers.Exports);
        long rows = 0, refused = 0, members = 0, documents = 0;
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        void Add(string key, long points) => sums[key] = checked(sums.GetValueOrDefault(key) + points);
        await using (var output = await container.GetBlockBlobClient(PartOf(export.Id, step.Range, step.Page, "rows")).OpenWriteAsync(true, cancellationToken: cancellationToken))
        await using (var errorOutput = await container.GetBlockBlobClient(PartOf(export.Id, step.Range, step.Page, "errors")).OpenWriteAsync(true, cancellationToken: cancellationToken))
        await using (var csv = CsvResultWriter.Create(output, ExportKinds.ColumnsOf(export.Kind), export.Encoding, header: false))
        await using (var errors = CsvResultWriter.Create(errorOutput, ExportKinds.ErrorColumns, CsvOutputEncoding.Utf8Bom, header: false))
        {
            foreach (var document in LedgerScanStore.Documents(page))
            {
                documents++;
                // The report and the liability are sums written once every page is done; the other kinds are rows.
                if (export.Kind is ExportKinds.Report or ExportKinds.Liability)
                {
                    var (memberRead, documentSums) = export.Kind == ExportKinds.Report
                        ? (false, MonthlyReport.SumsOf(document, export, settings, today))
                        : LiabilitySumsOf(document, today, settings.Zone);
                    if (memberRead) members++;
                    foreach (var (key, points) in documentSums) Add(key, points);
                    continue;
                }
                foreach (var (memberId, seq, cells) in await RowsOfAsync(export, document, filter, today, settings, cancellationToken))
                {
                    if (cells is null)
                    {
                        members++;
                        continue; // a member read, with nothing to write
                    }
                    if (CsvResultWriter.Unwritable(cells, export.Encoding) is { } column)
                    {
                        refused++;
                        await errors.WriteRowAsync([memberId, seq?.ToString(CultureInfo.InvariantCulture), ExportKinds.ColumnsOf(export.Kind)[column].Name,
                            "holds a character Shift_JIS cannot write; export this kind in UTF-8 to see it"], cancellationToken);
                        continue;
                    }
                    rows++;
                    if (export.Kind == ExportKinds.Ranks) Add(cells[0]!, 1); // the distribution, for the summary
                    await csv.WriteRowAsync(cells, cancellationToken);
                }
            }
        }
        return new ScanPageResult(new Dictionary<string, long> { ["documentsRead"] = documents, ["membersRead"] = members, ["rows"] = rows, ["rowErrors"] = refused }, [])
        {
            Sums = sums,
        };
    }

    /// <summary>
    /// What one document adds to the liability (F31): a member's open lots by kind and expiry month, its balance plus debt
    /// (the reconciliation), and the purchased points its history had at the base date; a sealed history page, the last.
    /// </summary>
    private static (bool MemberRead, IEnumerable<(string Key, long Points)> Sums) LiabilitySumsOf(JsonElement document, DateOnly today, TimeZoneInfo zone)
    {
        var type = document.TryGetProperty("docType", out var t) ? t.GetString() : null;
        if (type == JournalPageDocument.Type)
        {
            return (false, [(PurchasedAtBase, PurchasedAtBaseDate(document.GetProperty("entries").Deserialize<ImmutableArray<JournalEntry>>(JsonDefaults.Options), today, zone))]);
        }
        if (type != AccountDocument.Type || !document.TryGetProperty("member", out var json)) return (false, []);
        var member = json.Deserialize<Member>(JsonDefaults.Options)!;
        var lots = member.Ledger.Lots.Where(l => !l.IsDueOn(today))
            .GroupBy(l => $"{Lower(l.Kind)}|{(l.ExpiresOn is { } e ? CalendarText.MonthOf(e) : "none")}")
            .Select(g => (g.Key, g.Sum(l => l.Remaining.Value)));
        var unsealed = document.TryGetProperty("journal", out var journal) ? journal.Deserialize<ImmutableArray<JournalEntry>>(JsonDefaults.Options) : [];
        // The reconciliation: what the lots owe, less debt, is the member's balance (as the summary shows it).
        return (true, [.. lots, (ReconcileBalances, MemberViews.Summary(member, today).Balance + member.Ledger.Debt.Value),
            (PurchasedAtBase, PurchasedAtBaseDate(unsealed, today, zone))]);
    }

    /// <summary>
    /// The rows one document gives: for a member, (member, null, null) to count it, then its rows; journal pages give
    /// transactions.
    /// </summary>
    private async Task<IReadOnlyList<(string MemberId, long? Seq, string?[]? Cells)>> RowsOfAsync(ExportDocument export, JsonElement document, Segment? filter,
        DateOnly today, ProgramSettings settings, CancellationToken cancellationToken)
    {
        var zone = settings.Zone;
        var type = document.TryGetProperty("docType", out var t) ? t.GetString() : null;
        if (export.Kind is ExportKinds.Transactions or ExportKinds.Accounting)
        {
            var entries = type switch
            {
                AccountDocument.Type => document.GetProperty("journal").Deserialize<ImmutableArray<JournalEntry>>(JsonDefaults.Options),
                JournalPageDocument.Type => document.GetProperty("entries").Deserialize<ImmutableArray<JournalEntry>>(JsonDefaults.Options),
                _ => [],
            };
            var memberId = document.TryGetProperty("memberId", out var m) ? m.GetString()! : "";
            var inPeriod = entries.Where(e => InPeriod(ProgramCalendar.DateOf(e.OccurredAt, zone), export));
            return export.Kind == ExportKinds.Accounting
                ? [.. inPeriod.SelectMany(e => Domain.Accounting.Postings.Of(e, settings.YenPerPoint).Select(p => (memberId, (long?)e.Seq, (string?[]?)
                    [e.OccurredAt.ToString("O", CultureInfo.InvariantCulture), memberId, N(e.Seq), Lower(e.Type), Snake(p.Debit), Snake(p.Credit), N(p.Points), N(p.Yen)])))]
                : [.. inPeriod.Select(e => (memberId, (long?)e.Seq, (string?[]?)[.. TransactionRow(memberId, e), Stores.StoreHierarchy.AreaOf(settings.Stores, e.StoreId)]))];
        }
        if (type != AccountDocument.Type || !document.TryGetProperty("member", out var json)) return [];
        var member = json.Deserialize<Member>(JsonDefaults.Options)!;
        var id = member.Id.Value;
        if (filter is not null)
        {
            var (matches, _) = filter.MatchesWithoutPurchases(member, today) is { } decided ? (decided, 0)
                : (filter.Matches(new MemberSnapshot(member, (await history.ReadAsync(member, filter.PurchasesFrom, cancellationToken)).Purchases, today)), 0);
            if (!matches) return [(id, null, null)];
        }
        var summary = MemberViews.Summary(member, today);
        string?[] row = export.Kind switch
        {
            ExportKinds.Balances =>
            [
                id, N(summary.Balance), N(summary.ByKind.Regular), N(summary.ByKind.Special), N(summary.ByKind.Purchased), N(summary.Held), N(summary.Debt),
                summary.Rank, N(summary.LifetimeEarned), summary.NextExpiry is { } next ? CalendarText.DayOf(next.Date) : null,
                summary.NextExpiry is { } soon ? N(soon.Points) : null, N(summary.Pending),
            ],
            ExportKinds.Members => [id, CalendarText.DayOf(summary.JoinedOn), summary.Rank, N(summary.Balance), string.Join(';', summary.Tags), summary.StoreId,
                summary.NewsletterOptIn ? "true" : "false", Stores.StoreHierarchy.AreaOf(settings.Stores, summary.StoreId)],
            _ => [summary.Rank, id],
        };
        return [(id, null, null), (id, null, row)];
    }

    private static bool InPeriod(DateOnly day, ExportDocument export) => (export.From is null || day >= export.From) && (export.To is null || day <= export.To);

    private static string?[] TransactionRow(string memberId, JournalEntry e) =>
    [
        e.OccurredAt.ToString("O", CultureInfo.InvariantCulture), memberId, N(e.Seq), Lower(e.Type), e.Kind is { } kind ? Lower(kind) : null, N(e.Points.Value),
        N(e.BalanceAfter.Value), e.Reference, e.Reason, e.Actor, e.StoreId, e.Channel,
    ];

    private static string Lower<T>(T value) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Puts the parts together (and the ranks summary), then records the export as completed. Idempotent.</summary>
    protected override async Task CompleteAsync(string exportId, string phase, IReadOnlyList<ScanShardDocument> shards, CancellationToken cancellationToken)
    {
        var (export, etag) = await exports.ReadAsync(exportId, cancellationToken);
        if (export is null || export.State == ExportState.Completed) return;
        var container = blobs.Container(BlobContainers.Exports);
        IEnumerable<string> Parts(string file) => shards.SelectMany(s => Enumerable.Range(0, s.Page).Select(page => PartOf(exportId, s.Range, page, file)));
        var totals = ScanShardDocument.Sum(shards.Select(s => s.Counts));
        var sums = ScanShardDocument.Sum(shards.Select(s => s.Sums));
        if (export.Kind == ExportKinds.Liability) await WriteLiabilityAsync(export, sums, cancellationToken);
        else if (export.Kind == ExportKinds.Report) await MonthlyReport.WriteAsync(blobs, export, sums, cancellationToken);
        else await CsvParts.MergeAsync(container, Parts("rows"), export.BlobName, ExportKinds.ColumnsOf(export.Kind), export.Encoding, cancellationToken);
        string? errorsBlob = null;
        if (totals.GetValueOrDefault("rowErrors") > 0)
        {
            errorsBlob = export.BlobName[..^4] + ".errors.csv";
            await CsvParts.MergeAsync(container, Parts("errors"), errorsBlob, ExportKinds.ErrorColumns, CsvOutputEncoding.Utf8Bom, cancellationToken);
        }
        if (export.Kind == ExportKinds.Ranks) await WriteRankSummaryAsync(export, sums, cancellationToken);
        foreach (var file in new[] { "rows", "errors" })
        {
            foreach (var part in Parts(file)) await container.DeleteBlobIfExistsAsync(part, cancellationToken: cancellationToken);
        }
        var completed = export with
        {
            State = ExportState.Completed, CompletedAt = Clock.GetUtcNow(), Totals = totals,
            ReportSums = export.Kind == ExportKinds.Report ? sums.Where(s => s.Key.StartsWith(MonthlyReport.Prefix, StringComparison.Ordinal)).ToImmutableSortedDictionary() : export.ReportSums,
            ErrorsBlobName = errorsBlob is null ? null : $"{BlobContainers.Exports}/{errorsBlob}",
        };
        if (await exports.TryReplaceAsync(completed, etag!, cancellationToken)) LogCompleted(exportId, export.Kind, totals.GetValueOrDefault("rows"));
    }

    private const string PurchasedAtBase = "purchasedAtBaseDate";
    /// <summary>Payment Services Act: an issuer of prepaid value notifies when the unused balance at a base date passes ¥10,000,000.</summary>
    public const long PrepaidNotificationThresholdYen = 10_000_000;

    /// <summary>The latest 31 March or 30 September on or before <paramref name="today"/> (the Payment Services Act's base dates).</summary>
    public static DateOnly BaseDateOf(DateOnly today)
    {
        var september = new DateOnly(today.Year, 9, 30);
        var march = new DateOnly(today.Year, 3, 31);
        return today >= september ? september : today >= march ? march : new DateOnly(today.Year - 1, 9, 30);
    }

    /// <summary>What <paramref name="entries"/> moved into or out of purchased lots up to the base date: summed over every entry, the unused prepaid balance then.</summary>
    private static long PurchasedAtBaseDate(IEnumerable<JournalEntry> entries, DateOnly today, TimeZoneInfo zone)
    {
        var baseDate = BaseDateOf(today);
        return entries.Where(e => ProgramCalendar.DateOf(e.OccurredAt, zone) <= baseDate)
            .Sum(e => e.Lots.Where(l => l.Kind == Domain.Ledger.LotKind.Purchased).Sum(l => l.Points.Value));
    }
    private const string ReconcileBalances = "balances";

    private static string Snake<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    /// <summary>
    /// The liability file (F31): outstanding points and their yen (at today's yen per point) by kind and expiry month,
    /// then a total line per kind and the grand total, from the page totals every shard kept.
    /// </summary>
    private async Task WriteLiabilityAsync(ExportDocument export, IReadOnlyDictionary<string, long> sums, CancellationToken cancellationToken)
    {
        var settings = await settingsStore.GetAsync(cancellationToken);
        var yenPerPoint = settings.YenPerPoint;
        var balances = sums.GetValueOrDefault(ReconcileBalances);
        var purchasedAtBase = sums.GetValueOrDefault(PurchasedAtBase);
        var lines = sums.Where(t => t.Key.Contains('|', StringComparison.Ordinal))
            .Select(t => (Parts: t.Key.Split('|'), Points: t.Value))
            .Select(t => (Kind: t.Parts[0], Month: t.Parts[1], t.Points)).OrderBy(t => t.Kind, StringComparer.Ordinal).ThenBy(t => t.Month, StringComparer.Ordinal).ToList();
        await using var output = new StagedBlockBlobStream(blobs.Container(BlobContainers.Exports).GetBlockBlobClient(export.BlobName));
        await using (var csv = CsvResultWriter.Create(output, ExportKinds.ColumnsOf(ExportKinds.Liability), export.Encoding))
        {
            foreach (var (kind, month, points) in lines) await csv.WriteRowAsync([kind, month, N(points), N(checked(points * yenPerPoint))], cancellationToken);
            foreach (var kind in lines.GroupBy(l => l.Kind))
                await csv.WriteRowAsync([kind.Key, "total", N(kind.Sum(l => l.Points)), N(checked(kind.Sum(l => l.Points) * yenPerPoint))], cancellationToken);
            var all = lines.Sum(l => l.Points);
            await csv.WriteRowAsync(["all", "total", N(all), N(checked(all * yenPerPoint))], cancellationToken);
            // Σ lots = Σ (balance + debt) over the same member documents: a difference is a ledger bug, never traffic.
            if (all != balances)
            {
                LogMismatch(export.Id, all, balances);
                throw new InvalidOperationException($"Liability export {export.Id}: the lots owe {all} points but the balances (plus debt) add up to {balances}.");
            }
            await csv.WriteRowAsync(["reconciliation", "lots = balances + debt", N(all), N(checked(all * yenPerPoint))], cancellationToken);
            var baseDate = BaseDateOf(settings.DateOf(Clock.GetUtcNow()));
            var prepaidYen = checked(purchasedAtBase * yenPerPoint);
            await csv.WriteRowAsync([prepaidYen > PrepaidNotificationThresholdYen ? "purchased_at_base_date_over_threshold" : "purchased_at_base_date",
                CalendarText.DayOf(baseDate), N(purchasedAtBase), N(prepaidYen)], cancellationToken);
        }
        await output.CommitAsync(cancellationToken);
    }

    /// <summary>The distribution of a ranks export, from the sums its pages kept (one per rank).</summary>
    private async Task WriteRankSummaryAsync(ExportDocument export, IReadOnlyDictionary<string, long> sums, CancellationToken cancellationToken)
    {
        await using var output = new StagedBlockBlobStream(blobs.Container(BlobContainers.Exports).GetBlockBlobClient(export.BlobName[..^4] + ".summary.csv"));
        await using (var csv = CsvResultWriter.Create(output, ExportKinds.RankSummaryColumns, export.Encoding))
        {
            foreach (var (rank, members) in sums.OrderBy(s => s.Key, StringComparer.Ordinal)) await csv.WriteRowAsync([rank, N(members)], cancellationToken);
        }
        await output.CommitAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Liability export {ExportId}: the lots owe {Lots} points, the balances plus debt {Balances}: the ledger is inconsistent")]
    private partial void LogMismatch(string exportId, long lots, long balances);

    [LoggerMessage(Level = LogLevel.Information, Message = "Export {ExportId} ({Kind}) completed: {Rows} rows")]
    private partial void LogCompleted(string exportId, string kind, long rows);
}

/// <summary>The export documents.</summary>
public sealed class ExportStore(CosmosStorage cosmos) : JobDocuments<ExportDocument>(cosmos, ExportDocument.Partition, export => export.Id);

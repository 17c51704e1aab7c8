using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Points.Domain.Primitives;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Hosting;
using Points.Functions.Imports.Csv;
using Points.Functions.Ledger;
using Points.Functions.Ranks;
using Points.Functions.Settings;
using Points.Functions.SpecialPoints;
using Points.Functions.Storage;

namespace Points.Functions.Exports;

/// <summary>api.md's export request: <c>filter</c> is a segment (members), <c>from</c>/<c>to</c> a period of days (transactions).</summary>
public sealed record ExportRequest(string? Kind, DateOnly? From, DateOnly? To, JsonElement? Filter, string? Encoding);

/// <summary>An export as api.md answers it, with its progress (documents and members read, rows written, rows refused).</summary>
public sealed record ExportView(string ExportId, string Kind, string Status, string Container, string BlobName, string? ErrorsBlobName,
    IReadOnlyDictionary<string, long> Progress, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt);

/// <summary>
/// Exports (F30; api.md "exports"; csv.md "Exports"): balances, members (by segment), transactions (by period) and ranks,
/// as jobs over every member (<see cref="ExportScan"/>), and a daily balance snapshot.
/// </summary>
public sealed class ExportsFeature : Feature
{
    public const int PeriodDaysMax = 366;
    public const string SnapshotFunctionName = "ExportBalanceSnapshot";
    public const string ReportFunctionName = "BuildMonthlyReport";

    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<LedgerScanStore>();
        services.AddSingleton<ExportStore>();
        services.AddSingleton<ExportScan>();
        services.AddSingleton<ILedgerScanJob>(sp => sp.GetRequiredService<ExportScan>());
        services.AddSingleton<ExportRequestFiles>();
    }

    public override void MapFunctions(WebApplication app)
    {
        Imports.ImportsFeature.MapImport<ExportRequestFiles>(app, ExportRequestFiles.FunctionName);
        app.MapTimerFunction<ExportScan>(SnapshotFunctionName, (scan, _, cancellationToken) => StartDailyAsync(app.Services, scan, SnapshotFunctionName, day => new ExportDocument
        {
            Id = $"balances-snapshot-{CalendarText.DayOf(day)}", Kind = ExportKinds.Balances, BlobName = $"{ExportKinds.Balances}/{CalendarText.DayOf(day)}-snapshot.csv",
            RequestHash = "snapshot", CreatedAt = DateTimeOffset.MinValue,
        }, cancellationToken));
        // Daily, for the month before: a month's report is one export whatever the number of runs (done once, then each run finds it complete).
        app.MapTimerFunction<ExportScan>(ReportFunctionName, (scan, _, cancellationToken) => StartDailyAsync(app.Services, scan, ReportFunctionName, day =>
        {
            var month = new DateOnly(day.Year, day.Month, 1).AddMonths(-1);
            return new ExportDocument
            {
                Id = $"report-{CalendarText.MonthOf(month)}", Kind = ExportKinds.Report, From = month, To = month.AddMonths(1).AddDays(-1),
                BlobName = MonthlyReport.MonthlyBlobOf(month), RequestHash = "monthly-report", CreatedAt = DateTimeOffset.MinValue,
            };
        }, cancellationToken));
    }

    /// <summary>Creates (once) and starts or resumes the export a daily timer owes for today (program zone).</summary>
    private static async Task<string> StartDailyAsync(IServiceProvider services, ExportScan scan, string function, Func<DateOnly, ExportDocument> exportOf,
        CancellationToken cancellationToken)
    {
        var clock = services.GetRequiredService<TimeProvider>();
        var export = exportOf((await services.GetRequiredService<ProgramSettingsStore>().GetAsync(cancellationToken)).DateOf(clock.GetUtcNow())) with
        {
            CreatedAt = clock.GetUtcNow(),
        };
        await services.GetRequiredService<ExportStore>().CreateAsync(export, cancellationToken);
        await scan.StartAsync(export.Id, ExportScan.Phase, cancellationToken);
        return $"{function}: {export.BlobName} started (or resumed, or done).";
    }

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/admin/exports", Create).RequireScope(Scopes.Admin)
            .Describe("createExport", ApiTags.Admin, "Export balances, members, transactions or ranks as CSV",
                "`kind`: `balances`, `members` (`filter`: a segment, as special points campaigns take), `transactions` (`from`/`to`: program-zone days, "
                + $"at most {PeriodDaysMax}), `ranks` (each member's rank, and a `.summary.csv` of the distribution). `encoding`: `utf8bom` (default) "
                + "or `shift_jis` (a row with a character Shift_JIS lacks goes to `….errors.csv`, never mangled). Answers 202 at once; the file "
                + "appears when the job completes (GET the export). An Idempotency-Key, when given, answers the same export again.")
            .TakesJson<ExportRequest>()
            .Produces<ExportView>(202)
            .Refuses(Problems.InvalidRequest, Problems.IdempotencyKeyReused);
        api.MapGet("/v1/admin/exports/{exportId}", Get).RequireScope(Scopes.Admin)
            .Describe("getExport", ApiTags.Admin, "An export's status, progress and file", "`status`: `running` or `completed`.")
            .Produces<ExportView>()
            .Refuses(Problems.InvalidRequest, Problems.NotFound);
    }

    private static async Task<IResult> Create(HttpContext http, ExportStore exports, ExportScan scan, ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        var key = Guid.NewGuid().ToString("N");
        if (http.Request.Headers.ContainsKey("Idempotency-Key") && !RequestReader.TryIdempotencyKey(http, out key, out var keyProblem)) return keyProblem!;
        var (request, problem) = await RequestReader.ReadBodyAsync<ExportRequest>(http);
        if (problem is not null) return problem;
        var (export, errors) = await StartAsync(request!, key, exports, scan, settingsStore, clock, http.RequestAborted);
        if (errors is not null) return errors.Count == 0 ? Problems.For(Problems.IdempotencyKeyReused) : Problems.Invalid("Some fields are invalid.", errors);
        return await AnswerAsync(export!.Id, exports, scan, http, StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// Checks the request and starts its export under an id derived from <paramref name="key"/> (the same key and request
    /// resume the same export). Errors by field; an empty set of errors: the key was used for another request.
    /// </summary>
    public static async Task<(ExportDocument? Export, Dictionary<string, string[]>? Errors)> StartAsync(ExportRequest request, string key, ExportStore exports,
        ExportScan scan, ProgramSettingsStore settingsStore, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Kind is not { } kind || !ExportKinds.All.Contains(kind))
            errors["kind"] = [$"{string.Join(", ", ExportKinds.All)} (withdrawals: POST /api/v1/admin/withdrawals/exports; zengin: POST /api/v1/admin/withdrawals/transfer-files)."];
        CsvOutputEncoding? encoding = request.Encoding switch
        {
            null or "utf8bom" => CsvOutputEncoding.Utf8Bom,
            "shift_jis" => CsvOutputEncoding.ShiftJis,
            _ => null,
        };
        if (encoding is null) errors["encoding"] = ["utf8bom or shift_jis."];
        if (request.From > request.To) errors["to"] = ["On or after from."];
        else if (request.From is { } from && request.To is { } to && to.DayNumber - from.DayNumber >= PeriodDaysMax) errors["to"] = [$"At most {PeriodDaysMax} days."];
        if ((request.From is not null || request.To is not null) && request.Kind is not (ExportKinds.Transactions or ExportKinds.Accounting or ExportKinds.Report))
            errors["from"] = ["Only transactions, accounting and report take a period."];
        if (request.Kind == ExportKinds.Report && (request.From is null || request.To is null)) errors["from"] = ["A report covers a period: from and to."];
        if (request.Filter is { } filter)
        {
            if (request.Kind != ExportKinds.Members) errors["filter"] = ["Only members take a filter."];
            else SegmentJson.Parse(filter, "filter", errors);
        }
        if (errors.Count > 0) return (null, errors);

        var today = (await settingsStore.GetAsync(cancellationToken)).DateOf(clock.GetUtcNow());
        var id = "ex-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..20];
        var hash = RequestReader.HashOf("POST", "/v1/admin/exports", request);
        var export = new ExportDocument
        {
            Id = id, Kind = request.Kind!, From = request.From, To = request.To, Filter = request.Filter?.Clone(), Encoding = encoding!.Value,
            BlobName = $"{request.Kind}/{CalendarText.DayOf(today)}-{id}.csv", RequestHash = hash, CreatedAt = clock.GetUtcNow(),
        };
        if (!await exports.CreateAsync(export, cancellationToken))
        {
            (export, _) = await exports.ReadAsync(id, cancellationToken);
            if (export?.RequestHash != hash) return (null, []);
        }
        await scan.StartAsync(id, ExportScan.Phase, cancellationToken); // a repeated request resumes it
        return (export, null);
    }

    private static async Task<IResult> Get(string exportId, HttpContext http, ExportStore exports, ExportScan scan)
    {
        if (!RequestReader.IsWellFormedId(exportId)) return RequestReader.InvalidId("exportId");
        return await AnswerAsync(exportId, exports, scan, http, StatusCodes.Status200OK);
    }

    private static async Task<IResult> AnswerAsync(string exportId, ExportStore exports, ExportScan scan, HttpContext http, int status)
    {
        var (export, _) = await exports.ReadAsync(exportId, http.RequestAborted);
        if (export is null) return Problems.For(Problems.NotFound, "No such export.");
        var progress = export.State == ExportState.Completed ? export.Totals : await scan.ProgressAsync(exportId, http.RequestAborted);
        return Results.Json(new ExportView(export.Id, export.Kind, JsonNamingPolicy.CamelCase.ConvertName(export.State.ToString()), BlobContainers.Exports, export.BlobName,
            export.ErrorsBlobName, progress, export.CreatedAt, export.CompletedAt), JsonDefaults.Options, statusCode: status);
    }
}

using Points.Domain.Primitives;
using Points.Domain.Withdrawals;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Hosting;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Withdrawals;

public sealed record BankAccountRequest(string? BankCode, string? BranchCode, string? AccountType, string? AccountNumber, string? HolderKana);

public sealed record WithdrawalRequest(long Points);

public sealed record TransitionRequest(string? Reason);

public sealed record WithdrawalList(IReadOnlyList<WithdrawalView> Items, string? Continuation);

/// <summary>A request as members and admins see it: amounts, status, the steps so far, the bank account masked.</summary>
public sealed record WithdrawalView(string WithdrawalId, string MemberId, long Points, long GrossYen, long FeeYen, long TaxYen, long NetYen,
    WithdrawalStatus Status, DateTimeOffset RequestedAt, DateTimeOffset UpdatedAt, string? Reason, MaskedBankAccount? BankAccount)
{
    public static WithdrawalView Of(WithdrawalDocument d) => new(d.WithdrawalId, d.MemberId, d.Points, d.GrossYen, d.FeeYen, d.TaxYen, d.NetYen, d.Status,
        d.RequestedAt, d.UpdatedAt, d.Steps.LastOrDefault(s => s.Reason is not null)?.Reason, d.BankAccount?.Masked);

    public static WithdrawalView Of(WithdrawalListing l) => new(l.Id, l.MemberId, l.Points, l.GrossYen, l.FeeYen, l.TaxYen, l.NetYen, l.Status,
        l.RequestedAt, l.UpdatedAt, l.Reason, null);
}

/// <summary>
/// Cash-outs (F22–F25; api.md "Withdrawals"): members' bank accounts (encrypted, masked), requests that hold the points,
/// the admin's approval, rejection and payment, the list of every request, and Zengin transfer files.
/// </summary>
public sealed class WithdrawalsFeature : Feature
{
    /// <summary>Requests per page of the admin list.</summary>
    public const int ListLimitMax = 200;
    /// <summary>Days one admin list may span.</summary>
    public const int ListDaysMax = 93;
    public const int ReasonLengthMax = 200;

    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<BankDataOptions>(configuration.GetSection("BankData"));
        services.AddSingleton<BankDataProtector>();
        services.AddSingleton<BankAccounts>();
        services.AddOutboxHandler<RecordWithdrawal, WithdrawalRecords>("withdrawal-record");
        services.AddSingleton<ZenginTransfers>();
        services.AddSingleton<WithdrawalExports>();
        services.AddSingleton<WithdrawalImport>();
    }

    public override void MapFunctions(WebApplication app)
    {
        app.MapTimerFunction<WithdrawalExports>(WithdrawalExports.FunctionName, (exports, _, cancellationToken) => exports.RunDailyAsync(cancellationToken));
        Imports.ImportsFeature.MapImport<WithdrawalImport>(app, WithdrawalImport.FunctionName);
    }

    public override IEnumerable<RejectionProblem> Rejections =>
    [
        new(WithdrawalRejection.WithdrawalsDisabled, new("withdrawals_disabled", 422, "The program does not offer withdrawals.")),
        new(WithdrawalRejection.BelowMinimum, Problems.BelowMinimum),
        new(WithdrawalRejection.NetNotPositive, new("net_not_positive", 422, "The fee and tax would take the whole amount.")),
        new(WithdrawalRejection.UnderAge, new("under_age", 422, "The member is under the age limit for withdrawals.")),
        new(WithdrawalRejection.NoBankAccount, new("no_bank_account", 422, "The member has no bank account on file.")),
        new(WithdrawalRejection.MonthlyLimitReached, new("monthly_limit_reached", 422, "The member made as many withdrawal requests as allowed this month.")),
        new(WithdrawalRejection.InvalidState, new("invalid_state", 409, "The withdrawal's state does not allow this.")),
        new(WithdrawalRejection.WithdrawalNotFound, new("withdrawal_not_found", 404, "The member has no such withdrawal.")),
    ];

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapPut("/v1/members/{memberId}/bank-account", PutBankAccount).RequireScope(Scopes.MembersWrite)
            .Describe("setBankAccount", ApiTags.Members, "Set the member's bank account for withdrawals",
                "Stores the account encrypted (the holder's name is narrowed to half-width katakana) and answers it masked: the number's last four digits only.")
            .TakesJson<BankAccountRequest>()
            .Produces<MaskedBankAccount>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound);
        api.MapGet("/v1/members/{memberId}/bank-account", GetBankAccount).RequireScope(Scopes.MembersRead)
            .Describe("getBankAccount", ApiTags.Members, "Read the member's bank account, masked", "The account on file, with the number's last four digits only.")
            .Produces<MaskedBankAccount>()
            .Refuses(Problems.InvalidRequest, Problems.NotFound);
        api.MapDelete("/v1/members/{memberId}/bank-account", DeleteBankAccount).RequireScope(Scopes.MembersWrite)
            .Describe("deleteBankAccount", ApiTags.Members, "Remove the member's bank account",
                "Removes the account on file. Requests made before keep the account they were made to.")
            .Produces(204)
            .Refuses(Problems.InvalidRequest, Problems.NotFound);
        api.MapPost("/v1/members/{memberId}/withdrawals", Request).RequireScope(Scopes.MembersWrite)
            .Describe("requestWithdrawal", ApiTags.Members, "Request a withdrawal of points to the bank account",
                "Checks, in this order: withdrawals offered, the minimum, that the fee and tax leave something, the age limit (Japanese age rule), "
                + "a bank account on file, the monthly limit, the withdrawable points (regular and special by default, never purchased). "
                + "The points are held at once; the answer gives gross, fee, withholding tax and net yen.")
            .RequiresIdempotencyKey()
            .TakesJson<WithdrawalRequest>()
            .Produces<WithdrawalResponse>(201)
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound)
            .Refuses(WithdrawalRejection.WithdrawalsDisabled, WithdrawalRejection.BelowMinimum, WithdrawalRejection.NetNotPositive,
                WithdrawalRejection.UnderAge, WithdrawalRejection.NoBankAccount, WithdrawalRejection.MonthlyLimitReached,
                Points.Domain.Ledger.LedgerRejection.InsufficientPoints);
        api.MapGet("/v1/members/{memberId}/withdrawals", ListOfMember).RequireScope(Scopes.MembersRead)
            .Describe("listMemberWithdrawals", ApiTags.Members, "List the member's withdrawals, newest first", "Every request of the member with its status and amounts.")
            .Produces<WithdrawalList>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound);
        api.MapPost("/v1/members/{memberId}/withdrawals/{withdrawalId}/cancel", Cancel).RequireScope(Scopes.MembersWrite)
            .Describe("cancelWithdrawal", ApiTags.Members, "Cancel a withdrawal waiting for approval",
                "Gives the held points back to the same lots (one that expired meanwhile expires at once). Only a requested withdrawal can be canceled.")
            .RequiresIdempotencyKey()
            .Produces<WithdrawalResponse>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound)
            .Refuses(WithdrawalRejection.InvalidState, WithdrawalRejection.WithdrawalNotFound);
        foreach (var (action, operation, summary) in new[]
        {
            ("approve", "approveWithdrawal", "Approve a withdrawal: the held points leave the member"),
            ("reject", "rejectWithdrawal", "Reject a withdrawal: the held points go back to the member"),
            ("paid", "markWithdrawalPaid", "Mark an approved withdrawal paid"),
        })
        {
            api.MapPost($"/v1/admin/withdrawals/{{memberId}}/{{withdrawalId}}/{action}", (string memberId, string withdrawalId, HttpContext http, MemberLedger ledger) =>
                    Transition(action, memberId, withdrawalId, http, ledger))
                .RequireScope(Scopes.Admin)
                .Describe(operation, ApiTags.Admin, summary,
                    "Requested → approved → paid; requested → rejected (optional `reason`). Repeating a transition that happened answers it again; "
                    + "any other move is 409 `invalid_state`.")
                .RequiresIdempotencyKey()
                .TakesJson<TransitionRequest>()
                .Produces<WithdrawalResponse>()
                .Refuses(Problems.InvalidRequest, Problems.MemberNotFound)
                .Refuses(WithdrawalRejection.InvalidState, WithdrawalRejection.WithdrawalNotFound);
        }
        api.MapGet("/v1/admin/withdrawals", ListAll).RequireScope(Scopes.Admin)
            .Describe("listWithdrawals", ApiTags.Admin, "List withdrawal requests across members, newest first",
                $"Requests made from `from` to `to` (program-zone dates, inclusive; at most {ListDaysMax} days; default the last 31), optionally of one "
                + $"`status`, `limit` per page (default 50, at most {ListLimitMax}); pass `continuation` for the next page.")
            .QueryIs("limit", Microsoft.OpenApi.JsonSchemaType.Integer, "int32")
            .QueryIs("from", Microsoft.OpenApi.JsonSchemaType.String, "date")
            .QueryIs("to", Microsoft.OpenApi.JsonSchemaType.String, "date")
            .Produces<WithdrawalList>()
            .Refuses(Problems.InvalidRequest);
        api.MapPost("/v1/admin/withdrawals/transfer-files", CreateTransferFile).RequireScope(Scopes.Admin)
            .Describe("createTransferFile", ApiTags.Admin, "Write a Zengin transfer file of the approved withdrawals",
                "Writes a 総合振込 file (120-byte records, Shift_JIS) for every approved, unpaid withdrawal to `exports/zengin/`, for the "
                + "transfer day given, and answers its id, blob name, count and total. Mark its withdrawals paid with the file's `paid` call.")
            .RequiresIdempotencyKey()
            .TakesJson<TransferFileRequest>()
            .Produces<TransferFile>(201)
            .Refuses(Problems.InvalidRequest);
        api.MapPost("/v1/admin/withdrawals/transfer-files/{fileId}/paid", MarkFilePaid).RequireScope(Scopes.Admin)
            .Describe("markTransferFilePaid", ApiTags.Admin, "Mark every withdrawal of a transfer file paid",
                "After the bank executed the file: each of its withdrawals becomes paid (those paid already stay so).")
            .RequiresIdempotencyKey()
            .Produces<TransferFile>()
            .Refuses(Problems.InvalidRequest, Problems.NotFound);
        api.MapPost("/v1/admin/withdrawals/exports", Export).RequireScope(Scopes.Admin)
            .Describe("exportWithdrawals", ApiTags.Admin, "Export a day's approved withdrawals as CSV",
                "Writes `exports/withdrawals/{date}.csv` (UTF-8 with BOM, or `{date}.shift_jis.csv` with `encoding: shift_jis`) of the requests "
                + "approved on `date` (program zone), bank accounts in full, and answers its blob name and row count. The same file is written daily for the day before.")
            .RequiresIdempotencyKey()
            .TakesJson<WithdrawalExportRequest>()
            .Produces<WithdrawalExport>(201)
            .Refuses(Problems.InvalidRequest);
        api.MapPost("/v1/admin/bank-accounts/re-encrypt", ReEncrypt).RequireScope(Scopes.Admin)
            .Describe("reEncryptBankAccounts", ApiTags.Admin, "Re-encrypt bank accounts under the current key (one page)",
                $"For a key rotation: re-encrypts up to {BankAccounts.ReEncryptPageMax} accounts sealed under an older key; call again with the answered "
                + "`continuation` until it is null, then remove the old key.")
            .RequiresIdempotencyKey()
            .Produces<ReEncrypted>()
            .Refuses(Problems.InvalidRequest);
    }

    public sealed record ReEncrypted(int Accounts, string? Continuation);

    private static async Task<IResult> PutBankAccount(string memberId, HttpContext http, BankAccounts accounts, LedgerStore members)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<BankAccountRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        if (!BankAccount.TryCreate(request!.BankCode, request.BranchCode, request.AccountType, request.AccountNumber, request.HolderKana, out var account, out var errors))
            return Problems.Invalid("The bank account is invalid.", errors);
        if ((await members.ReadAccountAsync(id, http.RequestAborted)).Account is null) return Problems.For(Problems.MemberNotFound);
        return Results.Json(await accounts.SaveAsync(id, account!, http.RequestAborted), JsonDefaults.Options);
    }

    private static async Task<IResult> GetBankAccount(string memberId, HttpContext http, BankAccounts accounts)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        return await accounts.ReadAsync(id, http.RequestAborted) is { } stored
            ? Results.Json(stored.Masked, JsonDefaults.Options)
            : Problems.For(Problems.NotFound, "The member has no bank account on file.");
    }

    private static async Task<IResult> DeleteBankAccount(string memberId, HttpContext http, BankAccounts accounts)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        return await accounts.DeleteAsync(id, http.RequestAborted) ? Results.NoContent() : Problems.For(Problems.NotFound, "The member has no bank account on file.");
    }

    private static async Task<IResult> Request(string memberId, HttpContext http, MemberLedger ledger, BankAccounts accounts, ProgramSettingsStore settingsStore)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (!RequestReader.TryIdempotencyKey(http, out var key, out problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<WithdrawalRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        if (request!.Points is < 1 or > PointAmount.PerRequestMax) return Problems.Invalid("points", $"Must be 1..{PointAmount.PerRequestMax}.");

        var settings = await settingsStore.GetAsync(http.RequestAborted);
        var bank = await accounts.ReadAsync(id, http.RequestAborted);
        var command = new RequestWithdrawal(NewWithdrawalId(), request.Points, bank is null ? null : new BankAccountOnFile(BankAccountReference.Of(bank)));
        var policy = settings.Withdrawals.ToPolicy();
        var result = await ledger.ExecuteAsync(id, new MemberOperation(http.CallerName(), key, RequestReader.HashOf("POST", http.Request.Path, request),
            input => WithdrawalDecider.Request(input.Member, command, policy, settings.YenPerPoint, input.Context)));
        return result.ToHttp(http, StatusCodes.Status201Created);
    }

    /// <summary>20 characters of the Zengin set, so the id itself can travel in the transfer's EDI field.</summary>
    private static string NewWithdrawalId() => "W" + Guid.CreateVersion7().ToString("N")[..19].ToUpperInvariant();

    private static async Task<IResult> ListOfMember(string memberId, HttpContext http, WithdrawalRecords records, LedgerStore members)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if ((await members.ReadAccountAsync(id, http.RequestAborted)).Account is null) return Problems.For(Problems.MemberNotFound);
        return Results.Json(new WithdrawalList([.. (await records.OfMemberAsync(id, http.RequestAborted)).Select(WithdrawalView.Of)], null), JsonDefaults.Options);
    }

    private static async Task<IResult> Cancel(string memberId, string withdrawalId, HttpContext http, MemberLedger ledger)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (!RequestReader.TryIdempotencyKey(http, out var key, out problem)) return problem!;
        if (!RequestReader.IsWellFormedId(withdrawalId)) return RequestReader.InvalidId("withdrawalId");
        var result = await ledger.ExecuteAsync(id, new MemberOperation(http.CallerName(), key, RequestReader.HashOf("POST", http.Request.Path, new { withdrawalId }),
            input => WithdrawalDecider.Cancel(input.Member, withdrawalId, input.Context)));
        return result.ToHttp(http, StatusCodes.Status200OK);
    }

    private static async Task<IResult> Transition(string action, string memberId, string withdrawalId, HttpContext http, MemberLedger ledger)
    {
        if (!RequestReader.TryMemberId(memberId, out var id, out var problem)) return problem!;
        if (!RequestReader.TryIdempotencyKey(http, out var key, out problem)) return problem!;
        if (!RequestReader.IsWellFormedId(withdrawalId)) return RequestReader.InvalidId("withdrawalId");
        var request = http.Request.ContentLength is > 0 ? (await RequestReader.ReadBodyAsync<TransitionRequest>(http)) : (new TransitionRequest(null), null);
        if (request.Item2 is { } bodyProblem) return bodyProblem;
        var reason = request.Item1!.Reason?.Trim();
        if (reason is { Length: 0 or > ReasonLengthMax } || reason?.Any(char.IsControl) == true)
            return Problems.Invalid("reason", $"1–{ReasonLengthMax} characters without control characters, or leave it out.");
        var result = await ledger.ExecuteAsync(id, new MemberOperation(http.CallerName(), key,
            RequestReader.HashOf("POST", http.Request.Path, new { withdrawalId, reason }), TransitionOf(action, withdrawalId, reason)));
        return result.ToHttp(http, StatusCodes.Status200OK);
    }

    /// <summary>The admin's move of a request (<c>approve</c>, <c>reject</c>, <c>paid</c>), as the API and the bulk file make it.</summary>
    public static Func<MemberOperationInput, Points.Domain.Members.MemberDecision> TransitionOf(string action, string withdrawalId, string? reason) => action switch
    {
        "approve" => input => WithdrawalDecider.Approve(input.Member, withdrawalId, input.Context),
        "reject" => input => WithdrawalDecider.Reject(input.Member, withdrawalId, reason, input.Context),
        "paid" => input => WithdrawalDecider.MarkPaid(input.Member, withdrawalId, input.Context),
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "approve, reject or paid: the routes and the file reader let no other through."),
    };

    private static async Task<IResult> ListAll(string? status, string? from, string? to, string? limit, string? continuation, HttpContext http,
        WithdrawalRecords records, ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        var today = (await settingsStore.GetAsync(http.RequestAborted)).DateOf(clock.GetUtcNow());
        var errors = new Dictionary<string, string[]>();
        WithdrawalStatus? wanted = null;
        if (status is not null)
        {
            if (Enum.TryParse<WithdrawalStatus>(status, ignoreCase: true, out var parsed) && !int.TryParse(status, out _)) wanted = parsed;
            else errors["status"] = ["requested, approved, paid, rejected or canceled."];
        }
        var last = ParseDay(to, today, "to", errors);
        var first = ParseDay(from, last.AddDays(-30), "from", errors);
        if (first > last || last.DayNumber - first.DayNumber >= ListDaysMax) errors["from"] = [$"On or before `to`, at most {ListDaysMax} days before it."];
        var pageSize = 50;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > ListLimitMax))
            errors["limit"] = [$"1..{ListLimitMax}."];
        var (day, skip) = (last, 0);
        if (continuation is not null)
        {
            var parts = continuation.Split(':');
            if (parts.Length != 2 || !DateOnly.TryParseExact(parts[0], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out day)
                || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out skip) || day < first || day > last)
                errors["continuation"] = ["As answered by the previous page, with the same from and to."];
        }
        if (errors.Count > 0) return Problems.Invalid("Some parameters are invalid.", errors);

        return Results.Json(await PageAsync(records, wanted, first, day, skip, pageSize, http.RequestAborted), JsonDefaults.Options);
    }

    /// <summary>
    /// One page of the requests made from <paramref name="day"/> back to <paramref name="first"/>, newest first, after
    /// skipping <paramref name="skip"/> of that day's (the API's list and the console's).
    /// </summary>
    public static async Task<WithdrawalList> PageAsync(WithdrawalRecords records, WithdrawalStatus? wanted, DateOnly first, DateOnly day, int skip, int pageSize,
        CancellationToken cancellationToken)
    {
        var items = new List<WithdrawalView>(pageSize);
        string? next = null;
        for (; day >= first && next is null; day = day.AddDays(-1), skip = 0)
        {
            var listings = (await records.ListAsync(WithdrawalRecords.DayList(day), wanted, cancellationToken))
                .OrderByDescending(l => l.RequestedAt).ThenBy(l => l.Id, StringComparer.Ordinal).Skip(skip).ToList();
            var taken = listings.Take(pageSize - items.Count).ToList();
            items.AddRange(taken.Select(WithdrawalView.Of));
            if (items.Count == pageSize) next = taken.Count < listings.Count ? $"{CalendarText.DayOf(day)}:{skip + taken.Count}" : day > first ? $"{CalendarText.DayOf(day.AddDays(-1))}:0" : null;
            if (items.Count == pageSize) break;
        }
        return new WithdrawalList(items, next);
    }

    private static DateOnly ParseDay(string? text, DateOnly fallback, string field, Dictionary<string, string[]> errors)
    {
        if (text is null) return fallback;
        if (CalendarText.TryParseDay(text) is { } day) return day;
        errors[field] = ["A date yyyy-MM-dd."];
        return fallback;
    }

    private static async Task<IResult> CreateTransferFile(HttpContext http, ZenginTransfers transfers, ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        if (!RequestReader.TryIdempotencyKey(http, out var key, out var problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<TransferFileRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        var settings = await settingsStore.GetAsync(http.RequestAborted);
        if (settings.Withdrawals.ToConsignor() is not { } consignor)
            return Problems.Invalid("withdrawals.consignor", "Set the paying company's account (withdrawals.consignor) in the settings first.");
        var today = settings.DateOf(clock.GetUtcNow());
        if (request!.TransferOn is not { } transferOn || transferOn < today || transferOn > today.AddDays(31))
            return Problems.Invalid("transferOn", "The transfer day: today or within the next 31 days.");
        var file = await transfers.CreateAsync(key, consignor, transferOn, http.RequestAborted);
        if (file.Replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
        return Results.Json(file.File, JsonDefaults.Options, statusCode: 201);
    }

    private static async Task<IResult> MarkFilePaid(string fileId, HttpContext http, ZenginTransfers transfers)
    {
        if (!RequestReader.TryIdempotencyKey(http, out _, out var problem)) return problem!;
        if (!RequestReader.IsWellFormedId(fileId)) return RequestReader.InvalidId("fileId");
        return await transfers.MarkPaidAsync(fileId, http.CallerName(), http.RequestAborted) is { } file
            ? Results.Json(file, JsonDefaults.Options)
            : Problems.For(Problems.NotFound, $"There is no transfer file '{fileId}'.");
    }

    private static async Task<IResult> Export(HttpContext http, WithdrawalExports exports, ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        if (!RequestReader.TryIdempotencyKey(http, out _, out var problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<WithdrawalExportRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        var today = (await settingsStore.GetAsync(http.RequestAborted)).DateOf(clock.GetUtcNow());
        if (request!.Date is not { } day || day > today || day < today.AddYears(-1)) return Problems.Invalid("date", "A day of the last year, yyyy-MM-dd.");
        var export = await exports.WriteAsync(day, request.Encoding ?? Imports.Csv.CsvOutputEncoding.Utf8Bom, http.RequestAborted);
        return Results.Json(export, JsonDefaults.Options, statusCode: 201);
    }

    private static async Task<IResult> ReEncrypt(string? continuation, HttpContext http, BankAccounts accounts)
    {
        if (!RequestReader.TryIdempotencyKey(http, out _, out var problem)) return problem!;
        var (count, next) = await accounts.ReEncryptPageAsync(continuation, http.RequestAborted);
        return Results.Json(new ReEncrypted(count, next), JsonDefaults.Options);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Points.Domain.Primitives;
using Points.Functions.Catalog;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Ranks;
using Points.Functions.Storage;

namespace Points.Tools.FaultHarness;

/// <summary>What one seed's run did and found.</summary>
/// <param name="Trace">What the run sent and got, step by step, and the faults drawn (kept when asked for, to study a replay).</param>
/// <param name="Notes">What the run did or met, counted (which paths the faults drove it down).</param>
public sealed record SeedResult(int Seed, int Repeat, int Operations, long Requests, FaultCounts Faults, IReadOnlyList<string> Violations, TimeSpan Duration,
    IReadOnlyDictionary<string, long> Notes, string? Trace = null);

/// <summary>The answers one step got, and what became of it.</summary>
internal sealed class StepRecord(Step step)
{
    public Step Step { get; } = step;
    public List<Answer> Answers { get; } = [];
    /// <summary>Not sent: what it reverses was refused.</summary>
    public bool Skipped { get; set; }

    public Answer? Success => Answers.FirstOrDefault(a => a.IsSuccess);
    public Answer? Refusal => Answers.LastOrDefault(a => a.Status is >= 400 and < 500);
    public bool IsResolved => Skipped || Answers.Any(a => a.IsDefinitive);
}

internal sealed class MemberRecord(MemberScript script)
{
    public MemberScript Script { get; } = script;
    public string Id => Script.MemberId;
    public List<Answer> Answers { get; } = [];
    public bool Registered => Answers.Any(a => a.IsSuccess);
    /// <summary>The referral code sent with the registration, if any (member 0's).</summary>
    public string? ReferredByCode { get; set; }
    /// <summary>The registration request, fixed at its first attempt.</summary>
    public Dictionary<string, object?>? Body { get; set; }
}

/// <summary>
/// One seed's run: the workload under faults (<see cref="SeedScript"/>), then with the run's faults off every request
/// not answered definitively is sent again, the outbox is given time to finish, and the invariants are checked
/// (<see cref="Invariants"/>).
/// </summary>
internal sealed class SeedRun
{
    /// <summary>How long outbox items may take to be carried out once faults are off (the change feed retries refused batches).</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeZoneInfo ProgramZone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
    /// <summary>Deliveries of one trigger payload while faults are on; a payload still refused then is settled without faults.</summary>
    private const int DeliveriesUnderFaultsMax = 5;
    /// <summary>Longest delay of a concurrent duplicate delivery after the first (a small import takes tens of milliseconds).</summary>
    private const int StaggerMillisecondsMax = 80;

    private readonly HarnessApp _app;
    private readonly SeedScript _script;
    private readonly FaultPlan _plan;
    private readonly Partner _partner;
    private readonly List<string> _violations = [];
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    internal StepRecord[] Steps { get; }
    internal MemberRecord[] Members { get; }
    internal MemberRecord Probe { get; }
    internal List<StepRecord> ProbeSteps { get; } = [];
    internal DateOnly Today { get; private set; }
    internal bool ItemSaved { get; private set; }
    internal List<Answer> ItemAnswers { get; } = [];
    /// <summary>Reads a partner made (member 0's referral code, the probe's balance).</summary>
    internal List<Answer> ReadAnswers { get; } = [];
    internal bool Imported { get; private set; }
    internal LedgerJobShard? Shard { get; private set; }
    internal bool ShardProcessed { get; private set; }
    private bool _shardSent;
    private byte[]? _csv;
    /// <summary>Members' documents as registered: the change feed may deliver an old version again, long after.</summary>
    private readonly Dictionary<string, string?> _earlyVersions = new(StringComparer.Ordinal);
    internal List<Answer> Invocations { get; } = [];

    public SeedRun(HarnessApp app, HttpClient http, SeedScript script)
    {
        (_app, _script, _plan, Http) = (app, script, script.Plan, http);
        _partner = new Partner(http, app.Gate, _plan);
        Steps = [.. script.Steps.Select(s => new StepRecord(s))];
        Members = [.. script.Members.Select(m => new MemberRecord(m))];
        Probe = new MemberRecord(new MemberScript(script.Members.Count, script.ProbeMemberId, 0, false));
    }

    internal SeedScript Script => _script;
    internal HarnessApp App => _app;
    /// <summary>The API, for the checks' reads (faults are off by then).</summary>
    internal HttpClient Http { get; }

    internal void Violation(string what)
    {
        lock (_violations) _violations.Add(what);
    }

    public async Task<SeedResult> RunAsync(bool trace = false)
    {
        _app.Book.Add(_plan);
        try
        {
            Today = ProgramCalendar(_app.Clock.GetUtcNow());
            await WorkloadAsync();
            _plan.Active = false;
            await SettleAsync();
            await DrainAsync();
            await new Invariants(this).CheckAsync();
            await RemoveItemAsync();
        }
        catch (Exception e)
        {
            Violation($"the harness failed: {e}");
        }
        finally
        {
            _plan.Active = false;
            _app.Book.Remove(_plan);
        }
        var operations = Steps.Length + Members.Length + (_script.CsvRows.Count > 0 ? 1 : 0) + (_script.Shard ? 1 : 0) + 1;
        return new SeedResult(_plan.Seed, _plan.Repeat, operations, _partner.Requests, _plan.Injected, [.. _violations], _watch.Elapsed,
            _plan.Notes, trace ? await TraceAsync() : null);
    }

    /// <summary>The run as text: the plan, each request and its answers, each member's history.</summary>
    private async Task<string> TraceAsync()
    {
        var text = new StringBuilder();
        var probabilities = string.Join(", ", FaultPlan.Kinds.Select(k => $"{k} p={_plan.Probability(k):0.###}"));
        text.AppendLine(CultureInfo.InvariantCulture, $"seed {_plan.Seed} run {_plan.Repeat} ({_plan.Token}), today {CalendarText.DayOf(Today)}: {probabilities}, storms up to {_plan.LongestStorm}; injected {_plan.Injected}");
        text.AppendLine(CultureInfo.InvariantCulture, $"item {_script.ItemId}: cost {_script.ItemCost}, stock {_script.ItemStock}, limit {_script.ItemLimit?.ToString(CultureInfo.InvariantCulture) ?? "none"}; answers {string.Join(" ", ItemAnswers)}");
        foreach (var member in Members.Append(Probe))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"member {member.Id} (joined {member.Script.YearsAgo} years ago, referred by {member.ReferredByCode ?? "-"}): {string.Join(" ", member.Answers)}");
        }
        foreach (var step in Steps.Concat(ProbeSteps))
        {
            var answers = string.Join(" ", step.Answers.Select(a => a + (a.Replayed ? " (replay)" : "")));
            var target = step.Step.Target is { } t ? $" of step {t}" : "";
            text.AppendLine(CultureInfo.InvariantCulture, $"step {step.Step.Index} m{step.Step.Member} {step.Step.Kind} {step.Step.Points} key {step.Step.Key} ×{step.Step.Copies}{(step.Step.Concurrently ? " at once" : "")}{target}{(step.Skipped ? " skipped" : "")}: {answers}");
        }
        if (_script.CsvRows.Count > 0) text.AppendLine(CultureInfo.InvariantCulture, $"import {_script.ImportName}: {string.Join("; ", _script.CsvRows.Select(r => $"row {r.Row} m{r.Member} {r.Points}{(r.KeyGiven ? " keyed" : "")}"))}; processed {Imported}");
        if (Shard is not null) text.AppendLine(CultureInfo.InvariantCulture, $"shard {Shard.Period} {Shard.List} [{string.Join(",", Shard.Members)}]: processed {ShardProcessed}");
        text.AppendLine(CultureInfo.InvariantCulture, $"invocations: {string.Join(" ", Invocations)}");
        foreach (var member in Members.Append(Probe))
        {
            var (account, _) = await _app.Storage.ReadAccountAsync(member.Id);
            if (account is null) continue;
            var pages = (await _app.Storage.ReadPagesAsync(member.Id)).Where(p => p.PageNo < account.SealedThrough / Points.Functions.Ledger.LedgerLimits.PageEntries).ToList();
            text.AppendLine(CultureInfo.InvariantCulture, $"history of {member.Id} (balance {account.Ledger.Balance}, {pages.Count} sealed pages, outbox [{string.Join(",", account.Outbox.Select(o => o.Id))}]):");
            foreach (var entry in pages.OrderBy(p => p.PageNo).SelectMany(p => p.Entries).Concat(account.Journal))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {entry.Seq} {entry.Type} {entry.Points} → {entry.BalanceAfter} ref {entry.Reference} reason {entry.Reason}{(entry.Pending ? " pending" : "")}");
            }
        }
        if (await _app.Storage.ReadCatalogItemAsync(_script.ItemId) is { } item) text.AppendLine(CultureInfo.InvariantCulture, $"item taken {item.Taken}, holds [{string.Join(",", item.Holds.Select(h => h.RedemptionId))}]");
        if (await _app.Storage.ReadImportResultAsync(_script.ImportName) is { } result) text.AppendLine("import result:").Append(result);
        return text.ToString();
    }

    private static DateOnly ProgramCalendar(DateTimeOffset now) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, ProgramZone).DateTime);

    // ---- Under faults -------------------------------------------------------------------------------------------

    private async Task WorkloadAsync()
    {
        await SaveItemAsync();
        await RegisterAsync(Members[0]);
        await Task.WhenAll(Members.Skip(1).Select(RegisterAsync));
        foreach (var member in Members.Where(m => m.Registered))
        {
            _earlyVersions[member.Id] = (await _app.Storage.ReadAccountAsync(member.Id)).Raw;
        }
        var work = Members.Where(m => m.Registered).Select(m => RunLaneAsync(m.Script.Index)).ToList();
        if (_script.CsvRows.Count > 0 && _script.CsvRows.All(r => Members[r.Member].Registered)) work.Add(ImportAsync());
        if (_script.Shard && Members.Where(m => m.Script.YearsAgo > 0).All(m => m.Registered)) work.Add(ShardAsync());
        await Task.WhenAll(work);
        await DeliverChangeFeedAgainAsync();
    }

    private async Task SaveItemAsync()
    {
        var answer = await _partner.SendAsync(HttpMethod.Put, $"/api/v1/admin/catalog/{_script.ItemId}",
            new { name = "fault harness item", cost = _script.ItemCost, stock = _script.ItemStock, perMemberLimit = _script.ItemLimit }, null, ItemAnswers);
        ItemSaved = answer.IsSuccess;
    }

    private async Task RegisterAsync(MemberRecord member)
    {
        // A partner retries the same request: the body is fixed at the first attempt (with a referral code only if
        // member 0's was known by then; the member may have been created by an attempt answered 5xx).
        if (member.Body is null)
        {
            member.ReferredByCode = member.Script.Referred ? await ReferralCodeAsync() : null;
            member.Body = new Dictionary<string, object?>();
            if (member.Script.YearsAgo > 0) member.Body["joinedOn"] = CalendarText.DayOf(Today.AddYears(-member.Script.YearsAgo));
            if (member.ReferredByCode is { } code) member.Body["referredByCode"] = code;
        }
        var body = member.Body;
        var copies = _plan.Active ? member.Script.Copies : 1;
        if (copies > 1) _plan.Note("registrations sent twice at once");
        await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => _partner.SendAsync(HttpMethod.Put, $"/api/v1/members/{member.Id}", body, null, member.Answers)));
    }

    /// <summary>Member 0's referral code (read once it is registered), as a partner looks it up to show it.</summary>
    private async Task<string?> ReferralCodeAsync()
    {
        if (!Members[0].Registered) return null;
        var answer = await _partner.SendAsync(HttpMethod.Get, $"/api/v1/members/{Members[0].Id}", null, null, ReadAnswers);
        return answer.IsSuccess ? answer.Json.GetProperty("referralCode").GetString() : null;
    }

    private async Task RunLaneAsync(int member)
    {
        foreach (var step in Steps.Where(s => s.Step.Member == member && !s.IsResolved))
        {
            await RunStepAsync(step);
        }
    }

    private async Task RunStepAsync(StepRecord record)
    {
        var step = record.Step;
        if (step.Kind == StepKind.RedeemCatalog && !ItemSaved) return; // Not offered yet: redeemed once the admin's PUT went through.
        string? reference = null;
        if (step.Kind == StepKind.Reverse)
        {
            var target = Steps[step.Target!.Value];
            if (target.Success is not { } done)
            {
                if (target.IsResolved) record.Skipped = true; // refused: nothing to reverse
                return; // else not answered yet: settled later
            }
            reference = ReferenceOf(target.Step, done);
            if (reference is null)
            {
                record.Skipped = true;
                return;
            }
        }
        var (path, body, key) = RequestOf(step, reference);
        var copies = _plan.Active ? step.Copies : 1;
        Task<Answer> Send() => _partner.SendAsync(HttpMethod.Post, path, body, key, record.Answers);
        if (step.Concurrently)
        {
            await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => Send()));
        }
        else
        {
            for (var copy = 0; copy < copies; copy++) await Send();
        }
    }

    /// <summary>The reference a reversal of <paramref name="target"/> names: the event id, the grant's reference or the redemption id.</summary>
    internal static string? ReferenceOf(Step target, Answer success) => target.Kind switch
    {
        StepKind.Login or StepKind.Purchase or StepKind.Survey => target.Key,
        StepKind.Grant => target.Reference,
        StepKind.Redeem or StepKind.RedeemCatalog => success.Json.GetProperty("redemptionId").GetString(),
        _ => null,
    };

    private (string Path, object Body, string? Key) RequestOf(Step step, string? reference)
    {
        var member = Members[step.Member].Id;
        return step.Kind switch
        {
            StepKind.Login => ("/api/v1/events", new { eventId = step.Key, memberId = member, type = "login" }, null),
            StepKind.Purchase => ("/api/v1/events", new { eventId = step.Key, memberId = member, type = "purchase", amount = step.Points }, null),
            StepKind.Survey => ("/api/v1/events", new { eventId = step.Key, memberId = member, type = "survey" }, null),
            StepKind.Grant => ($"/api/v1/admin/members/{member}/adjustments", new
            {
                points = step.Points,
                kind = step.Special ? "special" : null,
                expiresOn = step.Special ? CalendarText.DayOf(Today.AddDays(step.ExpiresInDays)) : null,
                reason = step.Key,
                reference = step.Reference,
            }, step.Key),
            StepKind.Deduct => ($"/api/v1/admin/members/{member}/adjustments", new { points = -step.Points, reason = step.Key }, step.Key),
            StepKind.Redeem => ($"/api/v1/members/{member}/redemptions", new { points = step.Points, purpose = "order", orderId = step.Key }, step.Key),
            StepKind.RedeemCatalog => ($"/api/v1/members/{member}/redemptions", new { points = _script.ItemCost, purpose = "catalog", catalogItemId = _script.ItemId }, step.Key),
            StepKind.Reverse => ($"/api/v1/members/{member}/reversals", new { reference, points = step.Points > 0 ? step.Points : (long?)null }, step.Key),
            _ => throw new ArgumentOutOfRangeException(nameof(step)),
        };
    }

    /// <summary>The business refusals each kind of request may meet (api.md); any other 4xx is a violation.</summary>
    internal static IReadOnlySet<string> AllowedRefusals(StepKind kind) => kind switch
    {
        StepKind.Deduct or StepKind.Redeem => new HashSet<string> { "insufficient_points", "member_in_debt" },
        StepKind.RedeemCatalog => new HashSet<string> { "insufficient_points", "member_in_debt", "limit_reached", "out_of_stock" },
        StepKind.Reverse => new HashSet<string> { "nothing_to_reverse", "reversal_exceeds_remaining" },
        _ => new HashSet<string>(),
    };

    private static string Trim(string text) => text.Length <= 300 ? text : text[..300] + "…";

    /// <summary>
    /// The CSV import: the file dropped, then the blob trigger's invocation delivered (more than once when the plan
    /// says so, sometimes at once) until one delivery answers 2xx. A delivery may stop mid-file (a process stop).
    /// </summary>
    private async Task ImportAsync()
    {
        if (_csv is null)
        {
            var csv = new StringBuilder("member_id,points,reason,idempotency_key\n");
            foreach (var row in _script.CsvRows)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{Members[row.Member].Id},{row.Points},{CsvReason(row.Row)},{(row.KeyGiven ? $"{_script.Token}-csvk{row.Row}" : "")}\n");
            }
            _csv = Encoding.UTF8.GetBytes(csv.ToString());
            await _app.Storage.UploadImportAsync(_script.ImportName, _csv);
        }
        var payload = JsonSerializer.Serialize(new
        {
            Data = new { blob = Convert.ToBase64String(_csv) }, // the host sends the blob inline; the app streams it by name instead
            Metadata = new { name = JsonSerializer.Serialize(_script.ImportName), sys = new { MethodName = Points.Functions.Imports.AdjustmentImport.FunctionName } },
        });
        Imported = await DeliverAsync("import", Points.Functions.Imports.AdjustmentImport.FunctionName, _ => payload, _plan.ClearStops);
    }

    internal string CsvReason(int row) => $"{_script.Token}-csv{row}";

    /// <summary>
    /// A ledger-jobs shard of the members whose anniversary is today (and sometimes one whose is not), sent through the
    /// app's queue client as the fan-out timer sends it, then delivered as the host does, maybe more than once.
    /// </summary>
    private async Task ShardAsync()
    {
        var members = Members.Where(m => m.Script.YearsAgo > 0 || (_script.ShardIncludesAnOutsider && m.Script.Index == 0)).Select(m => m.Id).Distinct().ToList();
        Shard ??= new LedgerJobShard(GrantAnniversaryPointsJob.FunctionName, CalendarText.DayOf(Today), AnniversaryIndex.ListOf(Today), members);
        var queue = _app.Service<LedgerJobQueue>();
        for (var attempt = 1; !_shardSent && attempt <= (_plan.Active ? DeliveriesUnderFaultsMax : 1); attempt++)
        {
            using var entered = await _app.Gate.EnterAsync();
            try
            {
                await queue.EnqueueAsync(Shard.Job, Shard.Period, Shard.List, [.. Shard.Members.Select(MemberId.Parse)], CancellationToken.None);
                _shardSent = true;
            }
            catch (Exception e) when (_plan.Active && e is Azure.RequestFailedException or IOException)
            {
                // The timer's run failed before it recorded its day: its next run sends the shards again.
            }
        }
        if (!_shardSent)
        {
            if (!_plan.Active) Violation("the ledger-jobs shard could not be sent with faults off");
            return;
        }
        var text = JsonSerializer.Serialize(Shard, JsonDefaults.Options);
        ShardProcessed = await DeliverAsync("shard", LedgerJobProcessor.FunctionName, dequeueCount => JsonSerializer.Serialize(new
        {
            Data = new { shard = JsonSerializer.Serialize(text) },
            Metadata = new
            {
                DequeueCount = dequeueCount.ToString(CultureInfo.InvariantCulture),
                Id = JsonSerializer.Serialize($"{_script.Token}-message"),
                sys = new { MethodName = LedgerJobProcessor.FunctionName },
            },
        }), () => { });
    }

    /// <summary>
    /// Delivers one trigger payload until an invocation answers 2xx: the plan's duplicate deliveries come with the first
    /// (at once or one after the other); a refused delivery comes again, as the host retries it.
    /// </summary>
    private async Task<bool> DeliverAsync(string what, string function, Func<int, string> payload, Action beforeEach)
    {
        var copies = 1;
        if (_plan.Active)
        {
            while (copies < 3 && _plan.Roll(FaultKind.DuplicateDelivery, $"{what} copy {copies}")) copies++;
        }
        var concurrently = _plan.Pick($"{what} at once", 0, 2) == 0;
        var attempts = _plan.Active ? DeliveriesUnderFaultsMax : Partner.AttemptsWithoutFaultsMax;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            beforeEach();
            var deliveries = attempt == 1 ? copies : 1;
            _plan.Note($"{what} deliveries", deliveries);
            List<Answer> answers;
            if (concurrently)
            {
                // Two instances rarely start at the same instant: later copies start a little later.
                answers = [.. await Task.WhenAll(Enumerable.Range(0, deliveries).Select(async n =>
                {
                    if (n > 0) await Task.Delay(_plan.Pick($"{what} copy {n} delay", 0, StaggerMillisecondsMax));
                    return await _partner.InvokeAsync(function, payload(attempt + n));
                }))];
            }
            else
            {
                answers = [];
                for (var n = 0; n < deliveries; n++) answers.Add(await _partner.InvokeAsync(function, payload(attempt + n)));
            }
            lock (Invocations) Invocations.AddRange(answers);
            foreach (var answer in answers.Where(a => !a.IsSuccess && !a.FaultsOn)) Violation($"{function} ({what}): {answer} with faults off — {Trim(answer.Body)}");
            if (answers.Any(a => a.IsSuccess)) return true;
        }
        return false;
    }

    /// <summary>Change-feed batches delivered again: a member's current document posted to DispatchOutbox once more, as the feed may.</summary>
    private async Task DeliverChangeFeedAgainAsync()
    {
        foreach (var member in Members.Where(m => m.Registered))
        {
            if (!_plan.Roll(FaultKind.DuplicateDelivery, $"change feed {member.Id}")) continue;
            var old = _plan.Pick($"change feed {member.Id} version", 0, 2) == 0 && _earlyVersions.GetValueOrDefault(member.Id) is not null;
            var raw = old ? _earlyVersions[member.Id] : (await _app.Storage.ReadAccountAsync(member.Id)).Raw;
            if (raw is null) continue;
            _plan.Note(old ? "change-feed batches of an old version delivered again" : "change-feed batches delivered again");
            var payload = $"{{\"Data\":{{\"documents\":[{raw}]}},\"Metadata\":{{}}}}";
            var answers = await Task.WhenAll(Enumerable.Range(0, 1 + _plan.Pick($"change feed {member.Id} copies", 0, 2))
                .Select(_ => _partner.InvokeAsync(DispatchOutboxFunction.FunctionName, payload)));
            lock (Invocations) Invocations.AddRange(answers);
        }
    }

    // ---- Faults off ---------------------------------------------------------------------------------------------

    /// <summary>Everything not answered definitively under faults is sent again, as a partner keeps retrying.</summary>
    private async Task SettleAsync()
    {
        if (!ItemSaved) await SaveItemAsync();
        if (!Members[0].Registered) await RegisterAsync(Members[0]);
        await Task.WhenAll(Members.Skip(1).Where(m => !m.Registered).Select(RegisterAsync));
        foreach (var member in Members.Where(m => !m.Registered)) Violation($"member {member.Id} could not be registered with faults off");
        // Lanes again, in order: a reversal waits for the step it reverses.
        await Task.WhenAll(Members.Select(m => RunLaneAsync(m.Script.Index)));
        foreach (var step in Steps.Where(s => !s.IsResolved)) Violation($"step {step.Step.Index} ({step.Step.Kind}) has no definitive answer with faults off");
        if (_script.CsvRows.Count > 0 && !Imported) await ImportAsync();
        if (_script.Shard && !ShardProcessed) await ShardAsync();
        if (_script.CsvRows.Count > 0 && !Imported) Violation("the import was never processed with faults off");
        if (_script.Shard && !ShardProcessed) Violation("the ledger-jobs shard was never processed with faults off");
    }

    /// <summary>
    /// Waits until every outbox effect is visible (listings, settled stock holds). Then, if units are still held by
    /// redemptions that never committed (their attempt failed after taking the unit), lets them lapse and has a member
    /// who cannot afford the item try it: the next redemption of an item reclaims lapsed holds (CatalogStore).
    /// </summary>
    private async Task DrainAsync()
    {
        var invariants = new Invariants(this);
        var deadline = DateTime.UtcNow + DrainTimeout;
        while (await invariants.OutboxEffectsMissingAsync() is { Count: > 0 } missing)
        {
            if (DateTime.UtcNow > deadline)
            {
                return; // The checks report what is missing.
            }
            await Task.Delay(100);
        }
        if (ItemSaved && (await _app.Storage.ReadCatalogItemAsync(_script.ItemId))?.Holds.Length is > 0 and var lapsed)
        {
            _plan.Note("stock holds lapsed and reclaimed", lapsed);
            await _app.Gate.AdvanceAsync(CatalogStore.HoldTimeout + TimeSpan.FromMinutes(1));
            await ProbeCatalogAsync();
        }
    }

    /// <summary>The catalog holds at most 200 items: a run's item goes once it is checked, as an admin retires one.</summary>
    private async Task RemoveItemAsync()
    {
        if (!ItemSaved) return;
        var answer = await _partner.SendAsync(HttpMethod.Delete, $"/api/v1/admin/catalog/{_script.ItemId}", null, null, ItemAnswers);
        if (answer.Status != 204) Violation($"DELETE catalog item: {answer} with faults off");
    }

    private async Task ProbeCatalogAsync()
    {
        await RegisterAsync(Probe);
        var summary = await _partner.SendAsync(HttpMethod.Get, $"/api/v1/members/{Probe.Id}", null, null, ReadAnswers);
        var balance = summary.IsSuccess ? summary.Json.GetProperty("balance").GetInt64() : 0;
        if (balance > 0)
        {
            var spend = new StepRecord(new Step(-1, -1, StepKind.Redeem, $"{_script.Token}-probe-spend", balance, 1, false));
            await _partner.SendAsync(HttpMethod.Post, $"/api/v1/members/{Probe.Id}/redemptions",
                new { points = balance, purpose = "order", orderId = spend.Step.Key }, spend.Step.Key, spend.Answers);
            ProbeSteps.Add(spend);
        }
        var probe = new StepRecord(new Step(-2, -1, StepKind.RedeemCatalog, $"{_script.Token}-probe-catalog", 0, 1, false));
        await _partner.SendAsync(HttpMethod.Post, $"/api/v1/members/{Probe.Id}/redemptions",
            new { points = _script.ItemCost, purpose = "catalog", catalogItemId = _script.ItemId }, probe.Step.Key, probe.Answers);
        ProbeSteps.Add(probe);
        if (probe.Success is not null) Violation("the probe member, who cannot afford the item, redeemed it");
    }
}

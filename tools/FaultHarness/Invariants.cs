using System.Globalization;
using System.Text.Json;
using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Domain.Ranks;
using Points.Functions.Ledger;
using Points.Functions.Ranks;

namespace Points.Tools.FaultHarness;

/// <summary>
/// The ledger's invariants after a run, with the run's faults off. Per member: the history (sealed pages and the
/// document's unsealed journal) has consecutive seqs from 1 and its balanceAfter chain adds up; replaying it gives the
/// stored lots, holds, pending points and debt; balance = Σ open lots − debt = Σ points of the history and held = Σ
/// holds, also as the API answers them. Every request answered 2xx was applied exactly once (its entries are there,
/// once; every entry is explained by exactly one request; replays are identical and no refusal follows a success);
/// a refused one left nothing. Every outbox item was carried out, as far as can be seen: the due, anniversary and rank
/// listings exist, no stock hold is left, the units taken equal the units redeemed. The CSV result file matches the
/// ledger row by row; the anniversary shard granted once to those whose anniversary it is.
/// </summary>
internal sealed class Invariants(SeedRun run)
{
    private const string BaseRank = "bronze";
    private static readonly IReadOnlySet<string> NoRefusals = new HashSet<string>();

    private SeedScript Script => run.Script;
    private StorageView Storage => run.App.Storage;

    /// <param name="SealedPages">History pages found up to the account's SealedThrough.</param>
    /// <param name="PreparedPages">Pages past it: written before a commit that then failed (the next one seals them).</param>
    private sealed record MemberState(MemberRecord Record, AccountDocument Account, List<JournalEntry> History, int SealedPages,
        IReadOnlyList<JournalPageDocument> PreparedPages);

    /// <summary>Outbox effects not visible yet (the drain waits for none).</summary>
    public async Task<List<string>> OutboxEffectsMissingAsync()
    {
        var missing = new List<string>();
        var states = await ReadMembersAsync();
        foreach (var state in states) missing.AddRange(await ListingsMissingAsync(state));
        missing.AddRange(await UnsettledHoldsAsync(states));
        return missing;
    }

    private bool _checking;

    public async Task CheckAsync()
    {
        _checking = true;
        JudgeAnswers();
        var states = await ReadMembersAsync();
        foreach (var state in states)
        {
            CheckHistory(state);
            await CheckSummaryAsync(state);
            await CheckHistoryViewAsync(state);
            foreach (var missing in await ListingsMissingAsync(state)) run.Violation($"outbox: {missing}");
        }
        foreach (var unsettled in await UnsettledHoldsAsync(states)) run.Violation($"outbox: {unsettled}");
        await CheckImportAsync();
        CheckAppliedOnce(states);
        await CheckCatalogAsync(states);
        if (run.Shard is not null && !run.ShardProcessed) run.Violation("the ledger-jobs shard was never processed");
    }

    private async Task<List<MemberState>> ReadMembersAsync()
    {
        var states = new List<MemberState>();
        foreach (var record in run.Members.Append(run.Probe))
        {
            var (account, _) = await Storage.ReadAccountAsync(record.Id);
            if (account is null)
            {
                if (record.Registered && _checking) run.Violation($"member {record.Id}: registered (2xx) but no account document");
                continue;
            }
            // Pages up to SealedThrough are history; a page past it was written for a commit that did not happen (yet):
            // it must hold the same entries as the journal (checked in CheckHistory), it is not history twice.
            var pages = (await Storage.ReadPagesAsync(record.Id)).OrderBy(p => p.PageNo).ToList();
            var sealedPages = pages.Where(p => p.PageNo < account.SealedThrough / LedgerLimits.PageEntries).ToList();
            var history = sealedPages.SelectMany(p => p.Entries).Concat(account.Journal).ToList();
            states.Add(new MemberState(record, account, history, sealedPages.Count, [.. pages.Except(sealedPages)]));
        }
        return states;
    }

    // ---- Answers --------------------------------------------------------------------------------------------------

    /// <summary>Only documented refusals as 4xx; nothing but 2xx/4xx once faults are off; replays identical; no refusal after a success.</summary>
    private void JudgeAnswers()
    {
        foreach (var member in run.Members.Append(run.Probe)) Judge($"PUT member {member.Id}", member.Answers, NoRefusals);
        Judge("PUT catalog item", run.ItemAnswers, NoRefusals);
        Judge("GET member", run.ReadAnswers, NoRefusals);
        foreach (var answer in run.Invocations.Where(a => a.Status is >= 400 and < 500)) run.Violation($"a trigger invocation was answered {answer}: {Trim(answer.Body)}");
        foreach (var step in run.Steps.Concat(run.ProbeSteps))
        {
            var what = $"step {step.Step.Index} ({step.Step.Kind}, key {step.Step.Key})";
            Judge(what, step.Answers, SeedRun.AllowedRefusals(step.Step.Kind));
            var successes = step.Answers.Where(a => a.IsSuccess).ToList();
            if (successes.Select(a => a.Body).Distinct(StringComparer.Ordinal).Count() > 1)
                run.Violation($"{what}: 2xx answers differ: {string.Join(" | ", successes.Select(a => a.Body).Distinct(StringComparer.Ordinal))}");
            if (successes.Count > 0)
            {
                var firstSuccess = successes.Min(a => a.ReceivedAt);
                foreach (var late in step.Answers.Where(a => a.Status is >= 400 and < 500 && a.SentAt > firstSuccess))
                    run.Violation($"{what}: {late} for a request sent after it was answered 2xx (a replay was due)");
            }
        }
    }

    private void Judge(string what, List<Answer> answers, IReadOnlySet<string> allowed)
    {
        foreach (var answer in answers)
        {
            if (answer.Status is >= 400 and < 500 && (answer.Code is null || !allowed.Contains(answer.Code)))
                run.Violation($"{what}: unexpected {answer}: {Trim(answer.Body)}");
            if (!answer.FaultsOn && !answer.IsDefinitive)
                run.Violation($"{what}: {answer} with faults off: {Trim(answer.Body)}");
        }
    }

    private static string Trim(string text) => text.Length <= 300 ? text : text[..300] + "…";

    // ---- History and state ----------------------------------------------------------------------------------------

    private void CheckHistory(MemberState state)
    {
        var (id, account, history) = (state.Record.Id, state.Account, state.History);
        run.Script.Plan.Note("history pages sealed", account.SealedThrough / LedgerLimits.PageEntries);
        if (account.IdempotencySpills > 0) run.Script.Plan.Note("members with spilled idempotency records");
        var ledger = account.Ledger;
        for (var i = 0; i < history.Count; i++)
        {
            if (history[i].Seq != i + 1)
            {
                run.Violation($"member {id}: history seq {history[i].Seq} at position {i + 1} (gap or duplicate): {string.Join(",", history.Select(e => e.Seq))}");
                return;
            }
        }
        if (history.Count != ledger.LastSeq) run.Violation($"member {id}: {history.Count} entries in history, last seq {ledger.LastSeq}");
        if (state.SealedPages != account.SealedThrough / LedgerLimits.PageEntries)
            run.Violation($"member {id}: sealed through {account.SealedThrough}, but {state.SealedPages} history pages found");
        foreach (var page in state.PreparedPages)
        {
            var differing = page.Entries.Where(e => e.Seq > history.Count || !Same(e, history[(int)e.Seq - 1])).Select(e => e.Seq).ToList();
            if (differing.Count > 0) run.Violation($"member {id}: page {page.PageNo}, written ahead of its commit, holds entries {string.Join(",", differing)} unlike the journal's");
        }
        static bool Same(JournalEntry a, JournalEntry b) => a.Seq == b.Seq && a.Type == b.Type && a.Points == b.Points && a.BalanceAfter == b.BalanceAfter && a.Reference == b.Reference;
        if (account.Journal.Any(e => e.Seq <= account.SealedThrough)) run.Violation($"member {id}: unsealed journal holds entries up to {account.SealedThrough}, sealed already");

        var balance = PointAmount.Zero;
        var replayed = MemberAccount.Open(account.Member.Id);
        foreach (var entry in history)
        {
            var expected = entry.Type == EntryType.Withdraw || entry.Pending ? balance : balance + entry.Points;
            if (entry.BalanceAfter != expected)
            {
                run.Violation($"member {id}: entry {entry.Seq} ({entry.Type} {entry.Points}) says balance {entry.BalanceAfter}, the chain says {expected}");
                return;
            }
            balance = entry.BalanceAfter;
            try
            {
                replayed = replayed.Evolve(entry);
            }
            catch (InvalidOperationException e)
            {
                run.Violation($"member {id}: replaying the history fails at entry {entry.Seq}: {e.Message}");
                return;
            }
        }
        static string Lots(IEnumerable<Lot> lots) => string.Join(";", lots.OrderBy(l => l.LotId, StringComparer.Ordinal).Select(l => $"{l.LotId}:{l.Kind}:{l.ExpiresOn}:{l.Remaining}"));
        static string Holds(IEnumerable<Hold> holds) => string.Join(";", holds.OrderBy(h => h.HoldId, StringComparer.Ordinal).Select(h => $"{h.HoldId}:{h.Points}"));
        static string Pending(IEnumerable<PendingLot> lots) => string.Join(";", lots.OrderBy(l => l.LotId, StringComparer.Ordinal).Select(l => $"{l.LotId}:{l.ActivatesOn}:{l.Points}"));
        if (Lots(replayed.Lots) != Lots(ledger.Lots)) run.Violation($"member {id}: stored lots [{Lots(ledger.Lots)}] are not what the history gives [{Lots(replayed.Lots)}]");
        if (Holds(replayed.Holds) != Holds(ledger.Holds)) run.Violation($"member {id}: stored holds [{Holds(ledger.Holds)}], history [{Holds(replayed.Holds)}]");
        if (Pending(replayed.Pending) != Pending(ledger.Pending)) run.Violation($"member {id}: stored pending [{Pending(ledger.Pending)}], history [{Pending(replayed.Pending)}]");
        if (replayed.Debt != ledger.Debt) run.Violation($"member {id}: stored debt {ledger.Debt}, history {replayed.Debt}");
        if (replayed.LifetimeEarned != ledger.LifetimeEarned) run.Violation($"member {id}: stored lifetime earned {ledger.LifetimeEarned}, history {replayed.LifetimeEarned}");

        // Reconciliation: Σ open lots − debt = balance = Σ points of the history; held = Σ holds.
        var sum = history.Where(e => e.Type != EntryType.Withdraw && !e.Pending).Sum(e => e.Points.Value);
        if (ledger.InLots.Value - ledger.Debt.Value != sum)
            run.Violation($"member {id}: Σ open lots {ledger.InLots} − debt {ledger.Debt} ≠ Σ points of the history {sum}");
        if (history.Count > 0 && history[^1].BalanceAfter != ledger.Balance)
            run.Violation($"member {id}: balance {ledger.Balance}, last entry's balanceAfter {history[^1].BalanceAfter}");
        if (history.Count > 0 && history[^1].HeldAfter != ledger.Held)
            run.Violation($"member {id}: held {ledger.Held} (Σ holds), last entry's heldAfter {history[^1].HeldAfter}");
        if (account.Outbox.Length > LedgerLimits.OutboxItemsMax) run.Violation($"member {id}: {account.Outbox.Length} outbox items");
    }

    /// <summary>The API's summary agrees with the document.</summary>
    private async Task CheckSummaryAsync(MemberState state)
    {
        var response = await run.Http.GetAsync($"/api/v1/members/{state.Record.Id}");
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            run.Violation($"member {state.Record.Id}: GET summary {(int)response.StatusCode} with faults off: {Trim(text)}");
            return;
        }
        using var summary = JsonDocument.Parse(text);
        var ledger = state.Account.Ledger;
        var (balance, held, debt) = (summary.RootElement.GetProperty("balance").GetInt64(), summary.RootElement.GetProperty("held").GetInt64(),
            summary.RootElement.GetProperty("debt").GetInt64());
        if (balance != ledger.Balance.Value || held != ledger.Held.Value || debt != ledger.Debt.Value)
            run.Violation($"member {state.Record.Id}: the summary says balance {balance} held {held} debt {debt}; the document {ledger.Balance} {ledger.Held} {ledger.Debt}");
    }

    /// <summary>The history as the API pages it, newest first, a few entries per page: the same entries as stored.</summary>
    private async Task CheckHistoryViewAsync(MemberState state)
    {
        const int limit = 7; // Small pages, so that pages of history and sealed pages of the store cross each other.
        var seen = new List<(long Seq, string Type, long Points, long BalanceAfter)>();
        long? before = null;
        do
        {
            var response = await run.Http.GetAsync($"/api/v1/members/{state.Record.Id}/transactions?limit={limit}{(before is { } b ? $"&before={b}" : "")}");
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                run.Violation($"member {state.Record.Id}: GET transactions {(int)response.StatusCode} with faults off: {Trim(text)}");
                return;
            }
            using var page = JsonDocument.Parse(text);
            foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
            {
                seen.Add((item.GetProperty("seq").GetInt64(), item.GetProperty("type").GetString()!, item.GetProperty("points").GetInt64(), item.GetProperty("balanceAfter").GetInt64()));
            }
            before = page.RootElement.GetProperty("next") is { ValueKind: JsonValueKind.Number } next ? next.GetInt64() : null;
        }
        while (before is not null && seen.Count <= state.History.Count);
        var stored = state.History.AsEnumerable().Reverse()
            .Select(e => (e.Seq, JsonNamingPolicy.CamelCase.ConvertName(e.Type.ToString()), e.Points.Value, e.BalanceAfter.Value)).ToList();
        if (!seen.SequenceEqual(stored))
        {
            run.Violation($"member {state.Record.Id}: the history pages the API answers ({string.Join(",", seen.Select(e => e.Seq))}) are not the stored history ({string.Join(",", stored.Select(e => e.Seq))})");
        }
    }

    // ---- Outbox effects -------------------------------------------------------------------------------------------

    private async Task<List<string>> ListingsMissingAsync(MemberState state)
    {
        var (id, member) = (state.Record.Id, state.Account.Member);
        var missing = new List<string>();
        var tomorrow = run.Today.AddDays(1);
        foreach (var lot in member.Ledger.Lots.Where(l => l.ExpiresOn is not null))
        {
            var due = lot.ExpiresOn!.Value.AddDays(1);
            if (!member.Listings.Expiry.Contains(due < tomorrow ? tomorrow : due)) missing.Add($"member {id}: lot {lot.LotId} due {due} is not among the member's listed dates");
        }
        foreach (var pending in member.Ledger.Pending)
        {
            if (!member.Listings.Pending.Contains(pending.ActivatesOn)) missing.Add($"member {id}: pending lot {pending.LotId} activating {pending.ActivatesOn} is not among the member's listed dates");
        }
        foreach (var (kind, dates) in new[] { (DueIndex.Expiry, member.Listings.Expiry), (DueIndex.Pending, member.Listings.Pending) })
        {
            foreach (var date in dates)
            {
                var list = DueIndex.ListOf(kind, date);
                if (!await Storage.IsDueListedAsync(list, id)) missing.Add($"member {id} not listed under {list}");
            }
        }
        var anniversary = AnniversaryIndex.ListOf(member.Profile.JoinedOn);
        if (!await Storage.IsListedAsync(anniversary, id)) missing.Add($"member {id} not listed under {anniversary}");
        if (member.Earning.Rank != BaseRank && !await Storage.IsListedAsync(RankIndex.ListOf(member.Earning.Rank), id))
            missing.Add($"member {id} not listed under {RankIndex.ListOf(member.Earning.Rank)}");
        return missing;
    }

    /// <summary>Stock holds of redemptions that committed: their settlement is an outbox item of that commit.</summary>
    private async Task<List<string>> UnsettledHoldsAsync(List<MemberState> states)
    {
        if (!run.ItemSaved || await Storage.ReadCatalogItemAsync(Script.ItemId) is not { } item) return [];
        var committed = states.SelectMany(s => s.History).Select(e => e.Reference).OfType<string>().ToHashSet(StringComparer.Ordinal);
        return [.. item.Holds.Where(h => committed.Contains(h.RedemptionId)).Select(h => $"stock hold {h.RedemptionId} of a committed redemption not settled")];
    }

    // ---- Applied exactly once ---------------------------------------------------------------------------------------

    private void CheckAppliedOnce(List<MemberState> states)
    {
        var referred = run.Members.Where(m => m.ReferredByCode is not null && m.Registered).Select(m => m.Id).ToList();
        foreach (var state in states)
        {
            var id = state.Record.Id;
            var claims = new Dictionary<long, string>();
            void Claim(IEnumerable<JournalEntry> entries, string by)
            {
                foreach (var entry in entries)
                {
                    if (claims.TryGetValue(entry.Seq, out var other)) run.Violation($"member {id}: entry {entry.Seq} claimed by {other} and by {by}");
                    else claims[entry.Seq] = by;
                }
            }
            List<JournalEntry> Where(Func<JournalEntry, bool> predicate) => [.. state.History.Where(predicate)];
            void ExpectCount(List<JournalEntry> found, int expected, string what)
            {
                if (found.Count != expected) run.Violation($"member {id}: {what}: {found.Count} entries ({string.Join(",", found.Select(e => e.Seq))}), expected {expected}");
                Claim(found, what);
            }

            // Registration and referral triggers: each once.
            ExpectCount(Where(e => e.Type == EntryType.Earn && e.Reference == $"registration:{id}"), 1, "registration points");
            var record = state.Record;
            ExpectCount(Where(e => e.Type == EntryType.Earn && e.Reference == $"referral-welcome:{id}"), record.ReferredByCode is null ? 0 : 1, "referral welcome points");
            foreach (var newcomer in referred)
            {
                ExpectCount(Where(e => e.Type == EntryType.Earn && e.Reference == $"referral:{newcomer}"), id == run.Members[0].Id ? 1 : 0, $"referral points for {newcomer}");
            }

            var steps = id == run.Probe.Id ? run.ProbeSteps : run.Steps.Where(s => s.Step.Member == record.Script.Index).ToList();
            foreach (var step in steps.Where(s => s.Step.Kind != StepKind.Reverse)) CheckStep(state, step, ExpectCount);

            // Reversals: per reference, the points moved by reversal entries = the points the 2xx reversals reported.
            foreach (var group in steps.Where(s => s.Step.Kind == StepKind.Reverse && s.Success is not null).GroupBy(s => ReferenceOf(s)))
            {
                var reported = group.Sum(s => s.Success!.Json.GetProperty("points").GetInt64());
                var found = Where(e => e.Type == EntryType.Reverse && e.Reference == group.Key);
                if (found.Sum(e => e.Points.Value) != reported)
                    run.Violation($"member {id}: reversals of {group.Key} moved {found.Sum(e => e.Points.Value)} points; the 2xx answers of keys {string.Join(",", group.Select(s => s.Step.Key))} reported {reported}");
                if (found.Count > 0 && found[^1].Seq != group.Max(s => s.Success!.Json.GetProperty("seq").GetInt64()))
                    run.Violation($"member {id}: the last reversal entry of {group.Key} is {found[^1].Seq}, no 2xx answer names it");
                Claim(found, $"reversals of {group.Key}");
            }

            // CSV rows: applied or duplicate → one entry; rejected → none.
            foreach (var (row, status) in _importStatuses.Where(r => Script.CsvRows[r.Key - 1].Member == record.Script.Index && id != run.Probe.Id))
            {
                var rowEntries = Where(e => e.Type == EntryType.Adjust && e.Reason == run.CsvReason(row));
                ExpectCount(rowEntries, status is "applied" or "duplicate" ? 1 : 0, $"CSV row {row} ({status})");
                if (rowEntries.Count == 1 && _importBalances.TryGetValue(row, out var balanceAfter) && rowEntries[0].BalanceAfter.Value != balanceAfter)
                    run.Violation($"member {id}: CSV row {row} ({status}) says balance_after {balanceAfter}, its entry {rowEntries[0].Seq} left {rowEntries[0].BalanceAfter}");
            }

            // Anniversary points of the shard.
            if (run.Shard is { } shard)
            {
                var day = CalendarText.ParseDay(shard.Period);
                var due = run.ShardProcessed && shard.Members.Contains(id) && Anniversaries.Falls(state.Account.Profile.JoinedOn, day);
                ExpectCount(Where(e => e.Type == EntryType.Earn && e.Reference == $"anniversary:{day.Year}"), due ? 1 : 0, $"anniversary points {day.Year}");
            }

            foreach (var entry in state.History.Where(e => !claims.ContainsKey(e.Seq) && e.Type is not (EntryType.Expire or EntryType.Activate or EntryType.Extend)))
            {
                run.Violation($"member {id}: entry {entry.Seq} ({entry.Type} {entry.Points}, reference {entry.Reference}, reason {entry.Reason}) was made by no request the partner knows of");
            }
        }
    }

    private string? ReferenceOf(StepRecord reversal)
    {
        var target = run.Steps[reversal.Step.Target!.Value];
        return SeedRun.ReferenceOf(target.Step, target.Success!);
    }

    private void CheckStep(MemberState state, StepRecord step, Action<List<JournalEntry>, int, string> expectCount)
    {
        var key = step.Step.Key;
        var success = step.Success;
        var what = $"step {step.Step.Index} ({step.Step.Kind}, key {key}, {(success is null ? "refused" : "2xx")})";
        if (success is not null) CheckAnsweredBalance(state, step, success, what);
        switch (step.Step.Kind)
        {
            case StepKind.Login or StepKind.Purchase or StepKind.Survey:
            {
                var awarded = success?.Json.GetProperty("awarded").EnumerateArray().Select(a => a.GetProperty("points").GetInt64()).ToList() ?? [];
                var found = state.History.Where(e => e.Type == EntryType.Earn && e.ReversalOf is null && e.Reference == key).ToList();
                expectCount(found, awarded.Count, what);
                if (found.Sum(e => e.Points.Value) != awarded.Sum())
                    Report(state, $"{what}: entries hold {found.Sum(e => e.Points.Value)} points, the answer awarded {awarded.Sum()}");
                if (found.Count > 1 && found[^1].Seq - found[0].Seq != found.Count - 1)
                    Report(state, $"{what}: the awards are not one set of entries ({string.Join(",", found.Select(e => e.Seq))})");
                break;
            }
            case StepKind.Grant or StepKind.Deduct:
            {
                var found = state.History.Where(e => e.Type == EntryType.Adjust && e.Reason == key).ToList();
                expectCount(found, success is null ? 0 : 1, what);
                if (success is not null && found.Count == 1)
                {
                    var points = step.Step.Kind == StepKind.Grant ? step.Step.Points : -step.Step.Points;
                    if (found[0].Points.Value != points || found[0].Seq != success.Json.GetProperty("seq").GetInt64())
                        Report(state, $"{what}: entry {found[0].Seq} of {found[0].Points} points; the answer named {success.Json.GetProperty("seq")} for {points}");
                }
                break;
            }
            case StepKind.Redeem:
            {
                var found = state.History.Where(e => e.Type == EntryType.Spend && e.References.Contains(key)).ToList();
                expectCount(found, success is null ? 0 : 1, what);
                if (success is not null && found.Count == 1 && (found[0].Reference != success.Json.GetProperty("redemptionId").GetString() || found[0].Points.Value != -step.Step.Points))
                    Report(state, $"{what}: entry {found[0].Seq} ({found[0].Reference}, {found[0].Points}) is not the answer's redemption");
                break;
            }
            case StepKind.RedeemCatalog:
            {
                if (success is null) break; // Refused: the count of the item's entries shows nothing was applied (CheckCatalogAsync).
                var redemption = success.Json.GetProperty("redemptionId").GetString();
                expectCount([.. state.History.Where(e => e.Type == EntryType.Spend && e.Reference == redemption)], 1, what);
                break;
            }
        }
        void Report(MemberState s, string message) => run.Violation($"member {s.Record.Id}: {message}");
    }

    /// <summary>The balance a 2xx answer states is the balance right after the entries of that request.</summary>
    private void CheckAnsweredBalance(MemberState state, StepRecord step, Answer success, string what)
    {
        var json = success.Json;
        if (!json.TryGetProperty("balance", out var stated)) return;
        var key = step.Step.Key;
        JournalEntry? last = step.Step.Kind switch
        {
            StepKind.Login or StepKind.Purchase or StepKind.Survey => state.History.LastOrDefault(e => e.Type == EntryType.Earn && e.ReversalOf is null && e.Reference == key),
            StepKind.Grant or StepKind.Deduct => state.History.LastOrDefault(e => e.Type == EntryType.Adjust && e.Reason == key),
            StepKind.Redeem or StepKind.RedeemCatalog => state.History.LastOrDefault(e => e.Type == EntryType.Spend && e.Reference == json.GetProperty("redemptionId").GetString()),
            StepKind.Reverse => state.History.FirstOrDefault(e => e.Seq == json.GetProperty("seq").GetInt64()),
            _ => null,
        };
        if (last is not null && last.BalanceAfter.Value != stated.GetInt64())
            run.Violation($"member {state.Record.Id}: {what}: the answer says balance {stated.GetInt64()}, its entry {last.Seq} left {last.BalanceAfter}");
    }

    // ---- Catalog, import, shard -------------------------------------------------------------------------------------

    private async Task CheckCatalogAsync(List<MemberState> states)
    {
        if (!run.ItemSaved) return;
        var item = await Storage.ReadCatalogItemAsync(Script.ItemId);
        if (item is null)
        {
            run.Violation($"catalog item {Script.ItemId}: saved (2xx) but not stored");
            return;
        }
        var reason = $"catalog item {Script.ItemId}";
        var units = 0;
        foreach (var state in states)
        {
            var spent = state.History.Count(e => e.Type == EntryType.Spend && e.Reason == reason);
            units += spent;
            var redeemed = state.Record.Id == run.Probe.Id ? run.ProbeSteps.Count(s => s.Step.Kind == StepKind.RedeemCatalog && s.Success is not null)
                : run.Steps.Count(s => s.Step.Member == state.Record.Script.Index && s.Step.Kind == StepKind.RedeemCatalog && s.Success is not null);
            if (spent != redeemed) run.Violation($"member {state.Record.Id}: {spent} redemptions of the item in the history, {redeemed} catalog keys answered 2xx");
            if (Script.ItemLimit is { } limit && spent > limit) run.Violation($"member {state.Record.Id}: {spent} units of the item, limit {limit}");
        }
        if (item.Holds.Length > 0) run.Violation($"catalog item: holds left after they lapsed and were reclaimed: {string.Join(",", item.Holds.Select(h => h.RedemptionId))}");
        if (item.Taken != units) run.Violation($"catalog item: {item.Taken} units taken, {units} redeemed");
        if (units > Script.ItemStock) run.Violation($"catalog item: {units} units redeemed of a stock of {Script.ItemStock}");
    }

    private readonly Dictionary<int, string> _importStatuses = [];

    private async Task CheckImportAsync()
    {
        if (Script.CsvRows.Count == 0 || !run.Imported) return;
        var text = await Storage.ReadImportResultAsync(Script.ImportName);
        if (text is null)
        {
            run.Violation("import: processed (2xx) but no result file");
            return;
        }
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => ParseCsvLine(l.TrimEnd('\r'))).ToList();
        if (lines.Count != Script.CsvRows.Count) run.Violation($"import: {lines.Count} result rows for {Script.CsvRows.Count} rows: {Trim(text)}");
        foreach (var cells in lines)
        {
            var row = int.Parse(cells[0], CultureInfo.InvariantCulture);
            var status = cells[3];
            if (status is not ("applied" or "duplicate" or "rejected")) run.Violation($"import: row {row} is {status} ({cells[4]})");
            if (status == "rejected" && cells[4] is not ("insufficient_points" or "member_in_debt")) run.Violation($"import: row {row} rejected as {cells[4]}");
            _importStatuses[row] = status;
            if (status is "applied" or "duplicate") _importBalances[row] = long.Parse(cells[6], CultureInfo.InvariantCulture);
        }
    }

    /// <summary>An applied or duplicate row's balance_after: the balance after the row's own entry (a duplicate replays the first result).</summary>
    private readonly Dictionary<int, long> _importBalances = [];

    /// <summary>One line of the result file (csv.md: RFC 4180 quoting).</summary>
    private static List<string> ParseCsvLine(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(c);
        }
        cells.Add(cell.ToString());
        return cells;
    }
}

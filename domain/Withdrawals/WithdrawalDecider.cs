using System.Collections.Immutable;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;

namespace Points.Domain.Withdrawals;

/// <summary>Why a withdrawal request is refused, in the order checked (domain.md "Withdrawal"; api.md "Withdrawals").</summary>
public enum WithdrawalRejection
{
    WithdrawalsDisabled,
    BelowMinimum,
    /// <summary>The fee and tax take the whole gross: nothing would be paid.</summary>
    NetNotPositive,
    /// <summary>Younger than the age limit on the request date, or no birth date to tell.</summary>
    UnderAge,
    NoBankAccount,
    MonthlyLimitReached,
    /// <summary>A transition the request's state does not allow (cancel after approval, approve a rejected one…).</summary>
    InvalidState,
    /// <summary>No request with that id.</summary>
    WithdrawalNotFound,
}

/// <summary>Where a request is. Requested → approved → paid; requested → rejected; requested → canceled.</summary>
public enum WithdrawalStatus { Requested, Approved, Paid, Rejected, Canceled }

/// <summary>
/// A request the member holds points for, or that is approved and waiting to be paid: what the member document keeps
/// while the request is open. Its full record (bank account, settings version, history) is a document beside the member.
/// </summary>
/// <param name="RequestedOn">Program-zone day of the request: its month is the one it counts in.</param>
public sealed record OpenWithdrawal(string WithdrawalId, PointAmount Points, WithdrawalQuote Quote, WithdrawalStatus Status, DateTimeOffset RequestedAt, DateOnly RequestedOn)
{
    public string Month => CalendarText.MonthOf(RequestedOn);
}

/// <summary>One request counted toward the monthly limit.</summary>
public sealed record WithdrawalCount(string Month, int Requests);

/// <summary>
/// The withdrawal slice of a member: open requests, the ones closed lately (so a repeated or late transition is told
/// apart from an unknown request), and the requests made per month (two months kept). Bounded.
/// </summary>
public sealed record MemberWithdrawals(ImmutableArray<OpenWithdrawal> Open, ImmutableArray<OpenWithdrawal> Closed, ImmutableArray<WithdrawalCount> Months)
{
    /// <summary>Open requests one member may have at once.</summary>
    public const int OpenMax = 20;
    /// <summary>Closed requests kept in the member; older ones are known from their record only.</summary>
    public const int ClosedKept = 20;
    public static readonly MemberWithdrawals None = new([], [], []);

    public OpenWithdrawal? Find(string withdrawalId) =>
        Open.FirstOrDefault(w => w.WithdrawalId == withdrawalId) ?? Closed.FirstOrDefault(w => w.WithdrawalId == withdrawalId);

    public int RequestsIn(string month) => Months.FirstOrDefault(m => m.Month == month)?.Requests ?? 0;

    public MemberWithdrawals Counting(string month, int change) => this with
    {
        Months = [.. Months.Where(m => m.Month != month).Append(new WithdrawalCount(month, RequestsIn(month) + change))
            .OrderByDescending(m => m.Month, StringComparer.Ordinal).Take(2)],
    };
}

/// <summary>What the bank account document says when the request is made (the edge reads it; the number stays encrypted).</summary>
/// <param name="Reference">The bank account document's version: the request pays the account as it was then.</param>
public sealed record BankAccountOnFile(string Reference);

/// <summary>A member's request to cash out <paramref name="Points"/> (api.md POST /members/{id}/withdrawals).</summary>
public sealed record RequestWithdrawal(string WithdrawalId, PointAmount Points, BankAccountOnFile? BankAccount);

/// <summary>What the caller is told of a request, and what every transition answers.</summary>
public sealed record WithdrawalResponse(string WithdrawalId, long Points, long GrossYen, long FeeYen, long TaxYen, long NetYen, WithdrawalStatus Status,
    DateTimeOffset RequestedAt);

/// <summary>
/// The full record of a request, written beside the member after the commit that changes it (outbox): the admin list
/// and the exports read these. <paramref name="Reason"/> is the admin's, for a rejection.
/// </summary>
public sealed record RecordWithdrawal(OpenWithdrawal Request, string? PolicyVersion, string? BankAccountReference, string? Reason, DateTimeOffset At) : OutboxItem
{
    public override string Id => $"withdrawal|{Request.WithdrawalId}|{Request.Status}";
}

/// <summary>Cash-outs (F22–F24): a request holds the points at once; approval debits them, rejection or cancel gives them back.</summary>
public static class WithdrawalDecider
{
    public static MemberDecision Request(Member member, RequestWithdrawal command, WithdrawalPolicy policy, int yenPerPoint, LedgerContext context)
    {
        var quote = WithdrawalQuote.For(command.Points, yenPerPoint, policy);
        if (Check(member, command, policy, quote, context) is { } refusal) return refusal;
        if (member.Withdrawals.Open.Length >= MemberWithdrawals.OpenMax)
            return new MemberDecision.Rejected(WithdrawalRejection.MonthlyLimitReached, $"The member has {MemberWithdrawals.OpenMax} requests open; wait for them to be paid.");
        // Only the kinds the program allows can be withdrawn (never purchased points): checked before the hold so that
        // the refusal says so, in the documented order (more than withdrawable, then debt).
        var withdrawable = member.Ledger.Lots.Where(l => policy.WithdrawableKinds.Contains(l.Kind)).Sum(l => l.Remaining);
        if (command.Points > withdrawable)
            return new MemberDecision.Rejected(LedgerRejection.InsufficientPoints, $"Requested {command.Points} points; {withdrawable} can be withdrawn.");

        var hold = new LedgerCommand.PlaceHold(command.WithdrawalId, command.Points, policy.WithdrawableKinds.ToHashSet())
        {
            Details = new EntryDetails(command.WithdrawalId, [], "withdrawal", null, null),
        };
        var outcome = LedgerDecider.Decide(member.Ledger, hold, context);
        if (outcome is not LedgerOutcome.Accepted held)
        {
            return MemberDecision.Rejected.Of((LedgerOutcome.Rejected)outcome);
        }
        var month = CalendarText.MonthOf(context.Today);
        var request = new OpenWithdrawal(command.WithdrawalId, command.Points, quote, WithdrawalStatus.Requested, context.Now, context.Today);
        var next = member with
        {
            Ledger = held.State,
            Withdrawals = member.Withdrawals.Counting(month, +1) with { Open = member.Withdrawals.Open.Add(request) },
        };
        return new MemberDecision.Accepted(next, held.Entries, Response(request))
        {
            Outbox = [new RecordWithdrawal(request, policy.Version, command.BankAccount?.Reference, null, context.Now)],
        };
    }

    private static MemberDecision.Rejected? Check(Member member, RequestWithdrawal command, WithdrawalPolicy policy, WithdrawalQuote quote, LedgerContext context)
    {
        if (!policy.Enabled) return new(WithdrawalRejection.WithdrawalsDisabled, "Withdrawals are not offered by this program.");
        if (command.Points.Value < policy.MinimumPoints) return new(WithdrawalRejection.BelowMinimum, $"At least {policy.MinimumPoints} points per withdrawal.");
        if (quote.Net <= 0) return new(WithdrawalRejection.NetNotPositive, $"The fee ({quote.Fee} yen) and tax ({quote.Tax} yen) take the whole {quote.Gross} yen.");
        if (policy.AgeLimitYears is { } limit && (member.Profile.BirthDate is not { } born || JapaneseAge.On(born, context.Today) < limit))
            return new(WithdrawalRejection.UnderAge, member.Profile.BirthDate is null
                ? $"Withdrawals need a birth date on file (members of {limit} and over)."
                : $"Withdrawals are for members of {limit} and over.");
        if (command.BankAccount is null) return new(WithdrawalRejection.NoBankAccount, "Register a bank account first.");
        var month = CalendarText.MonthOf(context.Today);
        if (policy.MonthlyRequestsMax is { } max && member.Withdrawals.RequestsIn(month) >= max)
            return new(WithdrawalRejection.MonthlyLimitReached, $"At most {max} withdrawal requests a month.");
        return null;
    }

    /// <summary>The member cancels a request still waiting for approval: the held points go back to the same lots.</summary>
    public static MemberDecision Cancel(Member member, string withdrawalId, LedgerContext context) =>
        Move(member, withdrawalId, WithdrawalStatus.Requested, WithdrawalStatus.Canceled, new LedgerCommand.ReleaseHold(withdrawalId), null, context);

    /// <summary>The admin approves: the held points leave the member for good (a withdraw entry).</summary>
    public static MemberDecision Approve(Member member, string withdrawalId, LedgerContext context) =>
        Move(member, withdrawalId, WithdrawalStatus.Requested, WithdrawalStatus.Approved, new LedgerCommand.SettleHold(withdrawalId), null, context);

    /// <summary>The admin rejects: the held points go back to the same lots (one that expired meanwhile expires at once).</summary>
    public static MemberDecision Reject(Member member, string withdrawalId, string? reason, LedgerContext context) =>
        Move(member, withdrawalId, WithdrawalStatus.Requested, WithdrawalStatus.Rejected, new LedgerCommand.ReleaseHold(withdrawalId), reason, context);

    /// <summary>The admin marks an approved request paid: terminal, nothing moves in the ledger.</summary>
    public static MemberDecision MarkPaid(Member member, string withdrawalId, LedgerContext context) =>
        Move(member, withdrawalId, WithdrawalStatus.Approved, WithdrawalStatus.Paid, null, null, context);

    /// <summary>
    /// One transition. Repeating a transition that happened already answers it again (idempotent); any other move
    /// from a state that does not allow it is <see cref="WithdrawalRejection.InvalidState"/>. A request that left the
    /// member (paid, rejected, canceled) is known to the caller from its record, not from the member.
    /// </summary>
    private static MemberDecision Move(Member member, string withdrawalId, WithdrawalStatus from, WithdrawalStatus to, LedgerCommand? ledgerCommand,
        string? reason, LedgerContext context)
    {
        if (member.Withdrawals.Find(withdrawalId) is not { } open)
            return new MemberDecision.Rejected(WithdrawalRejection.WithdrawalNotFound, $"The member has no withdrawal '{withdrawalId}'.");
        if (open.Status == to) return new MemberDecision.Accepted(member, [], Response(open));
        if (open.Status != from)
            return new MemberDecision.Rejected(WithdrawalRejection.InvalidState, $"Withdrawal '{withdrawalId}' is {open.Status.ToString().ToLowerInvariant()}: it cannot become {to.ToString().ToLowerInvariant()}.");

        var ledger = member.Ledger;
        var entries = ImmutableArray<JournalEntry>.Empty;
        if (ledgerCommand is not null)
        {
            switch (LedgerDecider.Decide(ledger, ledgerCommand with { Details = new EntryDetails(withdrawalId, [], reason ?? $"withdrawal {to.ToString().ToLowerInvariant()}", null, null) }, context))
            {
                case LedgerOutcome.Accepted accepted: (ledger, entries) = (accepted.State, accepted.Entries); break;
                case LedgerOutcome.Rejected rejected: return MemberDecision.Rejected.Of(rejected);
            }
        }
        var moved = open with { Status = to };
        var terminal = to is WithdrawalStatus.Paid or WithdrawalStatus.Rejected or WithdrawalStatus.Canceled;
        var withdrawals = member.Withdrawals with
        {
            Open = terminal ? member.Withdrawals.Open.Remove(open) : member.Withdrawals.Open.Replace(open, moved),
            Closed = terminal ? [.. member.Withdrawals.Closed.Prepend(moved).Take(MemberWithdrawals.ClosedKept)] : member.Withdrawals.Closed,
        };
        if (to is WithdrawalStatus.Rejected or WithdrawalStatus.Canceled)
        {
            withdrawals = withdrawals.Counting(open.Month, -1); // a request that paid nothing does not count toward the limit
        }
        return new MemberDecision.Accepted(member with { Ledger = ledger, Withdrawals = withdrawals }, entries, Response(moved))
        {
            Outbox = [new RecordWithdrawal(moved, null, null, reason, context.Now)],
        };
    }

    public static WithdrawalResponse Response(OpenWithdrawal w) =>
        new(w.WithdrawalId, w.Points.Value, w.Quote.Gross.Value, w.Quote.Fee.Value, w.Quote.Tax.Value, w.Quote.Net, w.Status, w.RequestedAt);
}

using System.Collections.Immutable;
using Points.Domain.Ledger;

namespace Points.Functions.Ledger;

/// <summary>
/// One request against one member: an optional idempotency key with the hash of the request it belongs to, and the
/// decision to take against the member's account document (its ledger, profile and counters).
/// </summary>
/// <param name="Actor">Who asked (API key id, job name), recorded on every entry.</param>
/// <param name="IdempotencyKey">Null for internal operations (e.g. expiry) that are idempotent by nature.</param>
/// <param name="RequestHash">Hash of the canonical request: the same key with another hash is refused.</param>
/// <param name="Decide">Pure: the account and context in, a decision out. May run more than once (conflict retries).</param>
/// <param name="SuccessStatus">HTTP status of an accepted operation.</param>
/// <param name="RelatedReference">For reversals: the reference whose entries the decision needs.</param>
public sealed record MemberOperation(
    string Actor,
    string? IdempotencyKey,
    string RequestHash,
    Func<MemberOperationInput, OperationDecision> Decide,
    int SuccessStatus = 201,
    string? RelatedReference = null)
{
    /// <summary>The common case: one ledger command, decided by <see cref="LedgerDecider"/>.</summary>
    public static MemberOperation ForCommand(string actor, string? idempotencyKey, string requestHash,
        LedgerCommand command, Func<LedgerOutcome.Accepted, object> respond, int successStatus = 201) =>
        new(actor, idempotencyKey, requestHash,
            input => OperationDecision.From(LedgerDecider.Decide(input.Account.Ledger, command, input.Context), input.Account, respond),
            successStatus);
}

/// <param name="Account">The member's account as decided so far in this batch.</param>
/// <param name="Related">Entries recorded under <see cref="MemberOperation.RelatedReference"/>, sealed or not.</param>
/// <param name="Context">Time, program policy and actor.</param>
public sealed record MemberOperationInput(AccountDocument Account, IReadOnlyList<JournalEntry> Related, LedgerContext Context);

/// <summary>What an operation decided: refused with a stable code, or a new account with the entries that explain it.</summary>
public abstract record OperationDecision
{
    private OperationDecision() { }

    public sealed record Rejected(string Code, string Detail) : OperationDecision
    {
        /// <summary>The ledger's refusal, with its stable code.</summary>
        public static Rejected Of(LedgerOutcome.Rejected rejected) => new(rejected.Reason.Code(), rejected.Detail);
    }

    /// <param name="Account">The account after the operation; its ledger must be the ledger after <paramref name="Entries"/>.</param>
    public sealed record Accepted(AccountDocument Account, ImmutableArray<JournalEntry> Entries, object Response) : OperationDecision;

    public static OperationDecision From(LedgerOutcome outcome, AccountDocument account, Func<LedgerOutcome.Accepted, object> respond) => outcome switch
    {
        LedgerOutcome.Rejected r => Rejected.Of(r),
        LedgerOutcome.Accepted a => new Accepted(account with { Ledger = a.State }, a.Entries, respond(a)),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };
}

/// <summary>How an operation ended. Expected outcomes only; failures of storage propagate as exceptions.</summary>
public abstract record OperationResult
{
    private OperationResult() { }

    /// <summary>Applied now; <paramref name="Body"/> is the JSON response, stored for replays when the operation has a key.</summary>
    public sealed record Applied(int Status, string Body, ImmutableArray<JournalEntry> Entries, AccountDocument Account) : OperationResult;

    /// <summary>The key was used before with the same request: the first response, verbatim.</summary>
    public sealed record Replayed(int Status, string Body) : OperationResult;

    public sealed record Rejected(string Code, string Detail) : OperationResult;

    /// <summary>The key was used before with a different request.</summary>
    public sealed record KeyReused : OperationResult;

    public sealed record MemberNotFound : OperationResult;
}

using System.Collections.Immutable;
using System.Text.Json;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Storage;

namespace Points.Functions.Ledger;

/// <summary>
/// One request against one member: who asks, an optional idempotency key with the hash of the request it belongs to,
/// and the decision to take against the member (a domain decider).
/// </summary>
/// <param name="Actor">Who asked (API key id, job name), recorded on every entry.</param>
/// <param name="IdempotencyKey">Null for internal operations (e.g. expiry) that are idempotent by nature.</param>
/// <param name="RequestHash">Hash of the request as parsed: the same key with another hash is refused.</param>
/// <param name="Decide">Pure: the member and context in, a decision out. May run more than once (conflict retries).</param>
public sealed record MemberOperation(string Actor, string? IdempotencyKey, string RequestHash, Func<MemberOperationInput, MemberDecision> Decide)
{
    /// <summary>For reversals: the reference whose entries the decision needs (<see cref="MemberOperationInput.Related"/>).</summary>
    public string? RelatedReference { get; init; }

    /// <summary>Registration: decided (with no member) when the member does not exist, and the document is created.</summary>
    public bool MayCreate { get; init; }

    /// <summary>
    /// A row of a bulk job (every CSV import row: <see cref="Imports.CsvImport"/> commits them): its member is committed
    /// again soon only by the job itself, so a batch of only such operations keeps the member's account in the
    /// <see cref="AccountCache"/>'s small bulk segment (or refreshes it where the cache keeps it already). A file of
    /// 100,000 members would otherwise fill the cache, and the import's memory would grow with the file up to the
    /// cache's bound (bench 3 and 9: peak working set 100k ÷ 20k rows 1.05 without, 1.56 with).
    /// </summary>
    public bool Bulk { get; init; }

    /// <summary>
    /// Answers only from the idempotency record of its key: for a caller that saw the record a moment ago. Should the
    /// record have dropped out of retention since, the operation fails with <see cref="IdempotencyRecordLapsedException"/>.
    /// </summary>
    public bool ReplayOnly { get; init; }

    /// <summary>The common case: one ledger command, decided by <see cref="LedgerDecider"/>.</summary>
    public static MemberOperation ForCommand(string actor, string? idempotencyKey, string requestHash, LedgerCommand command,
        Func<LedgerOutcome.Accepted, object> result) =>
        new(actor, idempotencyKey, requestHash, input => MemberDecision.Of(LedgerDecider.Decide(input.Member.Ledger, command, input.Context), input.Member, result));

    /// <summary>Replays the recorded answer of <paramref name="idempotencyKey"/> (see <see cref="ReplayOnly"/>).</summary>
    public static MemberOperation Replay(string actor, string idempotencyKey, string requestHash) =>
        new(actor, idempotencyKey, requestHash, _ => throw new IdempotencyRecordLapsedException()) { ReplayOnly = true };
}

/// <param name="MemberId">The member the operation is for.</param>
/// <param name="Found">The member as decided so far in this batch; null only for a <see cref="MemberOperation.MayCreate"/> operation on a new member.</param>
/// <param name="Related">Entries recorded under <see cref="MemberOperation.RelatedReference"/>, sealed or not.</param>
/// <param name="Context">Time, program policy and actor.</param>
public sealed record MemberOperationInput(MemberId MemberId, Member? Found, IReadOnlyList<JournalEntry> Related, LedgerContext Context)
{
    public Member Member => Found ?? throw new InvalidOperationException($"Member {MemberId} does not exist; only a registration decides without one.");
}

/// <summary>How an operation ended. Expected outcomes only; failures propagate as exceptions to the operation's caller alone.</summary>
public abstract record OperationResult
{
    private OperationResult() { }

    /// <summary>Applied now: the decider's typed <paramref name="Result"/>, the entries written and the member after the batch's commit.</summary>
    public sealed record Applied(object Result, ImmutableArray<JournalEntry> Entries, Member Member) : OperationResult;

    /// <summary>The key was used before with the same request: the first result, verbatim (JSON).</summary>
    public sealed record Replayed(string Result) : OperationResult
    {
        public T ResultAs<T>() => JsonSerializer.Deserialize<T>(Result, JsonDefaults.Options)
            ?? throw new InvalidOperationException("A recorded result is never null.");
    }

    /// <summary>Refused by the deciding feature, with a reason from its closed set.</summary>
    public sealed record Rejected(Enum Reason, string Detail) : OperationResult;

    /// <summary>The key was used before with a different request.</summary>
    public sealed record KeyReused : OperationResult;

    public sealed record MemberNotFound : OperationResult;

    /// <summary>The operation's decision threw (a bug or a retryable condition): rethrown to its caller, the rest of the batch goes on.</summary>
    internal sealed record Failed(System.Runtime.ExceptionServices.ExceptionDispatchInfo Error) : OperationResult;
}

/// <summary>An idempotency record seen a moment ago dropped out of retention before the replay was decided: retry the request.</summary>
public sealed class IdempotencyRecordLapsedException()
    : Exception("The record of this request expired while it was replayed; retry the request.");

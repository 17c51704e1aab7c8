using Points.Domain.Ledger;

namespace Points.Functions.Ledger;

/// <summary>
/// One request against one member's ledger: an optional idempotency key with the hash of the request it belongs to,
/// the domain command to decide, and how to turn an accepted decision into the response body.
/// </summary>
/// <param name="IdempotencyKey">Null for internal operations (e.g. expiry) that are idempotent by nature.</param>
/// <param name="RequestHash">Hash of the canonical request: the same key with another hash is refused.</param>
/// <param name="Command">Builds the command; receives the entries already recorded under <see cref="RelatedReference"/>.</param>
/// <param name="Respond">The response body of an accepted command (serialized once, replayed verbatim).</param>
/// <param name="SuccessStatus">HTTP status of an accepted command.</param>
/// <param name="RelatedReference">For reversals: the reference whose entries the command needs.</param>
/// <param name="Actor">Who asked (API key id, job name), recorded on every entry.</param>
public sealed record MemberOperation(
    string Actor,
    string? IdempotencyKey,
    string RequestHash,
    Func<IReadOnlyList<JournalEntry>, LedgerCommand> Command,
    Func<LedgerOutcome.Accepted, object> Respond,
    int SuccessStatus = 201,
    string? RelatedReference = null);

/// <summary>How an operation ended. Expected outcomes only; failures of storage propagate as exceptions.</summary>
public abstract record OperationResult
{
    private OperationResult() { }

    /// <summary>Applied now; <paramref name="Body"/> is the JSON response, stored for replays when the operation has a key.</summary>
    public sealed record Applied(int Status, string Body, LedgerOutcome.Accepted Outcome) : OperationResult;

    /// <summary>The key was used before with the same request: the first response, verbatim.</summary>
    public sealed record Replayed(int Status, string Body) : OperationResult;

    public sealed record Rejected(LedgerRejection Reason, string Detail) : OperationResult;

    /// <summary>The key was used before with a different request.</summary>
    public sealed record KeyReused : OperationResult;

    public sealed record MemberNotFound : OperationResult;
}

using Points.Domain.Ledger;
using Points.Domain.Members;

namespace Points.Domain.Adjustments;

/// <summary>
/// A manual grant or deduction by an admin (F10), from the API or a CSV row: positive points credit a lot of
/// <paramref name="Kind"/>, negative points deduct in consumption order. Always carries a reason (audited).
/// </summary>
/// <param name="Points">Non-zero, within ±<see cref="PointsMagnitudeMax"/>.</param>
/// <param name="Reference">Optional: a grant or deduction made under a reference can later be reversed by it.</param>
public sealed record Adjustment(long Points, LotKind Kind, DateOnly? ExpiresOn, string Reason, string? Reference = null)
{
    public const long PointsMagnitudeMax = Primitives.PointAmount.PerRequestMax;
    public const int ReasonLengthMax = 200;

    /// <summary>The adjustment's entry and the balance after it.</summary>
    public sealed record Response(long Seq, long Balance);

    public MemberDecision Decide(Member member, LedgerContext context)
    {
        var command = (Points > 0
            ? new LedgerCommand.Credit(EntryType.Adjust, Points, Kind, ExpiresOn)
            : (LedgerCommand)new LedgerCommand.Debit(EntryType.Adjust, -Points))
            with { Details = new EntryDetails(Reference, [], Reason, null, null) };
        return MemberDecision.Of(LedgerDecider.Decide(member.Ledger, command, context), member,
            accepted => new Response(accepted.Entries.Last(e => e.Type == EntryType.Adjust).Seq, accepted.State.Balance.Value));
    }

    /// <summary>Checks the shape of an adjustment; the ledger decides the rest (expiry rules, balance).</summary>
    public static Dictionary<string, string[]> Validate(long points, string? reason, string? reference = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (reference is { Length: 0 or > EntryDetails.ReferenceLengthMax })
            errors["reference"] = [$"1–{EntryDetails.ReferenceLengthMax} characters when given."];
        // Compared both ways rather than through Math.Abs, which throws for long.MinValue (found by the fuzzer).
        if (points is 0 or > PointsMagnitudeMax or < -PointsMagnitudeMax)
            errors["points"] = [$"Must be a non-zero integer within ±{PointsMagnitudeMax}."];
        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length > ReasonLengthMax)
            errors["reason"] = [$"Required, 1–{ReasonLengthMax} characters."];
        return errors;
    }
}

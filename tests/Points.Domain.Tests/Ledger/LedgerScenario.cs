using Points.Domain.Expiry;
using Points.Domain.Ledger;
using Points.Domain.Primitives;

namespace Points.Domain.Tests.Ledger;

/// <summary>Drives the decider the way the app does: one command at a time, keeping every entry written.</summary>
internal sealed class LedgerScenario
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public MemberAccount State { get; private set; } = MemberAccount.Open(MemberId.Parse("m-1"));
    public List<JournalEntry> Journal { get; } = [];
    public DateOnly Today { get; set; } = new(2026, 11, 23);
    public ExpiryPolicy Policy { get; set; } = new ExpiryPolicy.FixedMonths(12, EndOfMonth: true);

    public ExpiryPolicy PurchasedPolicy { get; set; } = new ExpiryPolicy.None();

    public LedgerContext Context => new(new DateTimeOffset(Today.ToDateTime(new TimeOnly(12, 0)), Jst), Today, Policy, "test") { PurchasedExpiry = PurchasedPolicy };

    public LedgerOutcome Run(LedgerCommand command)
    {
        var outcome = LedgerDecider.Decide(State, command, Context);
        if (outcome is LedgerOutcome.Accepted accepted)
        {
            State = accepted.State;
            Journal.AddRange(accepted.Entries);
        }
        return outcome;
    }

    public IReadOnlyList<JournalEntry> Accept(LedgerCommand command) => Run(command) switch
    {
        LedgerOutcome.Accepted a => a.Entries,
        LedgerOutcome.Rejected r => throw new Xunit.Sdk.XunitException($"Expected acceptance, got {r.Reason}: {r.Detail}"),
        _ => throw new InvalidOperationException(),
    };

    public LedgerRejection Reject(LedgerCommand command) => Run(command) switch
    {
        LedgerOutcome.Rejected r => r.Reason,
        _ => throw new Xunit.Sdk.XunitException("Expected a rejection."),
    };

    public static LedgerCommand.Credit Earn(long points, LotKind kind = LotKind.Regular, DateOnly? expiresOn = null, string? reference = null) =>
        new(EntryType.Earn, points, kind, expiresOn) { Details = new EntryDetails(reference, [], null, null, null) };

    public static LedgerCommand.Debit Spend(long points, string? reference = null) =>
        new(EntryType.Spend, points) { Details = new EntryDetails(reference, [], null, null, null) };

    public LedgerCommand.Reverse Reverse(string reference, long? points = null) =>
        new(reference, points is null ? null : new PointAmount(points.Value),
            Journal.Where(e => e.References.Contains(reference)).ToList())
        { Details = new EntryDetails(reference, [], null, null, null) };

    /// <summary>Adds <paramref name="value"/> to <paramref name="list"/> and answers it (random scripts remember their references).</summary>
    public static string Remember(List<string> list, string value)
    {
        list.Add(value);
        return value;
    }

    /// <summary>Moves <paramref name="ledger"/>'s day on and runs the daily sweep, as the expiry job would.</summary>
    public static LedgerOutcome Advance(LedgerScenario ledger, int days)
    {
        ledger.Today = ledger.Today.AddDays(days);
        return ledger.Run(new LedgerCommand.ExpireDue());
    }

    /// <summary>A lot as "A regular 100 2027-03-31" → (kind, points, expiry) for table-driven tests.</summary>
    public static DateOnly D(string yyyyMmDd) => DateOnly.ParseExact(yyyyMmDd, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    public string LotsText() => string.Join(", ",
        State.Lots.Select(l => $"{l.Kind.ToString().ToLowerInvariant()} {l.Remaining} {(l.ExpiresOn is { } e ? e.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "none")}"));
}

namespace Points.Tools.FaultHarness;

/// <summary>What a partner asks for in one step of a run.</summary>
public enum StepKind
{
    /// <summary>A login event: the <c>fh-login</c> rule (capped per day).</summary>
    Login,
    /// <summary>A purchase event: a rate rule and a fixed bonus (two awards); big ones raise the rank (an outbox listing).</summary>
    Purchase,
    /// <summary>A survey event: pending points (an outbox listing under the activation day).</summary>
    Survey,
    /// <summary>An admin grant, sometimes special points with an expiry, sometimes under a reference (reversible).</summary>
    Grant,
    /// <summary>An admin deduction.</summary>
    Deduct,
    /// <summary>A redemption for an order (the order id is the step's key).</summary>
    Redeem,
    /// <summary>A catalog redemption of the run's item (small stock, a per-member limit).</summary>
    RedeemCatalog,
    /// <summary>A reversal, whole or partial, of an earlier step of the same member.</summary>
    Reverse,
}

/// <summary>
/// One request of a run. <see cref="Copies"/> copies of it are sent with the same Idempotency-Key (at once when
/// <see cref="Concurrently"/>, else one after the other), as a partner that lost track of its first attempt does.
/// </summary>
/// <param name="Target">For <see cref="StepKind.Reverse"/>: the index of the step reversed.</param>
/// <param name="Points">Points asked for (grants, deductions, redemptions, a partial reversal); yen for a purchase.</param>
public sealed record Step(int Index, int Member, StepKind Kind, string Key, long Points, int Copies, bool Concurrently)
{
    public bool Special { get; init; }
    public int ExpiresInDays { get; init; }
    public string? Reference { get; init; }
    public int? Target { get; init; }
}

/// <param name="YearsAgo">Joined this many years ago today (an anniversary today); 0 = joins today.</param>
/// <param name="Referred">Registers with the referral code of member 0.</param>
/// <param name="Copies">Registration requests sent at once (a partner retrying while its first attempt is in flight).</param>
public sealed record MemberScript(int Index, string MemberId, int YearsAgo, bool Referred, int Copies = 1);

public sealed record CsvRowScript(int Row, int Member, long Points, bool KeyGiven);

/// <summary>
/// A run's workload, drawn from the seed's <see cref="Random"/> after its <see cref="FaultPlan"/>: a few members (some
/// referred, some with an anniversary today), a catalog item with small stock, a mix of steps with duplicates, a small
/// CSV import and a ledger-jobs shard of the members whose anniversary is today.
/// </summary>
public sealed record SeedScript(
    FaultPlan Plan,
    IReadOnlyList<MemberScript> Members,
    IReadOnlyList<Step> Steps,
    long ItemCost,
    int ItemStock,
    int? ItemLimit,
    IReadOnlyList<CsvRowScript> CsvRows,
    bool Shard,
    bool ShardIncludesAnOutsider)
{
    public const int MembersMin = 2;
    public const int MembersMax = 4;
    public const int StepsMin = 8;
    public const int StepsMax = 24;
    /// <summary>
    /// A busy member's extra steps: past a history page (16 entries: sealing, reversals of sealed entries) and, with
    /// retries and duplicates, past the 32 idempotency records a document keeps (spilling).
    /// </summary>
    public const int BusyStepsMin = 20;
    public const int BusyStepsMax = 40;
    public const int CsvRowsMax = 5;
    public const int CopiesMax = 3;

    public string Token => Plan.Token;
    public string ItemId => $"{Token}-item";
    public string ImportName => $"{Token}-import.csv";
    public string ProbeMemberId => $"{Token}-probe";

    public static SeedScript Draw(FaultPlan plan, Random random)
    {
        var token = plan.Token;
        var members = Enumerable.Range(0, random.Next(MembersMin, MembersMax + 1))
            .Select(i => new MemberScript(i, $"{token}-m{i}", random.NextDouble() < 0.4 ? random.Next(1, 4) : 0, i > 0 && random.NextDouble() < 0.4,
                random.NextDouble() < 0.2 ? 2 : 1))
            .ToList();

        var steps = new List<Step>();
        var stepCount = random.Next(StepsMin, StepsMax + 1);
        var busy = random.NextDouble() < 0.3 ? random.Next(members.Count) : -1;
        var busySteps = busy < 0 ? 0 : random.Next(BusyStepsMin, BusyStepsMax + 1);
        for (var i = 0; i < stepCount + busySteps; i++)
        {
            var member = i < stepCount ? random.Next(members.Count) : busy;
            var copies = random.NextDouble() switch { < 0.7 => 1, < 0.9 => 2, _ => CopiesMax };
            var concurrently = random.NextDouble() < 0.7;
            var key = $"{token}-k{i}";
            var reversible = steps.Where(s => s.Member == member && s.Kind is StepKind.Login or StepKind.Purchase or StepKind.Survey
                or StepKind.Redeem or StepKind.RedeemCatalog || (s.Member == member && s.Reference is not null)).ToList();
            // A busy member mostly earns small amounts, and reverses its first steps once they are sealed in pages.
            var roll = i < stepCount ? random.Next(100) : random.Next(100) switch { < 30 => 40, < 55 => 60, < 70 => 5, < 80 => 20, var r => r };
            Step step = roll switch
            {
                < 12 => new(i, member, StepKind.Login, key, 0, copies, concurrently),
                < 26 => new(i, member, StepKind.Purchase, key, random.NextDouble() < 0.15 ? random.Next(50_000, 90_000) : random.Next(500, 20_000), copies, concurrently),
                < 32 => new(i, member, StepKind.Survey, key, 0, copies, concurrently),
                < 50 => new(i, member, StepKind.Grant, key, random.Next(10, i < stepCount ? 300 : 60), copies, concurrently)
                {
                    Special = random.NextDouble() < 0.3,
                    ExpiresInDays = random.Next(5, 60),
                    Reference = random.NextDouble() < 0.4 ? $"{token}-ref{i}" : null,
                },
                < 56 => new(i, member, StepKind.Deduct, key, random.Next(10, 200), copies, concurrently),
                < 70 => new(i, member, StepKind.Redeem, key, random.Next(5, i < stepCount ? 150 : 30), copies, concurrently),
                < 84 => new(i, member, StepKind.RedeemCatalog, key, 0, copies, concurrently),
                _ when reversible.Count > 0 => ReversalOf(reversible[random.Next(i < stepCount ? reversible.Count : Math.Min(reversible.Count, 4))], i, key, copies, concurrently, random),
                _ => new(i, member, StepKind.Login, key, 0, copies, concurrently),
            };
            steps.Add(step);
        }

        var csvRows = random.NextDouble() < 0.5
            ? Enumerable.Range(1, random.Next(2, CsvRowsMax + 1))
                .Select(row => new CsvRowScript(row, random.Next(members.Count), random.NextDouble() < 0.2 ? -random.Next(10, 400) : random.Next(10, 200), random.NextDouble() < 0.5))
                .ToList()
            : [];
        // The catalog costs more than a registration grants, so the probe member (checks) is always refused after holding a unit.
        return new SeedScript(plan, members, steps, ItemCost: 150 + 10 * random.Next(6), ItemStock: random.Next(1, 4),
            ItemLimit: random.NextDouble() < 0.5 ? random.Next(1, 3) : null, csvRows,
            Shard: members.Any(m => m.YearsAgo > 0), ShardIncludesAnOutsider: random.NextDouble() < 0.3);
    }

    private static Step ReversalOf(Step target, int index, string key, int copies, bool concurrently, Random random) =>
        new(index, target.Member, StepKind.Reverse, key, random.NextDouble() < 0.4 ? random.Next(1, 50) : 0, copies, concurrently) { Target = target.Index };
}

using BenchmarkDotNet.Attributes;
using Points.Domain.Expiry;
using Points.Domain.Ledger;
using Points.Domain.Primitives;

namespace Points.Benchmarks.Scenarios;

/// <summary>
/// Spending across a member with 1,000 open lots (<see cref="LedgerDecider.Decide"/> with a debit): each lot is
/// 10 special points with its own expiry date (so nothing merges), none due. One benchmark spends 1 point (touches the
/// first lot), the other 5,000 points (empties half of the lots). The decision includes what every command does:
/// expiring due lots before and after, building the entry and evolving the state.
/// </summary>
[MemoryDiagnoser]
public class SpendingBenchmarks
{
    public const int Lots = 1_000;
    public const int PointsPerLot = 10;

    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.FromHours(9));
    private static readonly DateOnly Today = new(2026, 11, 23);

    private MemberAccount _state = null!;
    private LedgerContext _context = null!;
    private LedgerCommand _spendOne = null!;
    private LedgerCommand _spendHalf = null!;

    [GlobalSetup]
    public void Setup()
    {
        _context = new LedgerContext(Now, Today, new ExpiryPolicy.FixedMonths(12, true), "bench");
        _state = WithLots(Lots, _context);
        _spendOne = new LedgerCommand.Debit(EntryType.Spend, 1);
        _spendHalf = new LedgerCommand.Debit(EntryType.Spend, Lots / 2 * PointsPerLot);
    }

    /// <summary>A member credited <paramref name="lots"/> times through the decider, each lot with its own expiry date.</summary>
    public static MemberAccount WithLots(int lots, LedgerContext context)
    {
        var state = MemberAccount.Open(MemberId.Parse("bench-member"));
        for (var i = 0; i < lots; i++)
        {
            var outcome = LedgerDecider.Decide(state,
                new LedgerCommand.Credit(EntryType.Adjust, PointsPerLot, LotKind.Special, context.Today.AddDays(30 + i)), context);
            state = ((LedgerOutcome.Accepted)outcome).State;
        }
        if (state.Lots.Length != lots) throw new InvalidOperationException($"Expected {lots} lots, got {state.Lots.Length}.");
        return state;
    }

    [Benchmark(Description = "spend 1 point, 1,000 open lots")]
    public LedgerOutcome SpendOnePoint() => LedgerDecider.Decide(_state, _spendOne, _context);

    [Benchmark(Description = "spend 5,000 points (500 lots emptied), 1,000 open lots")]
    public LedgerOutcome SpendAcrossHalfTheLots() => LedgerDecider.Decide(_state, _spendHalf, _context);
}

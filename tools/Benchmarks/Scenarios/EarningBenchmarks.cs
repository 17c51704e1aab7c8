using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Points.Domain.Earning;
using Points.Domain.Ledger;

namespace Points.Benchmarks.Scenarios;

/// <summary>
/// Evaluating the earning rules for one event with 50 active rules (<see cref="EarningEngine.Evaluate"/>): a purchase of
/// 12,345 yen by a silver member with tags, 3 active campaigns, and rule counters from earlier events (so caps are
/// looked up and updated). The rules mix fixed and rate formulas, caps per day and month, rank eligibility and special
/// grants; all are active and stackable. Two shapes: all 50 rules on the event's trigger (every rule is evaluated and
/// awards), and the 50 rules spread over 10 triggers (5 apply).
/// </summary>
[MemoryDiagnoser]
public class EarningBenchmarks
{
    public const int ActiveRules = 50;

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, Jst);
    private static readonly DateOnly Today = new(2026, 11, 23);
    private static readonly string[] TriggerSpread =
        ["purchase", "login", "post", "link_click", "video_play", "referral", "inquiry", "survey", "course_completion", "registration"];

    private EarningEvent _event = null!;
    private MemberFacts _member = null!;
    private IReadOnlyList<Campaign> _campaigns = null!;
    private IReadOnlyList<EarningRule> _allOnTrigger = null!;
    private IReadOnlyList<EarningRule> _overTenTriggers = null!;
    private ImmutableArray<RuleCounter> _countersAll;
    private ImmutableArray<RuleCounter> _countersSpread;

    [GlobalSetup]
    public void Setup()
    {
        _event = Purchase("evt-bench", Now, 12_345);
        var silver = RankDefinition.Defaults.Single(r => r.Name == "silver");
        _member = new MemberFacts(silver, silver, ["vip", "newsletter"]);
        _campaigns =
        [
            new Campaign("weekend-x2", 2000, [], [], [DayOfWeek.Saturday, DayOfWeek.Sunday], Now.AddDays(-10), Now.AddDays(10)),
            new Campaign("purchase-x1.5", 1500, ["purchase"], [], [], Now.AddDays(-10), Now.AddDays(10)),
            new Campaign("store-7-x1.2", 1200, [], ["store-7"], [], Now.AddDays(-10), Now.AddDays(10)),
        ];
        _allOnTrigger = Rules(_ => "purchase");
        _overTenTriggers = Rules(i => TriggerSpread[i % TriggerSpread.Length]);
        _countersAll = History(_allOnTrigger);
        _countersSpread = History(_overTenTriggers);
        if (Evaluate(_allOnTrigger, _countersAll).Awards.Length == 0) throw new InvalidOperationException("The benchmark event awards nothing.");
    }

    private static EarningEvent Purchase(string id, DateTimeOffset at, long yen) =>
        new(id, "purchase", at, DateOnly.FromDateTime(at.ToOffset(Jst).DateTime), yen, "store-7", "web");

    private static List<EarningRule> Rules(Func<int, string> trigger) =>
        Enumerable.Range(0, ActiveRules).Select(i => new EarningRule(
            $"rule-{i:D2}", 1, trigger(i),
            i % 2 == 0 ? new EarningFormula.Fixed(10 + i) : new EarningFormula.Rate(100, 1 + i % 3, (Rounding)(i % 3)),
            i % 3 == 0 ? new Caps(new CapLimit(5, 1_000), new CapLimit(null, 20_000), null) : Caps.None,
            i % 5 == 0 ? new Eligibility(["silver", "gold"], [], [], []) : Eligibility.Everyone,
            i % 4 == 0 ? new Grant(LotKind.Special, null, 90) : Grant.Regular,
            Now.AddDays(-30), Now.AddDays(30), Priority: i, Stackable: true, ApplyRankMultiplier: true, ApplyNewRankImmediately: false)).ToList();

    /// <summary>Counters as five earlier purchases over the last days left them.</summary>
    private ImmutableArray<RuleCounter> History(IReadOnlyList<EarningRule> rules)
    {
        var counters = ImmutableArray<RuleCounter>.Empty;
        for (var d = 5; d >= 1; d--)
        {
            var at = Now.AddDays(-d);
            counters = EarningEngine.Evaluate(Purchase($"earlier-{d}", at, 5_000), _member, rules, _campaigns, counters).Counters;
        }
        return counters;
    }

    private EarningResult Evaluate(IReadOnlyList<EarningRule> rules, ImmutableArray<RuleCounter> counters) =>
        EarningEngine.Evaluate(_event, _member, rules, _campaigns, counters);

    [Benchmark(Description = "evaluate 50 active rules, all on the event's trigger")]
    public EarningResult FiftyRulesAllApply() => Evaluate(_allOnTrigger, _countersAll);

    [Benchmark(Description = "evaluate 50 active rules over 10 triggers (5 apply)")]
    public EarningResult FiftyRulesFiveApply() => Evaluate(_overTenTriggers, _countersSpread);
}

using System.Collections.Immutable;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Withdrawals;

namespace Points.Domain.SpecialPoints;

/// <summary>One purchase as the member's purchase history keeps it (program-zone day, yen, distinct SKUs).</summary>
public sealed record PurchaseRecord(string EventId, DateOnly Day, Yen Amount, ImmutableArray<string> Skus);

/// <summary>Record the purchase in the member's purchase history (pages beside the member, one per program-zone month).</summary>
public sealed record RecordPurchase(PurchaseRecord Purchase) : OutboxItem
{
    public override string Id => "purchase|" + Purchase.EventId;
}

/// <summary>What a segment is evaluated over: the member as committed, its purchase history in the span the segment asks about, and today.</summary>
public sealed record MemberSnapshot(Member Member, IReadOnlyList<PurchaseRecord> Purchases, DateOnly Today);

/// <summary>
/// Who a special points campaign targets (F26): a tree of conditions on purchases and member information, combined
/// with <see cref="And"/>, <see cref="Or"/> and <see cref="Not"/> to any depth, at most <see cref="NodesMax"/> nodes.
/// Purchase periods are program-zone days, both ends inclusive; a missing end is open. Evaluation is pure.
/// </summary>
public abstract record Segment
{
    private Segment() { }

    public const int NodesMax = 64;
    public const int SkusMax = 50;

    /// <summary>Every member.</summary>
    public sealed record All : Segment;

    /// <summary>Every condition holds (an empty list: every member).</summary>
    public sealed record And(ImmutableArray<Segment> Of) : Segment;

    /// <summary>At least one condition holds (an empty list: no member).</summary>
    public sealed record Or(ImmutableArray<Segment> Of) : Segment;

    public sealed record Not(Segment Of) : Segment;

    /// <summary>The number of purchases in the period is within [Min, Max] (a missing bound is open).</summary>
    public sealed record PurchaseCount(DateOnly? From, DateOnly? To, long? Min, long? Max) : Segment;

    /// <summary>The yen bought in the period is within [Min, Max].</summary>
    public sealed record PurchaseAmount(DateOnly? From, DateOnly? To, long? Min, long? Max) : Segment;

    /// <summary>At least one of <paramref name="Skus"/> was bought in the period.</summary>
    public sealed record PurchasedSkus(ImmutableArray<string> Skus, DateOnly? From, DateOnly? To) : Segment;

    /// <summary>
    /// Member information; every property given must hold: the rank, every tag listed, the birth month (1–12), joined
    /// within [JoinedFrom, JoinedTo], the store, the newsletter opt-in, and the age (Japanese rule, today) within [AgeMin, AgeMax].
    /// A member without a birth date matches no birth month or age condition.
    /// </summary>
    public sealed record MemberIs(string? Rank, ImmutableArray<string> Tags, int? BirthMonth, DateOnly? JoinedFrom, DateOnly? JoinedTo, string? Store,
        bool? Newsletter, int? AgeMin, int? AgeMax) : Segment;

    public bool Matches(MemberSnapshot member) => this switch
    {
        All => true,
        And and => and.Of.All(s => s.Matches(member)),
        Or or => or.Of.Any(s => s.Matches(member)),
        Not not => !not.Of.Matches(member),
        PurchaseCount count => Within(In(member, count.From, count.To).LongCount(), count.Min, count.Max),
        PurchaseAmount amount => Within(In(member, amount.From, amount.To).Sum(p => p.Amount.Value), amount.Min, amount.Max),
        PurchasedSkus skus => In(member, skus.From, skus.To).Any(p => p.Skus.Any(s => skus.Skus.Contains(s))),
        MemberIs m => MatchesMember(m, member.Member, member.Today),
        _ => throw new ArgumentOutOfRangeException(nameof(member), GetType().Name, "Unknown segment node."),
    };

    /// <summary>
    /// The answer from the member document alone, or null when it depends on the purchase history: a member born in
    /// another month fails "born in November and no purchase this year" without a look at its purchases.
    /// </summary>
    public bool? MatchesWithoutPurchases(Member member, DateOnly today) => this switch
    {
        All => true,
        And and => and.Of.Select(s => s.MatchesWithoutPurchases(member, today)).Aggregate((bool?)true, (all, one) => all == false || one == false ? false : all is null || one is null ? null : true),
        Or or => or.Of.Select(s => s.MatchesWithoutPurchases(member, today)).Aggregate((bool?)false, (any, one) => any == true || one == true ? true : any is null || one is null ? null : false),
        Not not => !not.Of.MatchesWithoutPurchases(member, today),
        PurchaseCount or PurchaseAmount or PurchasedSkus => null,
        MemberIs m => MatchesMember(m, member, today),
        _ => throw new ArgumentOutOfRangeException(nameof(member), GetType().Name, "Unknown segment node."),
    };

    /// <summary>Whether evaluating the segment needs the member's purchase history (beyond the member document).</summary>
    public bool NeedsPurchases => Nodes().Any(n => n is PurchaseCount or PurchaseAmount or PurchasedSkus);

    /// <summary>The earliest day any purchase condition looks at; null when one looks at the whole kept history.</summary>
    public DateOnly? PurchasesFrom
    {
        get
        {
            DateOnly? earliest = DateOnly.MaxValue;
            foreach (var node in Nodes())
            {
                var from = node switch
                {
                    PurchaseCount c => c.From,
                    PurchaseAmount a => a.From,
                    PurchasedSkus s => s.From,
                    _ => DateOnly.MaxValue,
                };
                if (from is null) return null;
                if (from < earliest) earliest = from;
            }
            return earliest;
        }
    }

    /// <summary>Every node, depth first.</summary>
    public IEnumerable<Segment> Nodes()
    {
        yield return this;
        var children = this switch
        {
            And and => and.Of.AsEnumerable(),
            Or or => or.Of,
            Not not => [not.Of],
            _ => [],
        };
        foreach (var node in children.SelectMany(c => c.Nodes())) yield return node;
    }

    private static IEnumerable<PurchaseRecord> In(MemberSnapshot member, DateOnly? from, DateOnly? to) =>
        member.Purchases.Where(p => (from is null || p.Day >= from) && (to is null || p.Day <= to));

    private static bool Within(long value, long? min, long? max) => (min is null || value >= min) && (max is null || value <= max);

    private static bool MatchesMember(MemberIs m, Member member, DateOnly today)
    {
        var profile = member.Profile;
        return (m.Rank is null || member.Earning.Rank == m.Rank)
            && m.Tags.All(t => profile.Tags.Contains(t))
            && (m.BirthMonth is null || profile.BirthDate?.Month == m.BirthMonth)
            && (m.JoinedFrom is null || profile.JoinedOn >= m.JoinedFrom)
            && (m.JoinedTo is null || profile.JoinedOn <= m.JoinedTo)
            && (m.Store is null || profile.StoreId == m.Store)
            && (m.Newsletter is null || profile.NewsletterOptIn == m.Newsletter)
            && (m.AgeMin is null && m.AgeMax is null
                || profile.BirthDate is { } born && Within(JapaneseAge.On(born, today), m.AgeMin, m.AgeMax));
    }
}

using System.Collections.Immutable;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;

namespace Points.Domain.SpecialPoints;

/// <summary>A special points campaign granted to the member: kept until <see cref="MemberSpecialGrants"/> purges it, after its points expired.</summary>
public sealed record CampaignGrant(string CampaignId, DateOnly ExpiresOn);

/// <summary>
/// The campaigns that granted to the member, so each grants once whatever reruns (F26). Bounded: a record goes
/// <c>purgeAfterDays</c> after its points expired (a grant after its expiry is refused anyway), and at most
/// <see cref="GrantsMax"/> are kept.
/// </summary>
public sealed record MemberSpecialGrants(ImmutableArray<CampaignGrant> Granted)
{
    public const int GrantsMax = 200;

    public static readonly MemberSpecialGrants None = new([]);

    public bool Has(string campaignId) => Granted.Any(g => g.CampaignId == campaignId);

    /// <summary>Without the records whose points expired more than <paramref name="purgeAfterDays"/> days before <paramref name="today"/>.</summary>
    public MemberSpecialGrants Purged(DateOnly today, int purgeAfterDays) =>
        Granted.All(g => g.ExpiresOn.AddDays(purgeAfterDays) >= today) ? this : new([.. Granted.Where(g => g.ExpiresOn.AddDays(purgeAfterDays) >= today)]);
}

/// <summary>A special points campaign as a grant needs it.</summary>
/// <param name="Name">Shown in the member's history (the entry's reason).</param>
public sealed record SpecialCampaign(string CampaignId, string Name, PointAmount Points, DateOnly ExpiresOn)
{
    /// <summary>The <see cref="Lot.Source"/> of the points a campaign grants: <c>campaign:{id}</c>.</summary>
    public const string SourcePrefix = "campaign:";

    public string Source => SourcePrefix + CampaignId;
}

/// <summary>What a grant did: granted now, or found granted before (a rerun).</summary>
public sealed record SpecialGrantResponse(string CampaignId, bool GrantedNow, long Points, long Balance);

/// <summary>What an invalidation took.</summary>
public sealed record InvalidationResponse(long Points, long Balance, IReadOnlyList<string> LotIds);

/// <summary>Special points (F26–F28): campaign grants, once per member and campaign, and invalidation of special lots.</summary>
public static class SpecialPointsDecider
{
    /// <summary>
    /// Grants the campaign's points as a special lot of their own (named by the campaign, never merged with other
    /// lots), once: a member that has it already answers it again and changes nothing.
    /// </summary>
    public static MemberDecision Grant(Member member, SpecialCampaign campaign, int purgeAfterDays, LedgerContext context)
    {
        if (member.SpecialGrants.Has(campaign.CampaignId))
        {
            return new MemberDecision.Accepted(member, [], new SpecialGrantResponse(campaign.CampaignId, false, campaign.Points.Value, member.Ledger.Balance.Value));
        }
        var credit = new LedgerCommand.Credit(EntryType.Adjust, campaign.Points, LotKind.Special, campaign.ExpiresOn)
        {
            Source = campaign.Source,
            Details = new EntryDetails($"special-campaign:{campaign.CampaignId}", [], campaign.Name, null, null),
        };
        switch (LedgerDecider.Decide(member.Ledger, credit, context))
        {
            case LedgerOutcome.Rejected rejected:
                return MemberDecision.Rejected.Of(rejected);
            case LedgerOutcome.Accepted accepted:
                var grants = member.SpecialGrants.Purged(context.Today, purgeAfterDays);
                var granted = grants.Granted.Add(new CampaignGrant(campaign.CampaignId, campaign.ExpiresOn));
                if (granted.Length > MemberSpecialGrants.GrantsMax) granted = [.. granted.OrderByDescending(g => g.ExpiresOn).Take(MemberSpecialGrants.GrantsMax)];
                return new MemberDecision.Accepted(member with { Ledger = accepted.State, SpecialGrants = new(granted) }, accepted.Entries,
                    new SpecialGrantResponse(campaign.CampaignId, true, campaign.Points.Value, accepted.State.Balance.Value));
            default:
                throw new InvalidOperationException("A ledger outcome is accepted or rejected.");
        }
    }

    /// <summary>
    /// Takes the remaining points of the member's special lots of <paramref name="campaignId"/> (or the special lot
    /// <paramref name="lotId"/>) out of the balance (F28). Regular and purchased points are never taken, spent points
    /// stay spent, and a second call finds nothing left: it answers 0 points.
    /// </summary>
    public static MemberDecision Invalidate(Member member, string? campaignId, string? lotId, string? reason, LedgerContext context)
    {
        var command = new LedgerCommand.Invalidate(campaignId is null ? null : SpecialCampaign.SourcePrefix + campaignId, lotId)
        {
            Details = new EntryDetails(campaignId is null ? $"lot:{lotId}" : $"special-campaign:{campaignId}", [], reason ?? "special points invalidated", null, null),
        };
        var accepted = (LedgerOutcome.Accepted)LedgerDecider.Decide(member.Ledger, command, context); // an invalidation is never refused
        var taken = accepted.Entries.Where(e => e.Type == EntryType.Invalidate).ToList();
        return new MemberDecision.Accepted(member with { Ledger = accepted.State }, accepted.Entries,
            new InvalidationResponse(-taken.Sum(e => e.Points.Value), accepted.State.Balance.Value, [.. taken.SelectMany(e => e.Lots).Select(l => l.LotId)]));
    }
}

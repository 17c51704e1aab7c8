using System.Collections.Immutable;

namespace Points.Domain.Members;

/// <summary>What the partner told us about a member (api.md PUT /members/{id}), and the member's own referral code.</summary>
public sealed record MemberProfile
{
    /// <summary>Program-zone date the member joined: their anniversary every year.</summary>
    public required DateOnly JoinedOn { get; init; }
    public DateOnly? BirthDate { get; init; }
    public ImmutableArray<string> Tags { get; init; } = [];
    public string? StoreId { get; init; }
    public bool NewsletterOptIn { get; init; }
    /// <summary>The referral code the member registered with, upper-cased.</summary>
    public string? ReferredByCode { get; init; }
    /// <summary>The member whose referral code this member registered with.</summary>
    public string? ReferredBy { get; init; }
    public required string ReferralCode { get; init; }
}

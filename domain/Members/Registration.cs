using System.Collections.Immutable;
using Points.Domain.Primitives;

namespace Points.Domain.Members;

/// <summary>
/// The profile fields of a registration or update (api.md PUT /members/{id}); null keeps the current value (for a new
/// member: join date today, no tags, no newsletter).
/// </summary>
public sealed record ProfileChange(DateOnly? JoinedOn, DateOnly? BirthDate, IReadOnlyList<string>? Tags, string? StoreId, bool? NewsletterOptIn);

/// <summary>What only a new member gets: their own referral code (reserved unique) and who referred them.</summary>
public sealed record Newcomer(string ReferralCode, string? ReferredByCode, string? ReferredBy);

/// <summary>Whether the member was created by this registration.</summary>
public sealed record RegistrationResponse(bool Created);

/// <summary>Why a registration or profile update is refused (F9 referrals), in the order checked.</summary>
public enum RegistrationRejection
{
    /// <summary>No member has the referral code given.</summary>
    InvalidReferralCode,
    /// <summary>The code given is the member's own.</summary>
    SelfReferral,
    /// <summary>A registered member cannot name (another) referral code afterwards.</summary>
    ReferralAfterRegistration,
}

/// <summary>A referral code given with a registration, and the member it belongs to (looked up before deciding; null when none).</summary>
public sealed record ReferralClaim(string Code, string? Referrer);

/// <summary>Registers a member or updates their profile (F1), with the referral they registered with (F9).</summary>
public static class Registration
{
    /// <param name="member">The member as stored, or null when they do not exist yet.</param>
    /// <param name="newcomer">Required when <paramref name="member"/> is null.</param>
    /// <param name="referral">The referral code of the request, if any.</param>
    public static MemberDecision Decide(MemberId memberId, Member? member, ProfileChange change, Newcomer? newcomer, ReferralClaim? referral, DateOnly today)
    {
        if (CheckReferral(memberId, member?.Profile, referral) is { } refusal)
        {
            return new MemberDecision.Rejected(refusal.Reason, refusal.Detail);
        }
        var current = member?.Profile ?? new MemberProfile
        {
            JoinedOn = change.JoinedOn ?? today,
            ReferralCode = newcomer?.ReferralCode ?? throw new ArgumentNullException(nameof(newcomer), "A new member needs a reserved referral code."),
            ReferredByCode = newcomer.ReferredByCode?.ToUpperInvariant(),
            ReferredBy = newcomer.ReferredBy,
        };
        var profile = current with
        {
            JoinedOn = change.JoinedOn ?? current.JoinedOn,
            BirthDate = change.BirthDate ?? current.BirthDate,
            Tags = change.Tags is { } tags ? [.. tags.Distinct(StringComparer.Ordinal)] : current.Tags,
            StoreId = change.StoreId ?? current.StoreId,
            NewsletterOptIn = change.NewsletterOptIn ?? current.NewsletterOptIn,
        };
        var next = member is null ? Member.Register(memberId, profile)
            : Equivalent(profile, member.Profile) ? member
            : member with { Profile = profile };
        return new MemberDecision.Accepted(next, [], new RegistrationResponse(member is null));
    }

    /// <summary>
    /// A registered member may repeat the code they registered with (a retried registration) but name no other; a new
    /// member's code must belong to someone else.
    /// </summary>
    public static (RegistrationRejection Reason, string Detail)? CheckReferral(MemberId memberId, MemberProfile? registered, ReferralClaim? referral)
    {
        if (referral is null) return null;
        if (registered is not null)
        {
            if (string.Equals(registered.ReferredByCode, referral.Code, StringComparison.OrdinalIgnoreCase)) return null;
            return registered.ReferralCode.Equals(referral.Code, StringComparison.OrdinalIgnoreCase)
                ? (RegistrationRejection.SelfReferral, "A member cannot refer themselves.")
                : (RegistrationRejection.ReferralAfterRegistration, "The member is registered already.");
        }
        if (referral.Referrer is null) return (RegistrationRejection.InvalidReferralCode, $"No member has the referral code '{referral.Code}'.");
        if (referral.Referrer == memberId.Value) return (RegistrationRejection.SelfReferral, "A member cannot refer themselves.");
        return null;
    }

    /// <summary>Records compare arrays by reference; a profile with equal tags is the same profile (no write).</summary>
    private static bool Equivalent(MemberProfile a, MemberProfile b) =>
        a with { Tags = ImmutableArray<string>.Empty } == b with { Tags = ImmutableArray<string>.Empty } && a.Tags.SequenceEqual(b.Tags);
}

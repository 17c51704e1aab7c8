namespace Points.Domain.Earning;

/// <summary>The triggers partners send (api.md POST /events) and the ones the system fires itself.</summary>
public static class Triggers
{
    public static readonly IReadOnlySet<string> EventTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "registration", "login", "post", "link_click", "video_play", "referral", "inquiry", "survey", "course_completion", "purchase", "custom",
    };

    /// <summary>Fired for the new member when they registered with a referral code (the referrer gets <c>referral</c>).</summary>
    public const string ReferralWelcome = "referral_welcome";
    public const string Anniversary = "anniversary";
    /// <summary>Fired on the member's birthday (Feb 29 birthdays on Feb 28 in common years).</summary>
    public const string Birthday = "birthday";
    /// <summary>Fired on the first day of the member's birth month.</summary>
    public const string BirthMonth = "birth_month";
    public const string CustomPrefix = "custom:";
    public const string Registration = "registration";
    public const string Referral = "referral";
    public const string Purchase = "purchase";

    public static bool IsKnownRuleTrigger(string trigger) =>
        (EventTypes.Contains(trigger) && trigger != "custom") || trigger is ReferralWelcome or Anniversary or Birthday or BirthMonth
        || (trigger.StartsWith(CustomPrefix, StringComparison.Ordinal) && trigger.Length is > 7 and <= 71);
}

using Points.Domain.Members;
using Points.Functions.Api;
using Points.Functions.Hosting;

namespace Points.Functions.Members;

/// <summary>Members (F1, F9): registration and profile, referral codes, the summary and the history.</summary>
public sealed class MembersFeature : Feature
{
    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ReferralCodes>();
        services.AddSingleton<MemberViews>();
    }

    public override void MapRoutes(IEndpointRouteBuilder api) => api.MapMemberEndpoints();

    public override IEnumerable<RejectionProblem> Rejections =>
    [
        new(RegistrationRejection.InvalidReferralCode, new("invalid_referral_code", 422, "No member has that referral code.")),
        new(RegistrationRejection.SelfReferral, new("self_referral", 422, "A member cannot refer themselves.")),
        new(RegistrationRejection.ReferralAfterRegistration, new("referral_after_registration", 422, "A referral code can only be given when the member registers.")),
    ];
}

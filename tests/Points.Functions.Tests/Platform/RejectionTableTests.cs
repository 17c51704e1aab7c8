using Points.Functions.Api;

namespace Points.Functions.Tests.Platform;

/// <summary>Every business refusal the domain can decide has exactly one problem code, in the one table the features build.</summary>
public sealed class RejectionTableTests
{
    private static readonly Type[] DomainRejectionEnums =
        [.. typeof(Points.Domain.Members.Member).Assembly.GetTypes().Where(t => t.IsEnum && t.Name.EndsWith("Rejection", StringComparison.Ordinal))];

    [Fact]
    public void EveryRejectionOfTheDomain_IsInTheTable()
    {
        Assert.NotEmpty(DomainRejectionEnums);
        Assert.Equal(DomainRejectionEnums.Select(t => t.Name).Order(), Problems.RejectionTypes.Select(t => t.Name).Order());
        foreach (var reason in DomainRejectionEnums.SelectMany(t => Enum.GetValues(t).Cast<Enum>()))
        {
            var problem = Problems.Of(reason);
            Assert.True(problem.Status is 401 or 404 or 409 or 422, $"{reason.GetType().Name}.{reason}: {problem.Status}");
        }
    }

    [Fact]
    public void EveryCode_HasOneStatusAndTitle()
    {
        var byCode = DomainRejectionEnums.SelectMany(t => Enum.GetValues(t).Cast<Enum>()).Select(Problems.Of).GroupBy(p => p.Code);
        Assert.All(byCode, g => Assert.Single(g.Distinct()));
    }
}

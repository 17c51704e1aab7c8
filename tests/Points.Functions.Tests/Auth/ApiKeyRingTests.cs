using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Points.Functions.Auth;

namespace Points.Functions.Tests.Auth;

public sealed class ApiKeyRingTests
{
    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static ApiKeyRing Ring(ApiKeyOptions options, string environment = "Development") =>
        new(Options.Create(options), new HostingEnvironment { EnvironmentName = environment });

    [Fact]
    public void Find_KeyFromTheKeyVaultJsonSecret_GivesItsScopes()
    {
        var ring = Ring(new ApiKeyOptions { Hashes = $$"""[{"id":"shop1","name":"Shop","scopes":["points:write"],"sha256":"{{Sha256("shop1.s3cret")}}"}]""" });

        Assert.Equal(["points:write"], ring.Find("shop1.s3cret")!.Scopes);
        Assert.Null(ring.Find("shop1.wrong"));
        Assert.Null(ring.Find("shop2.s3cret"));
        Assert.Null(ring.Find("no-dot-at-all"));
        Assert.Null(ring.Find(new string('a', 300)));
    }

    [Theory]
    [InlineData("Development", true)]
    [InlineData("Production", false)]
    public void Find_DevelopmentAdminKey_WorksOnlyOutsideProduction(string environment, bool accepted)
    {
        var ring = Ring(new ApiKeyOptions { DevelopmentAdminKey = "dev.key" }, environment);

        Assert.Equal(accepted, ring.Find("dev.key") is { } caller && caller.Scopes.Contains(Scopes.Admin));
    }
}

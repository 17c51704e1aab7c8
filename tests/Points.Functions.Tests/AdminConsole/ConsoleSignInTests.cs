using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Points.Functions.AdminConsole;

namespace Points.Functions.Tests.AdminConsole;

/// <summary>Sign-in in Azure (the platform's Entra ID principal) and the throttle on refused keys.</summary>
public sealed class ConsoleSignInTests(ConsoleSignInTests.ThrottledFixture app) : IClassFixture<ConsoleSignInTests.ThrottledFixture>
{
    public sealed class ThrottledFixture : ConsoleFixture
    {
        public const int FailuresMax = 3;
        protected override void ConfigureConsole(Dictionary<string, string?> settings) => settings["Console:SignInFailuresMax"] = FailuresMax.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private const string AdminObjectId = "6f1d0c1e-0000-4000-8000-00000000000a";

    private static PlatformSignIn Platform(bool isOn) => new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Console:AdminObjectIds"] = AdminObjectId,
    }).Build(), isOn);

    private static HttpRequest RequestWith(params (string Type, string Value)[] claims)
    {
        var principal = new { auth_typ = "aad", claims = claims.Select(c => new { typ = c.Type, val = c.Value }) };
        var http = new DefaultHttpContext();
        http.Request.Headers[PlatformSignIn.PrincipalHeader] = Convert.ToBase64String(Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(principal)));
        return http.Request;
    }

    public static readonly TheoryData<string, (string, string)[], string?> Principals = new()
    {
        { "an allowed object id", [("http://schemas.microsoft.com/identity/claims/objectidentifier", AdminObjectId), ("name", "佐藤 花子")], "佐藤 花子" },
        { "the admin app role", [("oid", "11111111-0000-4000-8000-000000000001"), ("roles", "Points.Admin")], "11111111-0000-4000-8000-000000000001" },
        { "another role", [("oid", "11111111-0000-4000-8000-000000000002"), ("roles", "Points.Reader")], null },
        { "no object id", [("roles", "Points.Admin"), ("name", "x")], null },
        { "no claims", [], null },
    };

    [Theory]
    [MemberData(nameof(Principals))]
    public void UnderThePlatformsAuthentication_AnOperatorIsAdmittedByObjectIdOrAppRole(string _, (string, string)[] claims, string? admitted)
    {
        var signedIn = Platform(isOn: true).Find(RequestWith(claims));

        Assert.Equal(admitted, signedIn?.Name);
        if (signedIn is not null) Assert.StartsWith("console:entra:", signedIn.Actor, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutThePlatformsAuthentication_ThePrincipalHeaderIsIgnored()
    {
        Assert.Null(Platform(isOn: false).Find(RequestWith(("oid", AdminObjectId))));
    }

    [Theory]
    [InlineData("not base64 at all")]
    [InlineData("e30=")] // {}
    [InlineData("W10=")] // []
    [InlineData("eyJjbGFpbXMiOjV9")] // {"claims":5}
    public void AMalformedPrincipal_AdmitsNobody(string header)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers[PlatformSignIn.PrincipalHeader] = header;

        Assert.Null(Platform(isOn: true).Find(http.Request));
    }

    [Fact]
    public async Task AForgedPrincipalHeader_OutsideAzure_DoesNotSignAnyoneIn()
    {
        using var client = app.CookieClient();
        client.DefaultRequestHeaders.Add(PlatformSignIn.PrincipalHeader, RequestWith(("oid", AdminObjectId), ("roles", "Points.Admin")).Headers[PlatformSignIn.PrincipalHeader].ToString());

        using var response = await client.GetAsync("/console");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/console/sign-in", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterTooManyRefusedKeys_EvenTheRightKeyWaits()
    {
        async Task<(HttpStatusCode Status, string Page)> SignInAsync(HttpClient client, string key)
        {
            var form = await client.GetStringAsync("/console/sign-in");
            using var response = await client.PostAsync("/console/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "sign-in", ["__RequestVerificationToken"] = ConsoleAccessTests.TokenOf(form), ["Form.Key"] = key,
            }));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        using var client = app.CookieClient();
        for (var i = 0; i < ThrottledFixture.FailuresMax; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await SignInAsync(client, $"dev.guess-{i}")).Status);
        }

        var (status, page) = await SignInAsync(client, ConsoleFixture.DevelopmentKey);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("key-error", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/console")).StatusCode);
    }
}

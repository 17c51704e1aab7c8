using System.Text;
using System.Text.Json;

namespace Points.Functions.AdminConsole;

/// <summary>
/// Sign-in in Azure: App Service Authentication with Microsoft Entra ID (Bicep's <c>authsettingsV2</c>) signs the
/// operator in and passes the principal in <c>X-MS-CLIENT-PRINCIPAL</c>. That header is trusted only when the
/// platform's authentication is on (<c>WEBSITE_AUTH_ENABLED</c>, set by the platform, which then strips any such
/// header a client sends); anywhere else it is ignored, so a client cannot forge an operator. An operator is admitted
/// by object id (<c>Console:AdminObjectIds</c>) or app role (<c>Console:AdminRole</c>).
/// </summary>
public sealed class PlatformSignIn
{
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";
    private const string ObjectIdClaim = "http://schemas.microsoft.com/identity/claims/objectidentifier";
    private const int HeaderLengthMax = 16 * 1024;

    private readonly HashSet<string> _objectIds;
    private readonly string? _role;

    public PlatformSignIn(IConfiguration configuration)
        : this(configuration, Hosting.AzureHosting.IsPlatformAuthenticationOn)
    {
    }

    /// <param name="isOn">Whether the platform's authentication is in front of the app (tests say so; the app asks the environment).</param>
    internal PlatformSignIn(IConfiguration configuration, bool isOn)
    {
        IsOn = isOn;
        _objectIds = new((configuration["Console:AdminObjectIds"] ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries), StringComparer.OrdinalIgnoreCase);
        _role = configuration["Console:AdminRole"] is { Length: > 0 } role ? role : "Points.Admin";
    }

    /// <summary>Whether operators sign in with Entra ID through the platform (and not with a key).</summary>
    public bool IsOn { get; }

    /// <summary>Where the platform's sign-in starts, coming back to <paramref name="back"/>.</summary>
    public static string LoginPath(string back) => "/.auth/login/aad?post_login_redirect_uri=" + Uri.EscapeDataString(back);

    /// <summary>The admitted operator the platform signed in, or null (nobody signed in, or not an admin).</summary>
    public ConsoleOperator? Find(HttpRequest request)
    {
        if (!IsOn || request.Headers[PrincipalHeader].ToString() is not { Length: > 0 and <= HeaderLengthMax } header) return null;
        var claims = ClaimsOf(header);
        var objectId = claims.FirstOrDefault(c => c.Type is ObjectIdClaim or "oid").Value;
        var admitted = (objectId is not null && _objectIds.Contains(objectId)) || claims.Any(c => c.Type is "roles" or "role" && c.Value == _role);
        if (!admitted || objectId is null) return null;
        var name = claims.FirstOrDefault(c => c.Type is "name" or "preferred_username").Value ?? objectId;
        return new ConsoleOperator(name, $"console:entra:{objectId}");
    }

    /// <summary>The claims of the platform's principal: base64 of <c>{"claims":[{"typ","val"}]}</c>.</summary>
    public static IReadOnlyList<(string Type, string Value)> ClaimsOf(string header)
    {
        try
        {
            using var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(header)));
            if (json.RootElement.ValueKind != JsonValueKind.Object || !json.RootElement.TryGetProperty("claims", out var claims) || claims.ValueKind != JsonValueKind.Array) return [];
            return [.. claims.EnumerateArray()
                .Where(c => c.ValueKind == JsonValueKind.Object && c.TryGetProperty("typ", out var t) && t.ValueKind == JsonValueKind.String
                    && c.TryGetProperty("val", out var v) && v.ValueKind == JsonValueKind.String)
                .Select(c => (c.GetProperty("typ").GetString()!, c.GetProperty("val").GetString()!))];
        }
        catch (Exception e) when (e is FormatException or JsonException or DecoderFallbackException)
        {
            return [];
        }
    }
}

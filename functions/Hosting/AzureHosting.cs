namespace Points.Functions.Hosting;

/// <summary>Where the handler runs, and what that allows. One place for the environment facts the app branches on.</summary>
public static class AzureHosting
{
    /// <summary>App Service (Functions) sets WEBSITE_SITE_NAME on every app.</summary>
    public static bool IsRunningInAzure => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WEBSITE_SITE_NAME"));

    /// <summary>App Service Authentication signs callers in before the app (the platform sets WEBSITE_AUTH_ENABLED).</summary>
    public static bool IsPlatformAuthenticationOn =>
        IsRunningInAzure && string.Equals(Environment.GetEnvironmentVariable("WEBSITE_AUTH_ENABLED"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The Functions host passes the port to listen on (facts §1.3); it then runs the triggers itself.</summary>
    public static string? CustomHandlerPort => Environment.GetEnvironmentVariable("FUNCTIONS_CUSTOMHANDLER_PORT") is { Length: > 0 } port ? port : null;

    public static bool IsUnderFunctionsHost => CustomHandlerPort is not null;

    /// <summary>The Functions host's app root (host.json, the function folders, appsettings.json), when it exists.</summary>
    public static string? AppRootPath =>
        Environment.GetEnvironmentVariable("FUNCTIONS_APP_ROOT_PATH") is { Length: > 0 } root && Directory.Exists(root) ? root : null;

    /// <summary>Development keys (the local admin key, the local QR signing key) work only on a developer's machine.</summary>
    public static bool AllowsDevelopmentSecrets(IHostEnvironment environment) => !IsRunningInAzure && !environment.IsProduction();

    /// <summary>
    /// App settings that reference Key Vault hold the reference text itself until the secret exists and App Service can
    /// resolve it. Such a value is "not configured", never a key.
    /// </summary>
    public static string? ResolvedSetting(string? setting) =>
        string.IsNullOrWhiteSpace(setting) || setting.StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal) ? null : setting;
}

namespace Points.Functions.Hosting;

/// <summary>
/// App settings that reference Key Vault hold the reference text itself until the secret exists and App Service can
/// resolve it. Such a value is "not configured", never a key.
/// </summary>
public static class KeyVaultReferences
{
    public static string? Resolved(string? setting) =>
        string.IsNullOrWhiteSpace(setting) || setting.StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal) ? null : setting;
}

using System.Threading.RateLimiting;

namespace Points.Functions.AdminConsole;

/// <summary>
/// Refused sign-ins per client address: after <c>Console:SignInFailuresMax</c> (10) wrong keys within
/// <see cref="Window"/>, that address may not try again until the window ends, so a key cannot be guessed from one
/// place at speed. Per instance (a guess costs more than a key's 128 bits can repay anyway).
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public const int FailuresMaxDefault = 10;
    private readonly PartitionedRateLimiter<string> _failures;

    public SignInThrottle(IConfiguration configuration)
    {
        var failuresMax = configuration.GetValue("Console:SignInFailuresMax", FailuresMaxDefault);
        _failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = failuresMax, Window = Window, QueueLimit = 0, AutoReplenishment = true }));
    }

    public static string AddressOf(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>Whether this address may try a key now.</summary>
    public bool MayTry(string address) => (_failures.GetStatistics(address)?.CurrentAvailablePermits ?? 1) > 0;

    public void Failed(string address)
    {
        using var _ = _failures.AttemptAcquire(address);
    }

    public void Dispose() => _failures.Dispose();
}

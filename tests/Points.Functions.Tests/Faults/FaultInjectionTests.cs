using Points.Tools.FaultHarness;
using Points.Tools.LocalStack;
using Xunit.Abstractions;

namespace Points.Functions.Tests.Faults;

/// <summary>
/// The fault-injection harness (tools/FaultHarness) over 200 seeds: realistic member workloads through the real API and
/// trigger functions while Cosmos, Blob and Queue requests fail (412 storms, 429, 503, timeouts after the write), trigger
/// payloads come twice and processes stop between two steps; then, with the faults off, the ledger's invariants hold.
/// A failure names each failing seed and how to replay it alone: <c>POINTS_FAULT_SEED=1234</c> (comma-separated for
/// several; <c>POINTS_FAULT_REPEAT=20</c> runs it 20 times), which also prints what the run sent and got.
/// </summary>
public sealed class FaultInjectionTests(ITestOutputHelper output)
{
    public const int Seeds = 200;

    [Fact]
    public async Task TwoHundredSeeds_UnderInjectedFaults_KeepEveryLedgerInvariant()
    {
        var options = FaultRunOptions.FromEnvironment(Seeds);

        // Emulators of its own: its import files must not meet another app's local trigger runner, and its load stays out of the others' way.
        await using var emulators = await LocalStack.StartAsync(LocalStackOptions.ForTests());
        var report = await FaultRun.RunAsync(emulators, options);

        output.WriteLine(report.Summary());
        foreach (var (what, count) in report.Notes) output.WriteLine($"  {what}: {count}");
        var traces = string.Join("\n", report.Results.Select(r => r.Trace).OfType<string>()); // only when replaying named seeds
        output.WriteLine(traces);
        Assert.True(report.Violations == 0, $"{report.Summary()}\n{report.Details()}\n{traces}");
    }
}

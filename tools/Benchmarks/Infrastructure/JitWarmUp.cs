using System.Diagnostics;
using System.Runtime;

namespace Points.Benchmarks.Infrastructure;

/// <summary>
/// Warm-up until the JIT is quiet. A scenario process starts cold: every method runs first unoptimized, then
/// instrumented (dynamic PGO), then optimized, each step compiled on a background thread that competes with the
/// measured work on 2 cores. One short warm-up is not enough: bench 3's 100,000-row import, after 21,000 warm rows,
/// still compiled 7,500 methods (2.6 s of JIT time in a 9 s phase), while the direct run after it compiled 1,000 — the
/// import was measured half cold, the direct path warm. A production instance runs warm, so the figures should too:
/// passes repeat until one compiles fewer than <see cref="QuietMethods"/> methods.
/// </summary>
public static class JitWarmUp
{
    public const int QuietMethods = 150;
    public const int PassesMax = 12;

    /// <summary>After a pass, how long the background tier-up of what it made hot is given (the call-counting delay is 100 ms).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    /// <summary>Runs <paramref name="pass"/> (with its number, from 0) until the JIT is quiet or <see cref="PassesMax"/> passes ran; returns the passes.</summary>
    public static async Task<int> RunAsync(string scenario, Func<int, Task> pass)
    {
        for (var i = 0; i < PassesMax; i++)
        {
            var before = JitInfo.GetCompiledMethodCount();
            var watch = Stopwatch.StartNew();
            await pass(i);
            await Task.Delay(Settle);
            var compiled = JitInfo.GetCompiledMethodCount() - before;
            BenchContext.Log($"{scenario}: warm-up pass {i + 1}: {compiled:N0} methods compiled in {watch.Elapsed.TotalSeconds:0.0} s");
            if (compiled < QuietMethods) return i + 1;
        }
        BenchContext.Log($"{scenario}: the JIT was still compiling after {PassesMax} warm-up passes");
        return PassesMax;
    }
}

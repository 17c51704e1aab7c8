using System.Diagnostics;

namespace Points.Benchmarks.Infrastructure;

/// <summary>
/// What a closed-loop load run measured: wall time, per-operation latencies, failures, and the bytes this process
/// allocated and the CPU time it used meanwhile (client, app and SDK alike when the app runs in the bench's process).
/// </summary>
public sealed record LoadResult(int Operations, int Concurrency, TimeSpan Elapsed, double[] LatenciesMs, int Failures, IReadOnlyList<string> FailureSamples,
    long AllocatedBytes, TimeSpan ProcessorTime)
{
    public double PerSecond => Operations / Elapsed.TotalSeconds;
    public double AllocatedKiBPerOperation => AllocatedBytes / 1024.0 / Operations;
    public double ProcessorMicrosecondsPerOperation => ProcessorTime.TotalMicroseconds / Operations;
    public double P50 => Percentile(0.50);
    public double P99 => Percentile(0.99);
    public double Max => LatenciesMs.Length == 0 ? 0 : LatenciesMs[^1];

    /// <summary>Nearest-rank percentile of the sorted latencies.</summary>
    public double Percentile(double p)
    {
        if (LatenciesMs.Length == 0) return 0;
        var rank = (int)Math.Ceiling(p * LatenciesMs.Length);
        return LatenciesMs[Math.Clamp(rank - 1, 0, LatenciesMs.Length - 1)];
    }
}

public static class Load
{
    /// <summary>
    /// Runs <paramref name="operations"/> operations with <paramref name="concurrency"/> workers, each taking the next
    /// index as soon as its previous operation finished (closed loop). An operation returns null on success or a short
    /// failure description; exceptions count as failures too.
    /// </summary>
    public static async Task<LoadResult> RunAsync(int operations, int concurrency, Func<int, int, Task<string?>> operation)
    {
        var latencies = new double[operations];
        var next = -1;
        var failures = 0;
        var samples = new List<string>();
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var processorBefore = Environment.CpuUsage.TotalTime;
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < operations)
            {
                var start = Stopwatch.GetTimestamp();
                string? failure;
                try
                {
                    failure = await operation(i, worker);
                }
                catch (Exception e)
                {
                    failure = $"{e.GetType().Name}: {e.Message}";
                }
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (failure is not null)
                {
                    Interlocked.Increment(ref failures);
                    lock (samples)
                    {
                        if (samples.Count < 5) samples.Add(failure);
                    }
                }
            }
        })).ToList();
        await Task.WhenAll(workers);
        watch.Stop();
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        var processor = Environment.CpuUsage.TotalTime - processorBefore;
        Array.Sort(latencies);
        return new LoadResult(operations, concurrency, watch.Elapsed, latencies, failures, samples, allocated, processor);
    }
}

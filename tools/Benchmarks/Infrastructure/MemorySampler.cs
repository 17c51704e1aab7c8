using System.Diagnostics;

namespace Points.Benchmarks.Infrastructure;

/// <summary>
/// Peak memory of this process during a phase. The app, the trigger runner and the import all run in this process
/// (the emulators are separate Node processes and are not counted).
/// <list type="bullet">
/// <item>Before the phase, an aggressive full GC (blocking, compacting, LOH included, free memory given back to the
/// OS) brings the process to its floor; the baseline is read right after it.</item>
/// <item>A background task then samples every <see cref="IntervalMs"/> ms, until the phase ends: the working set
/// (<see cref="Process.WorkingSet64"/>, VmRSS: what the target is about), the GC's committed memory, and the
/// managed heap size after the most recent GC (live data plus whatever that GC did not have to collect).</item>
/// </list>
/// VmHWM cannot be reset between phases, hence sampling; peaks shorter than the interval can be missed.
/// </summary>
public sealed class MemorySampler : IAsyncDisposable
{
    public const int IntervalMs = 50;

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private readonly Lock _lock = new();
    private long _peakWorkingSet;
    private long _peakCommitted;
    private long _peakHeapAfterGc;
    private long _lastGcIndex;
    private long _peakAfterGen2;
    private long _lastGen2Index;

    public Reading Baseline { get; }
    public long PeakWorkingSet { get { lock (_lock) return _peakWorkingSet; } }
    public long PeakCommitted { get { lock (_lock) return _peakCommitted; } }
    public long PeakHeapAfterGc { get { lock (_lock) return _peakHeapAfterGc; } }
    public long PeakWorkingSetDelta => PeakWorkingSet - Baseline.WorkingSet;
    public long PeakCommittedDelta => PeakCommitted - Baseline.Committed;
    public long PeakHeapAfterGcDelta => PeakHeapAfterGc - Baseline.HeapAfterGc;
    /// <summary>Largest managed heap left by a full (gen2) collection during the phase: the live data; null when none ran.</summary>
    public long? PeakAfterGen2 { get { lock (_lock) return _peakAfterGen2 == 0 ? null : _peakAfterGen2; } }
    public long? PeakAfterGen2Delta => PeakAfterGen2 - Baseline.HeapAfterGc;
    public int Gen2Collections { get; private set; }
    /// <summary>Garbage collections (any generation) during the phase.</summary>
    public int Collections { get; private set; }
    public int Samples { get; private set; }
    /// <summary>Methods the JIT compiled during the phase, and its time doing so: a phase that still compiles much was not warmed up.</summary>
    public long MethodsCompiled { get; private set; }
    public TimeSpan CompilationTime { get; private set; }
    private readonly long _methodsAtStart = System.Runtime.JitInfo.GetCompiledMethodCount();
    private readonly TimeSpan _compilationAtStart = System.Runtime.JitInfo.GetCompilationTime();

    public sealed record Reading(long WorkingSet, long Committed, long HeapAfterGc, long GcIndex);

    private MemorySampler()
    {
        FullGc();
        Baseline = Read();
        (_peakWorkingSet, _peakCommitted, _peakHeapAfterGc, _lastGcIndex) = (Baseline.WorkingSet, Baseline.Committed, Baseline.HeapAfterGc, Baseline.GcIndex);
        _lastGen2Index = LastGen2().Index;
        _sampling = Task.Run(SampleAsync);
    }

    public static MemorySampler Start() => new();

    /// <summary>Collects everything and gives free memory back to the OS, so that the working set is at its floor.</summary>
    public static void FullGc()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    private static Reading Read()
    {
        using var process = Process.GetCurrentProcess();
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        return new Reading(process.WorkingSet64, info.TotalCommittedBytes, HeapAfter(info), info.Index);
    }

    private static long HeapAfter(GCMemoryInfo info)
    {
        long size = 0;
        foreach (var generation in info.GenerationInfo) size += generation.SizeAfterBytes;
        return size;
    }

    /// <summary>The most recent gen2 collection, blocking or background.</summary>
    private static GCMemoryInfo LastGen2()
    {
        var blocking = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var background = GC.GetGCMemoryInfo(GCKind.Background);
        return background.Index > blocking.Index ? background : blocking;
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(IntervalMs));
        try
        {
            do
            {
                Sample();
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException)
        {
            Sample(); // The end of the phase.
            MethodsCompiled = System.Runtime.JitInfo.GetCompiledMethodCount() - _methodsAtStart;
            CompilationTime = System.Runtime.JitInfo.GetCompilationTime() - _compilationAtStart;
        }
    }

    private void Sample()
    {
        var reading = Read();
        lock (_lock)
        {
            Samples++;
            _peakWorkingSet = Math.Max(_peakWorkingSet, reading.WorkingSet);
            _peakCommitted = Math.Max(_peakCommitted, reading.Committed);
            if (reading.GcIndex != _lastGcIndex)
            {
                Collections += (int)(reading.GcIndex - _lastGcIndex);
                _lastGcIndex = reading.GcIndex;
                _peakHeapAfterGc = Math.Max(_peakHeapAfterGc, reading.HeapAfterGc);
                var gen2 = LastGen2();
                if (gen2.Index != _lastGen2Index)
                {
                    _lastGen2Index = gen2.Index;
                    Gen2Collections++;
                    _peakAfterGen2 = Math.Max(_peakAfterGen2, HeapAfter(gen2));
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }

    public static double MiB(long bytes) => bytes / 1024.0 / 1024.0;

    /// <summary>The figures of one phase for the JSON file, in MiB.</summary>
    public object Describe() => new
    {
        baselineWorkingSetMiB = MiB(Baseline.WorkingSet),
        peakWorkingSetMiB = MiB(PeakWorkingSet),
        peakWorkingSetDeltaMiB = MiB(PeakWorkingSetDelta),
        baselineCommittedMiB = MiB(Baseline.Committed),
        peakCommittedMiB = MiB(PeakCommitted),
        baselineHeapAfterGcMiB = MiB(Baseline.HeapAfterGc),
        peakHeapAfterGcMiB = MiB(PeakHeapAfterGc),
        peakHeapAfterGen2MiB = PeakAfterGen2 is { } g ? MiB(g) : (double?)null,
        collections = Collections,
        gen2Collections = Gen2Collections,
        samples = Samples,
        intervalMs = IntervalMs,
        methodsCompiled = MethodsCompiled,
        compilationMs = CompilationTime.TotalMilliseconds,
    };
}

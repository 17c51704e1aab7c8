using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Points.Tools.FaultHarness;

/// <summary>The faults the harness injects.</summary>
public enum FaultKind
{
    /// <summary>A conditional replace (If-Match) answered 412 without being sent, as if another writer won; in storms.</summary>
    Conflict412,
    /// <summary>Cosmos answers 429 with <c>x-ms-retry-after-ms</c> below the SDK's retries (which absorb short bursts).</summary>
    Throttle429,
    /// <summary>A storage request answered 503 without being sent.</summary>
    Unavailable503,
    /// <summary>A write sent and done by the server, then the answer lost: the app cannot know it succeeded.</summary>
    TimeoutAfterWrite,
    /// <summary>A trigger invocation delivered again with the same payload (blob import, ledger-jobs shard, change-feed batch).</summary>
    DuplicateDelivery,
    /// <summary>The process stopped between two steps: the outbox dispatch killed after a commit, a CSV import killed mid-file.</summary>
    ProcessStop,
}

/// <summary>How many faults of each kind were injected.</summary>
public sealed record FaultCounts(ImmutableArray<long> ByKind)
{
    public static readonly FaultCounts None = new([.. FaultPlan.Kinds.Select(_ => 0L)]);

    public long this[FaultKind kind] => ByKind[(int)kind];
    public long Total => ByKind.Sum();

    public static FaultCounts operator +(FaultCounts a, FaultCounts b) => new([.. a.ByKind.Zip(b.ByKind, (x, y) => x + y)]);

    public override string ToString() => string.Join(", ", FaultPlan.Kinds.Select(k => $"{k} {this[k]}"));
}

/// <summary>
/// The faults of one seed. <c>new Random(seed)</c> draws them first (the probability of each kind for this run, the
/// longest storm, a salt), then the workload (<see cref="SeedScript"/>). Each decision is a pure function of the salt,
/// the fault kind, the request's signature (what it is and what it touches, with run-specific names taken out) and how
/// many times that signature was seen: concurrent requests of a seed do not consume one shared stream in an order that
/// depends on thread timing, so replaying a seed alone makes the same decisions for the same requests.
/// </summary>
public sealed partial class FaultPlan
{
    public static readonly ImmutableArray<FaultKind> Kinds = [.. Enum.GetValues<FaultKind>()];
    /// <summary>
    /// Probabilities of a failing kind in a run: skewed towards the low end (the product of two uniform draws), since one
    /// partner request makes several storage requests and each may fail; above the highest, clients rarely get through.
    /// </summary>
    public const double ProbabilityMin = 0.01;
    public const double ProbabilityMax = 0.25;
    /// <summary>A duplicate delivery fails nothing, so it is drawn more often.</summary>
    public const double DuplicateProbabilityMin = 0.2;
    /// <summary>Share of runs in which a kind is off entirely (faults of one kind alone find other bugs than all at once).</summary>
    public const double KindOffShare = 0.3;
    /// <summary>Longest storm of 412s or burst of 429s. The app's conflict loop allows 30 attempts; the SDK's 429 retries are set to 3.</summary>
    public const int StormMax = 5;

    private readonly ulong _salt;
    private readonly double[] _probabilities;
    private readonly long[] _injected = new long[Kinds.Length];
    private readonly ConcurrentDictionary<string, int> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _storms = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _stopped = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _notes = new(StringComparer.Ordinal);
    private volatile bool _active = true;

    private FaultPlan(int seed, int repeat, Random random)
    {
        Seed = seed;
        Repeat = repeat;
        Token = TokenOf(seed, repeat);
        _probabilities = [.. Kinds.Select(kind => random.NextDouble() < KindOffShare ? 0
            : kind == FaultKind.DuplicateDelivery ? DuplicateProbabilityMin + random.NextDouble() * (1 - DuplicateProbabilityMin)
            : ProbabilityMin + random.NextDouble() * random.NextDouble() * (ProbabilityMax - ProbabilityMin))];
        LongestStorm = 1 + random.Next(StormMax);
        _salt = (ulong)random.NextInt64();
    }

    /// <summary>Draws the plan from the seed's random, before anything else is drawn from it.</summary>
    public static FaultPlan Draw(int seed, int repeat, Random random) => new(seed, repeat, random);

    public int Seed { get; }
    /// <summary>The how-many-th run of this seed in this process (names differ per run; decisions do not).</summary>
    public int Repeat { get; }
    /// <summary>Put in every name the run creates (<c>fs{seed}r{repeat}</c>): requests are attributed to their run by it.</summary>
    public string Token { get; }
    public int LongestStorm { get; }

    public double Probability(FaultKind kind) => _probabilities[(int)kind];

    /// <summary>Off for the checks: the run's requests then reach storage untouched.</summary>
    public bool Active
    {
        get => _active;
        set
        {
            _active = value;
            if (!value) _storms.Clear();
        }
    }

    public FaultCounts Injected => new([.. Enumerable.Range(0, _injected.Length).Select(i => Interlocked.Read(ref _injected[i]))]);

    public static string TokenOf(int seed, int repeat) => $"fs{seed}r{repeat}";

    /// <summary>Counts something the run did or met (which paths the faults drove it down), for the report.</summary>
    public void Note(string what, long count = 1) => _notes.AddOrUpdate(what, count, (_, n) => n + count);

    public IReadOnlyDictionary<string, long> Notes => _notes.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Whether to inject <paramref name="kind"/> into this occurrence of <paramref name="signature"/>; counts it when so.</summary>
    public bool Roll(FaultKind kind, string signature)
    {
        if (!_active || _probabilities[(int)kind] == 0) return false;
        var hit = Uniform(kind, signature) < _probabilities[(int)kind];
        if (hit) Interlocked.Increment(ref _injected[(int)kind]);
        return hit;
    }

    /// <summary>
    /// Like <see cref="Roll"/>, but a hit starts a storm: the next occurrences of the same signature are hit too, up to a
    /// length drawn for that storm (1..<see cref="LongestStorm"/>). Retries of one request then meet the same fault.
    /// </summary>
    public bool Storm(FaultKind kind, string signature)
    {
        if (!_active) return false;
        var key = $"{kind}|{signature}";
        while (_storms.TryGetValue(key, out var left))
        {
            if (left <= 0)
            {
                _storms.TryRemove(key, out _);
                break;
            }
            if (_storms.TryUpdate(key, left - 1, left))
            {
                Interlocked.Increment(ref _injected[(int)kind]);
                return true;
            }
        }
        if (!Roll(kind, signature)) return false;
        _storms[key] = Pick($"{key}|{_seen.GetValueOrDefault(key)}", 1, LongestStorm + 1) - 1;
        return true;
    }

    /// <summary>A number in [<paramref name="min"/>, <paramref name="maxExclusive"/>) for this occurrence of <paramref name="what"/> (a delay, a byte offset).</summary>
    public int Pick(string what, int min, int maxExclusive) =>
        maxExclusive <= min ? min : min + (int)(Mix(_salt ^ Hash("pick|" + what)) % (ulong)(maxExclusive - min));

    /// <summary>A blob whose reading process was stopped: every later request for it fails until the next delivery.</summary>
    public bool IsStopped(string name) => _stopped.ContainsKey(name);

    public void Stop(string name) => _stopped[name] = true;

    /// <summary>A new delivery runs on a "new instance": nothing is stopped any more.</summary>
    public void ClearStops() => _stopped.Clear();

    private double Uniform(FaultKind kind, string signature)
    {
        var key = $"{kind}|{signature}";
        var occurrence = _seen.AddOrUpdate(key, 1, static (_, n) => n + 1);
        return (Mix(_salt ^ Hash(key) ^ Mix((ulong)occurrence)) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>FNV-1a over the UTF-16 code units: stable across processes and runtimes (string.GetHashCode is not).</summary>
    private static ulong Hash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        return hash;
    }

    /// <summary>SplitMix64's finalizer: spreads the bits of a hash evenly.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// A signature without what differs between runs of the same seed: the run's token, database names, and long hex
    /// runs (random ids such as redemption ids and index chunk ids).
    /// </summary>
    public string Normalize(string text) => RandomHex().Replace(text.Replace(Token, "fs", StringComparison.Ordinal), "*");

    [GeneratedRegex("[0-9a-f]{16,}")]
    private static partial Regex RandomHex();
}

/// <summary>
/// The plans of the runs in progress, and which run a request belongs to: the first run token found in what the request
/// names (document path, partition key, blob name) or carries (a document or message body). Requests of no run (program
/// settings, rules, the change-feed leases) are never faulted.
/// </summary>
public sealed partial class FaultBook
{
    private readonly ConcurrentDictionary<string, FaultPlan> _plans = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private FaultCounts _finished = FaultCounts.None;

    public void Add(FaultPlan plan) => _plans[plan.Token] = plan;

    /// <summary>The run is over: its counts move to the totals.</summary>
    public void Remove(FaultPlan plan)
    {
        if (!_plans.TryRemove(plan.Token, out _)) return;
        lock (_lock) _finished += plan.Injected;
    }

    /// <summary>Faults injected so far by every run, finished or not.</summary>
    public FaultCounts Injected
    {
        get
        {
            lock (_lock) return _plans.Values.Aggregate(_finished, (sum, plan) => sum + plan.Injected);
        }
    }

    public FaultPlan? Find(string? text)
    {
        if (string.IsNullOrEmpty(text) || _plans.IsEmpty) return null;
        for (var match = Token().Match(text); match.Success; match = match.NextMatch())
        {
            if (_plans.TryGetValue(match.Value, out var plan)) return plan;
        }
        return null;
    }

    [GeneratedRegex(@"fs\d+r\d+(?=-)")]
    private static partial Regex Token();
}

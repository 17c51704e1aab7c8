using Points.Benchmarks.Infrastructure;

namespace Points.Benchmarks.Scenarios;

/// <summary>One numbered scenario of issue 5. It starts what it needs (app instances, a database of its own) and cleans up.</summary>
public interface IScenario
{
    int Number { get; }
    string Title { get; }
    /// <summary>True when the scenario needs the emulators.</summary>
    bool NeedsEmulators { get; }
    Task<IReadOnlyList<Figure>> RunAsync(BenchContext context);
}

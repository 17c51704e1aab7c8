using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Points.Benchmarks.Infrastructure;

namespace Points.Benchmarks.Scenarios;

/// <summary>
/// 5. Domain hot paths with BenchmarkDotNet: mean time and allocated bytes per operation of spending across 1,000 open
/// lots (<see cref="SpendingBenchmarks"/>) and of evaluating 50 active earning rules for one event
/// (<see cref="EarningBenchmarks"/>). The jobs run in this process (InProcessEmit toolchain: no separate build of a
/// generated project, which would double the run time on two cores); BenchmarkDotNet's own log and reports go to
/// artifacts/bench/BenchmarkDotNet/.
/// </summary>
public sealed class DomainScenario : IScenario
{
    private const string Scenario = "5 domain";

    public int Number => 5;
    public string Title => "Domain hot paths (BenchmarkDotNet)";
    public bool NeedsEmulators => false;

    public Task<IReadOnlyList<Figure>> RunAsync(BenchContext context)
    {
        var artifacts = Path.Combine(context.RepositoryRoot, "artifacts", "bench", "BenchmarkDotNet");
        Directory.CreateDirectory(artifacts);
        var job = context.Quick
            ? Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithIterationCount(3).WithId("quick")
            : Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(5).WithIterationCount(15).WithId("inprocess");
        var logPath = Path.Combine(artifacts, "run.log");
        using var logWriter = new StreamWriter(logPath, append: false);
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(new StreamLogger(logWriter))
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.DisableLogFile);

        BenchContext.Log($"5: BenchmarkDotNet (log: {Path.GetRelativePath(context.RepositoryRoot, logPath)})");
        var summaries = BenchmarkRunner.Run([typeof(SpendingBenchmarks), typeof(EarningBenchmarks)], config);
        var figures = new List<Figure>();
        var details = new List<object>();
        foreach (var report in summaries.SelectMany(s => s.Reports))
        {
            var name = report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\'');
            var mean = report.ResultStatistics?.Mean;
            var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
            if (mean is null)
            {
                figures.Add(Figure.NotAvailable(Scenario, name + ": mean", "µs", null, "BenchmarkDotNet produced no result; see " + logPath));
                continue;
            }
            var stdErr = report.ResultStatistics!.StandardError / 1000;
            figures.Add(Figure.Context(Scenario, name + ": mean", mean.Value / 1000, "µs", $"± {Figure.Format(stdErr, "µs")} (standard error), {report.ResultStatistics.N} iterations"));
            figures.Add(Figure.Context(Scenario, name + ": allocated", (allocated ?? 0) / 1024.0, "KiB", "per operation"));
            details.Add(new { name, meanNs = mean, stdErrNs = report.ResultStatistics.StandardError, allocatedBytes = allocated, iterations = report.ResultStatistics.N });
        }
        foreach (var summary in summaries.Where(s => s.HasCriticalValidationErrors))
        {
            figures.Add(new Figure(Scenario, summary.Title, null, "", "runs", false,
                "BenchmarkDotNet refused to run: " + string.Join("; ", summary.ValidationErrors.Select(e => e.Message))));
        }
        context.Details["5"] = new { job = job.Id, benchmarks = details };
        return Task.FromResult<IReadOnlyList<Figure>>(figures);
    }
}

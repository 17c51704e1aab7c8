using System.Text.RegularExpressions;
using NCrontab;
using Points.Functions.Hosting;
using Points.Functions.Ranks;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Ranks;

/// <summary>The periodic functions' declarations: schedules in UTC that mean the intended JST times, the queue the Bicep provisions.</summary>
public sealed partial class PeriodicDeclarationsTests
{
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    public static TheoryData<string, int, int> DailyAtJst => new()
    {
        { EvaluateRanksJob.FunctionName, 3, 0 },
        { AllocateRankPointsJob.FunctionName, 3, 30 },
        { GrantAnniversaryPointsJob.FunctionName, 0, 15 },
    };

    [Theory]
    [MemberData(nameof(DailyAtJst))]
    public void Timer_FiresDaily_AtItsJstTime(string function, int hour, int minute)
    {
        var declaration = FunctionDeclarations.Load(FunctionDeclarations.DefaultDirectory).Single(d => d.Name == function);
        var schedule = CrontabSchedule.Parse(declaration.Trigger!.Schedule!, new CrontabSchedule.ParseOptions { IncludingSeconds = true });

        // From 2026-11-29 JST: the monthly jobs fire on 11-30 and 12-01 (and act on 12-01, the first run of the month).
        var from = new DateTimeOffset(2026, 11, 29, 12, 0, 0, Jst).UtcDateTime;
        var next = schedule.GetNextOccurrences(from, from.AddDays(3)).Select(utc => new DateTimeOffset(utc, TimeSpan.Zero).ToOffset(Jst)).ToList();

        Assert.Equal([30, 1, 2], next.Select(n => n.Day));
        Assert.All(next, n => Assert.Equal((hour, minute), (n.Hour, n.Minute)));
    }

    [Fact]
    public void ProcessLedgerJobs_TakesTheLedgerJobsQueue_WhichTheBicepProvisionsWithItsPoisonQueue()
    {
        var declaration = FunctionDeclarations.Load(FunctionDeclarations.DefaultDirectory).Single(d => d.Name == LedgerJobProcessor.FunctionName);
        var json = File.ReadAllText(Path.Combine(FunctionDeclarations.DefaultDirectory, declaration.Name, "function.json"));
        var bicep = File.ReadAllText(Path.Combine(Repository.Root, "infra-bicep", "main.bicep"));
        var provisioned = QueueNameList().Match(bicep).Groups[1].Value;

        Assert.Equal(("queueTrigger", RanksFeature.ShardBinding), (declaration.Trigger!.Type, declaration.Trigger.Name));
        Assert.Contains($"\"queueName\": \"{QueueNames.LedgerJobs}\"", json);
        Assert.All(QueueNames.All, queue => Assert.Contains($"'{queue}'", provisioned));
    }

    [GeneratedRegex(@"var queueNames = \[(.*?)\]", RegexOptions.Singleline)]
    private static partial Regex QueueNameList();
}

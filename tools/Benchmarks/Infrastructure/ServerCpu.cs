using System.Globalization;
using Points.Tools.LocalStack;

namespace Points.Benchmarks.Infrastructure;

/// <summary>
/// The CPU time the local Cosmos server (a Node process of its own) has used, from <c>/proc</c>: with the bench
/// process's own CPU time it shows which side of a run was busy. Null where <c>/proc</c> is not there or the process
/// is not found.
/// </summary>
public sealed class ServerCpu
{
    /// <summary>The clock ticks of <c>/proc/PID/stat</c>'s times: USER_HZ, 100 on Linux.</summary>
    private const double TicksPerSecond = 100.0;

    private readonly string _statPath;

    private ServerCpu(string statPath) => _statPath = statPath;

    /// <summary>The Node process serving <paramref name="emulators"/>' Cosmos endpoint (found by its command line), or null.</summary>
    public static ServerCpu? Of(LocalStack emulators)
    {
        if (!Directory.Exists("/proc")) return null;
        var port = "--port\0" + emulators.CosmosEndpoint.Port.ToString(CultureInfo.InvariantCulture) + "\0";
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _)) continue;
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
                // The watchdog's command line names the server too: the server is the one that runs it directly.
                if (commandLine.Contains("cosmos-server.js", StringComparison.Ordinal) && commandLine.Contains(port, StringComparison.Ordinal)
                    && !commandLine.Contains("watchdog.js", StringComparison.Ordinal))
                {
                    return new ServerCpu(Path.Combine(directory, "stat"));
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return null;
    }

    /// <summary>User and system time so far (fields 14 and 15 of <c>/proc/PID/stat</c>, after the parenthesized name).</summary>
    public TimeSpan Used()
    {
        var stat = File.ReadAllText(_statPath);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>Runs <paramref name="run"/> and returns its result with the server's CPU time per operation in µs (null when unknown).</summary>
    public static async Task<(LoadResult Result, double? ServerMicroseconds)> MeasureAsync(ServerCpu? server, Func<Task<LoadResult>> run)
    {
        var before = server?.Used();
        var result = await run();
        return (result, server is null ? null : (server.Used() - before!.Value).TotalMicroseconds / result.Operations);
    }
}

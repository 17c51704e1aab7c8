using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;

namespace Points.Benchmarks.Infrastructure;

/// <summary>What the figures were measured on.</summary>
public sealed record Machine(int Cores, double RamGiB, string Cpu, string Os, string Runtime, bool ServerGc, string? Commit, bool DirtyTree)
{
    public static Machine Describe(string repositoryRoot) => new(
        Environment.ProcessorCount,
        Math.Round(TotalRamBytes() / 1024.0 / 1024 / 1024, 1),
        CpuModel(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        GCSettings.IsServerGC,
        Git(repositoryRoot, "rev-parse --short HEAD"),
        Git(repositoryRoot, "status --porcelain") is { Length: > 0 });

    public override string ToString() =>
        $"{Cores} cores, {RamGiB:0.#} GiB RAM, {Cpu}; {Os}; {Runtime}, {(ServerGc ? "server" : "workstation")} GC; commit {Commit ?? "?"}{(DirtyTree ? " (+ uncommitted changes)" : "")}";

    /// <summary>
    /// Null when this process runs the GC mode the handler is built with (its <c>handler.runtimeconfig.json</c>, copied
    /// next to this program by the project reference); otherwise what differs.
    /// </summary>
    public static string? HandlerGcMismatch()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "handler.runtimeconfig.json");
        if (!File.Exists(path)) return $"{path} not found; cannot check the handler's GC mode.";
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        var handlerServerGc = config.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out var properties)
            && properties.TryGetProperty("System.GC.Server", out var server) && server.GetBoolean();
        return handlerServerGc == GCSettings.IsServerGC
            ? null
            : $"the handler is built for {(handlerServerGc ? "server" : "workstation")} GC but this run uses {(GCSettings.IsServerGC ? "server" : "workstation")} GC.";
    }

    private static long TotalRamBytes()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is not null)
            {
                var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
                return kb * 1024;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string? Git(string directory, string arguments)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", arguments)
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (git is null) return null;
            var output = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

using System.ComponentModel;
using System.Diagnostics;

namespace Points.Tools.LocalStack;

/// <summary>
/// A command started through tools/local-stack/watchdog.js, which kills it when this process goes away,
/// even by SIGKILL. We keep the watchdog's stdin open and never write to it: when this process dies the
/// operating system closes the pipe and the watchdog stops the command. Output (stdout and stderr) is
/// kept as a short tail for error messages and can be forwarded line by line.
/// </summary>
internal sealed class WatchedProcess : IDisposable, IAsyncDisposable
{
    /// <summary>How many output lines are kept for error messages.</summary>
    public const int OutputTailLines = 40;

    /// <summary>How long a killed process tree gets to be reaped before we stop waiting.</summary>
    public const int StopTimeoutSeconds = 10;

    /// <summary>How long we wait for the last output of a process that already exited.</summary>
    private const int OutputDrainTimeoutMilliseconds = 2000;

    /// <summary>
    /// Every watchdog we started and have not disposed, killed (see <see cref="KillWatchdogOnly"/>) when
    /// our process exits normally (AppDomain.ProcessExit) without having disposed it: a test host that
    /// never disposes a shared stack, or one still starting. A process ended by a signal runs no managed
    /// code at all; then the watchdog stops the emulator (it sees its stdin close). That includes Ctrl-C:
    /// when no handler cancels it, .NET ends the process by the signal without raising ProcessExit. There
    /// is deliberately no kill in Console.CancelKeyPress: a host that cancels Ctrl-C to shut down
    /// gracefully (the generic host does) must still reach the emulators while it drains, and one handler
    /// cannot know whether a later one cancels.
    /// </summary>
    private static readonly ExitRegistry<WatchedProcess> Live = new(process => process.KillWatchdogOnly());

    private readonly Process _process;
    private readonly Action<string>? _forwardLine;
    private readonly Queue<string> _tail = new();
    private readonly Lock _tailLock = new();
    private readonly HashSet<string> _awaitedPhrases;
    private int _killed;

    private WatchedProcess(string name, Process process, Action<string>? forwardLine, IEnumerable<string> awaitedPhrases)
    {
        Name = name;
        _process = process;
        _forwardLine = forwardLine;
        _awaitedPhrases = new HashSet<string>(awaitedPhrases, StringComparer.Ordinal);
    }

    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts <c>node watchdog.js --watch-stdin &lt;our pid&gt; -- command arguments…</c>.
    /// </summary>
    /// <param name="forwardLine">Receives each output line (from any thread), or null.</param>
    /// <param name="awaitedPhrases">Text the process prints when it is ready; see <see cref="HasPrintedAwaitedPhrases"/>.</param>
    public static WatchedProcess Start(
        string name,
        LocalStackDirectory directory,
        string workingDirectory,
        string command,
        IEnumerable<string> arguments,
        Action<string>? forwardLine,
        IEnumerable<string>? awaitedPhrases = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(NodeRuntime.Executable)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        startInfo.ArgumentList.Add(directory.WatchdogScript);
        startInfo.ArgumentList.Add("--watch-stdin");
        startInfo.ArgumentList.Add(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        startInfo.ArgumentList.Add("--");
        startInfo.ArgumentList.Add(command);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                startInfo.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = startInfo };
        var watched = new WatchedProcess(name, process, forwardLine, awaitedPhrases ?? []);
        process.OutputDataReceived += (_, e) => watched.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => watched.OnLine(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception exception)
        {
            process.Dispose();
            throw new LocalStackException(
                $"Cannot start '{NodeRuntime.Executable}' for {name}: {exception.Message}. " +
                $"Node.js {NodeRuntime.MinimumMajorVersion} or newer must be on PATH.",
                exception);
        }

        Live.Track(watched);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // stdin stays open and unused on purpose: see the class comment.
        return watched;
    }

    /// <summary>The last <see cref="OutputTailLines"/> output lines, oldest first.</summary>
    public string OutputTail()
    {
        lock (_tailLock)
        {
            return _tail.Count == 0 ? "(no output)" : string.Join(Environment.NewLine, _tail);
        }
    }

    /// <summary>
    /// Whether every awaited phrase has appeared in the output. Emulators print "listening at …:port" once
    /// they have bound their port; waiting for that (not only for an HTTP answer) makes sure the server
    /// that answers is ours, not another process that happened to hold the same port.
    /// </summary>
    public bool HasPrintedAwaitedPhrases
    {
        get
        {
            lock (_tailLock)
            {
                return _awaitedPhrases.Count == 0;
            }
        }
    }

    public bool OutputContains(string text)
    {
        lock (_tailLock)
        {
            return _tail.Any(line => line.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>Waits a little for the output of a process that has exited, so that the tail is complete.</summary>
    public void DrainOutputAfterExit()
    {
        if (_process.HasExited)
        {
            // WaitForExit with a timeout returns once the process exited; without one it would also wait
            // for the output pipes to close, which a surviving grandchild could hold open forever.
            using var drained = new CancellationTokenSource(OutputDrainTimeoutMilliseconds);
            try
            {
                _process.WaitForExitAsync(drained.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                // Good enough: the tail holds what arrived so far.
            }
        }
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Kills the watchdog and everything under it. Idempotent and safe from any thread.</summary>
    public void Kill() => Kill(entireProcessTree: true);

    /// <summary>
    /// For the exit path: kills only the watchdog, at once. The emulator under it notices within half a
    /// second (exit-with-parent.js) and exits. Killing the whole tree would first freeze the watchdog
    /// (SIGSTOP) while .NET lists its children; if our process is killed at that moment (a test host is
    /// given little time to exit), a frozen watchdog and its emulator would stay forever.
    /// </summary>
    public void KillWatchdogOnly() => Kill(entireProcessTree: false);

    /// <summary>Kills the process tree and waits (bounded) until it has exited.</summary>
    public async Task StopAsync()
    {
        Kill();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(StopTimeoutSeconds));
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Killed with SIGKILL; if it is still not reaped there is nothing more we can do.
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
    }

    public void Dispose()
    {
        Kill();
        Live.Untrack(this);
        _process.Dispose();
    }

    /// <summary><see cref="StopAsync"/>, then <see cref="Dispose"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        Dispose();
    }

    private void Kill(bool entireProcessTree)
    {
        if (Interlocked.Exchange(ref _killed, 1) != 0)
        {
            return;
        }

        try
        {
            _process.Kill(entireProcessTree);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // A process exited while it was being killed.
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tailLock)
        {
            _awaitedPhrases.RemoveWhere(phrase => line.Contains(phrase, StringComparison.Ordinal));
            _tail.Enqueue(line);
            while (_tail.Count > OutputTailLines)
            {
                _tail.Dequeue();
            }
        }

        _forwardLine?.Invoke(line);
    }
}

/// <summary>The Node.js runtime the emulators run on.</summary>
internal static class NodeRuntime
{
    public const string Executable = "node";

    /// <summary>The emulators' package.json files ask for Node 20 or newer.</summary>
    public const int MinimumMajorVersion = 20;
}

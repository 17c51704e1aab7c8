using System.Diagnostics;
using System.Text;
using Points.Tools.LocalStack;

namespace Points.Functions.Tests.Contract;

/// <summary>
/// The partner tools pinned in tools/contract (Redocly CLI, openapi-typescript, openapi-fetch, TypeScript), installed
/// with npm ci on first use the way the emulators are (<see cref="NpmInstallation"/>), and run with node.
/// </summary>
public static class ContractTools
{
    public const string Redocly = "node_modules/@redocly/cli/bin/cli.js";
    public const string OpenApiTypeScript = "node_modules/openapi-typescript/bin/cli.js";
    public const string TypeScript = "node_modules/typescript/bin/tsc";

    /// <summary>One tool run: npm's install aside, each takes a few seconds here.</summary>
    public static readonly TimeSpan RunTimeoutMax = TimeSpan.FromMinutes(2);

    private static readonly Lazy<Task<NpmProject>> Installed = new(async () =>
    {
        var project = NpmProject.InRepository(Path.Combine("tools", "contract"), "the partner contract tools",
            Redocly, OpenApiTypeScript, TypeScript, "node_modules/openapi-fetch/package.json");
        await NpmInstallation.EnsureInstalledAsync(project, showOutput: false, CancellationToken.None);
        return project;
    });

    /// <summary>tools/contract, installed.</summary>
    public static async Task<string> DirectoryAsync() => (await Installed.Value).Path;

    /// <summary>
    /// A fresh folder under tools/contract/.work (gitignored) holding a copy of tools/contract/client-check: node and
    /// tsc resolve openapi-fetch from tools/contract/node_modules above it.
    /// </summary>
    public static async Task<string> NewWorkFolderAsync()
    {
        var tools = await DirectoryAsync();
        var work = Path.Combine(tools, ".work", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        foreach (var file in Directory.GetFiles(Path.Combine(tools, "client-check")))
        {
            File.Copy(file, Path.Combine(work, Path.GetFileName(file)));
        }
        return work;
    }

    public sealed record Run(int ExitCode, string Output, string Errors)
    {
        public override string ToString() => $"exit code {ExitCode}{Environment.NewLine}{Output}{Environment.NewLine}{Errors}";
    }

    /// <summary>Runs <c>node {tool relative to tools/contract} arguments…</c> in <paramref name="workingDirectory"/>.</summary>
    public static async Task<Run> NodeAsync(string tool, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.IsPathRooted(tool) ? tool : Path.Combine(await DirectoryAsync(), tool));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Redocly prints a box about Node 20's end of life and checks for updates; neither belongs in a test log.
        start.Environment["REDOCLY_SUPPRESS_NOTIFICATIONS"] = "true";
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeoutMax);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {tool} did not finish within {RunTimeoutMax}.");
        }
        return new Run(process.ExitCode, await output, await errors);
    }

    /// <summary>The served document, written where the tools can read it.</summary>
    public static async Task<string> WriteDocumentAsync(HttpClient client, string folder)
    {
        var path = Path.Combine(folder, "openapi.json");
        await File.WriteAllTextAsync(path, await client.GetStringAsync("/api/openapi.json"), Encoding.UTF8);
        return path;
    }
}

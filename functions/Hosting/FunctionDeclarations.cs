using System.Text.Json;

namespace Points.Functions.Hosting;

/// <summary>One binding of a function.json (the fields this app uses).</summary>
public sealed record FunctionBinding(string Name, string Type, string Direction, string? Schedule, string? Path, string? DataType, string? Route,
    string? QueueName, string? Connection, string? DatabaseName, string? ContainerName, string? LeaseContainerName);

public sealed record FunctionDeclaration(string Name, IReadOnlyList<FunctionBinding> Bindings)
{
    public FunctionBinding? Trigger => Bindings.FirstOrDefault(b => b.Direction == "in" && b.Type.EndsWith("Trigger", StringComparison.Ordinal));
    public bool IsHttp => Trigger?.Type == "httpTrigger";
}

/// <summary>
/// Reads the function declarations (<c>{FunctionName}/function.json</c>), the single source of truth for triggers:
/// the Functions host reads them in Azure, the local trigger runner (tools/LocalTriggers) in development.
/// </summary>
public static class FunctionDeclarations
{
    public static string DefaultDirectory => AzureHosting.AppRootPath ?? Path.Combine(AppContext.BaseDirectory, "declarations");

    public static IReadOnlyList<FunctionDeclaration> Load(string directory)
    {
        var declarations = new List<FunctionDeclaration>();
        foreach (var file in Directory.EnumerateFiles(directory, "function.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            var bindings = document.RootElement.GetProperty("bindings").EnumerateArray().Select(b => new FunctionBinding(
                b.GetProperty("name").GetString()!,
                b.GetProperty("type").GetString()!,
                b.GetProperty("direction").GetString()!,
                Optional(b, "schedule"), Optional(b, "path"), Optional(b, "dataType"), Optional(b, "route"), Optional(b, "queueName"),
                Optional(b, "connection"), Optional(b, "databaseName"), Optional(b, "containerName"), Optional(b, "leaseContainerName"))).ToList();
            declarations.Add(new FunctionDeclaration(Path.GetFileName(Path.GetDirectoryName(file)!), bindings));
        }
        return declarations;
    }

    private static string? Optional(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.GetString() : null;
}

/// <summary>The non-HTTP functions this app serves at <c>POST /{FunctionName}</c>; checked against the declarations by a test.</summary>
public sealed class FunctionHandlers
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public IReadOnlySet<string> Names => _names;

    public void Add(string name) => _names.Add(name);
}

public static class FunctionEndpointExtensions
{
    /// <summary>Maps <c>POST /{name}</c>, the address the Functions host invokes a non-HTTP function at.</summary>
    public static RouteHandlerBuilder MapFunction(this WebApplication app, string name, Delegate handler)
    {
        app.Services.GetRequiredService<FunctionHandlers>().Add(name);
        return app.MapPost("/" + name, handler).ExcludeFromDescription();
    }

    /// <summary>Maps a timer function: reads the host's timer payload, runs the job, replies with its log line.</summary>
    public static RouteHandlerBuilder MapTimerFunction<TJob>(this WebApplication app, string name,
        Func<TJob, bool, CancellationToken, Task<string>> run) where TJob : notnull =>
        app.MapFunction(name, async (HttpContext http, TJob job) =>
        {
            var payload = await InvocationPayload.ReadAsync(http.Request.Body, keepData: true, http.RequestAborted);
            return InvocationReply.Ok(await run(job, payload.TimerIsPastDue, http.RequestAborted));
        });
}

using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using NCrontab;
using Points.Functions.Hosting;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Platform;

/// <summary>What the platform relies on: open health and OpenAPI routes, correlation ids, function declarations that match the handlers, a pure domain.</summary>
public sealed partial class PlatformTests(AppFixture app) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task Health_WithoutAKey_Is200WithEveryDependencyOk()
    {
        var reply = await app.Client(apiKey: null).SendAsync(HttpMethod.Get, "/api/health");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal(("ok", "ok", "ok"),
            (reply.Body.GetProperty("status").GetString(), reply.Body.GetProperty("cosmos").GetString(), reply.Body.GetProperty("storage").GetString()));
    }

    [Fact]
    public async Task OpenApiDocument_WithoutAKey_ListsTheMemberAndRedemptionPaths()
    {
        var reply = await app.Client(apiKey: null).SendAsync(HttpMethod.Get, "/api/openapi.json");

        Assert.Equal(HttpStatusCode.OK, reply.Status);
        Assert.Equal("application/json", reply.ContentType);
        Assert.False(string.IsNullOrEmpty(reply.Body.GetProperty("openapi").GetString()));
        var paths = reply.Body.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v1/members/{memberId}", paths);
        Assert.Contains("/api/v1/members/{memberId}/redemptions", paths);
        Assert.Contains("/api/v1/members/{memberId}/reversals", paths);
    }

    public static TheoryData<string, string?> Responses => new()
    {
        { "/api/health", null },
        { "/api/openapi.json", null },
        { "/api/v1/members/m-nobody", AppFixture.AllScopesKey },       // 404 member_not_found
        { "/api/v1/members/m-nobody", null },                           // 401
        { "/api/v1/members/bad%20id", AppFixture.AllScopesKey },        // 400
        { "/api/v1/no-such-thing", AppFixture.AllScopesKey },           // 404 from the status code pages
    };

    [Theory]
    [MemberData(nameof(Responses))]
    public async Task EveryResponse_CarriesTheClientsWellFormedCorrelationId(string path, string? apiKey)
    {
        var id = "client-" + Guid.NewGuid().ToString("N");

        var reply = await app.Client(apiKey).SendRawAsync(HttpMethod.Get, path, null, headers: new Dictionary<string, string> { ["X-Correlation-Id"] = id });

        Assert.Equal(id, reply.Header(CorrelationMiddleware.Header));
    }

    [Theory]
    [MemberData(nameof(Responses))]
    public async Task EveryResponse_WithoutACorrelationId_GetsANewOne(string path, string? apiKey)
    {
        var reply = await app.Client(apiKey).SendAsync(HttpMethod.Get, path);

        Assert.Matches(WellFormedId(), reply.Header(CorrelationMiddleware.Header) ?? "");
    }

    [Theory]
    [InlineData("has spaces in it")]
    [InlineData("semi;colon")]
    [InlineData("x12345678901234567890123456789012345678901234567890123456789012345")] // 66 characters
    public async Task MalformedCorrelationId_IsReplaced(string malformed)
    {
        var reply = await app.Client().SendRawAsync(HttpMethod.Get, "/api/v1/members/m-nobody", null,
            headers: new Dictionary<string, string> { ["X-Correlation-Id"] = malformed });

        var id = reply.Header(CorrelationMiddleware.Header);
        Assert.NotEqual(malformed, id);
        Assert.Matches(WellFormedId(), id ?? "");
    }

    [Fact]
    public async Task WithoutAClientCorrelationId_TheFunctionsInvocationIdIsUsed()
    {
        var invocationId = Guid.NewGuid().ToString();

        var reply = await app.Client(apiKey: null).SendRawAsync(HttpMethod.Get, "/api/health", null,
            headers: new Dictionary<string, string> { ["X-Azure-Functions-InvocationId"] = invocationId });

        Assert.Equal(invocationId, reply.Header(CorrelationMiddleware.Header));
    }

    [Fact]
    public void EveryDeclaredNonHttpFunction_HasAHandler_AndEveryHandlerADeclaration()
    {
        var declared = FunctionDeclarations.Load(FunctionDeclarations.DefaultDirectory);

        Assert.Equal(
            declared.Where(d => !d.IsHttp).Select(d => d.Name).Order(StringComparer.Ordinal),
            app.Service<FunctionHandlers>().Names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task InvocationReply_HasTheHostsKeys_OutputsLogsReturnValue()
    {
        // facts §1.10: the host reads {"Outputs": {...}, "Logs": [...], "ReturnValue": ...}.
        var http = new DefaultHttpContext { RequestServices = app.App.Services };
        http.Response.Body = new MemoryStream();

        await InvocationReply.Ok("a log line").ExecuteAsync(http);

        http.Response.Body.Position = 0;
        using var reply = await JsonDocument.ParseAsync(http.Response.Body);
        Assert.Equal(["Outputs", "Logs", "ReturnValue"], reply.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["a log line"], reply.RootElement.GetProperty("Logs").EnumerateArray().Select(l => l.GetString()));
    }

    [Fact]
    public void TheHttpFunctions_AreTheApiAndTheConsole_UnderAnEmptyRoutePrefix_AndNoneUnderAdmin()
    {
        var http = FunctionDeclarations.Load(FunctionDeclarations.DefaultDirectory).Where(d => d.IsHttp).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();

        // The host's routePrefix is empty so that the console has a path of its own beside /api; /admin is the host's (facts §1.12).
        Assert.Equal([("Api", "api/{*path}"), ("Console", "console/{*path}")], http.Select(d => (d.Name, d.Trigger!.Route!)));
        Assert.All(http, d => Assert.Contains(d.Bindings, b => b is { Type: "http", Direction: "out" }));
        Assert.DoesNotContain(http, d => d.Trigger!.Route!.StartsWith("admin", StringComparison.OrdinalIgnoreCase));
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "host.json")));
        Assert.Equal("", host.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void EveryTimerSchedule_IsASixFieldNCrontab_AndExpirePointsFiresAt0005Jst()
    {
        var timers = FunctionDeclarations.Load(FunctionDeclarations.DefaultDirectory).Where(d => d.Trigger?.Type == "timerTrigger").ToList();

        Assert.NotEmpty(timers);
        foreach (var timer in timers)
        {
            var expression = timer.Trigger!.Schedule!;
            Assert.Equal(6, expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
            CrontabSchedule.Parse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        }
        // The Functions host evaluates schedules in UTC (no WEBSITE_TIME_ZONE on Linux): 15:05 UTC is 00:05 JST.
        var schedule = CrontabSchedule.Parse(timers.Single(t => t.Name == "ExpirePoints").Trigger!.Schedule!,
            new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        var next = schedule.GetNextOccurrences(AppFixture.Start.UtcDateTime, AppFixture.Start.UtcDateTime.AddDays(3))
            .Select(utc => new DateTimeOffset(utc, TimeSpan.Zero).ToOffset(TimeSpan.FromHours(9)))
            .ToList();
        Assert.Equal(
            [new DateTimeOffset(2026, 11, 24, 0, 5, 0, TimeSpan.FromHours(9)), new DateTimeOffset(2026, 11, 25, 0, 5, 0, TimeSpan.FromHours(9)),
             new DateTimeOffset(2026, 11, 26, 0, 5, 0, TimeSpan.FromHours(9))],
            next);
    }

    [Fact]
    public void TheBlobFunctions_TakeBinaryImports_EachOfItsOwnFolder()
    {
        var blobs = FunctionDeclarations.Load(FunctionDeclarations.DefaultDirectory).Where(d => d.Trigger?.Type == "blobTrigger")
            .Select(d => (d.Name, d.Trigger!.DataType, d.Trigger.Path)).Order().ToList();

        Assert.Equal(
            [(Points.Functions.Imports.AdjustmentImport.FunctionName, "binary", "imports/adjustments/{name}"),
             (Points.Functions.Exports.ExportRequestFiles.FunctionName, "binary", "imports/exports/{name}"),
             (Points.Functions.Members.MemberImport.FunctionName, "binary", "imports/members/{name}"),
             (Points.Functions.Members.MigrationImport.FunctionName, "binary", "imports/migration/{name}"),
             (Points.Functions.Members.PurchaseHistoryImport.FunctionName, "binary", "imports/purchases/{name}"),
             (Points.Functions.Withdrawals.WithdrawalImport.FunctionName, "binary", "imports/withdrawals/{name}")],
            blobs);
    }

    [Fact]
    public void DomainAssembly_ReferencesOnlyTheFramework()
    {
        var references = typeof(Points.Domain.Primitives.MemberId).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.NotEmpty(references);
        Assert.All(references, name => Assert.True(name.StartsWith("System.", StringComparison.Ordinal) || name == "System", name));
    }

    [Fact]
    public void Handler_CarriesNoLocalTriggerRunner_NorItsCronParser()
    {
        // The runner is development tooling (tools/LocalTriggers): under the Functions host the host runs the triggers.
        var handler = typeof(PointsApp).Assembly;

        Assert.DoesNotContain(handler.GetTypes(), t => t.Name.StartsWith("LocalTrigger", StringComparison.Ordinal));
        Assert.DoesNotContain(handler.GetReferencedAssemblies(), a => a.Name is "NCrontab.Signed" or "Points.LocalTriggers");
        Assert.DoesNotContain("NCrontab", File.ReadAllText(Path.Combine(Repository.Root, "functions", "Points.Functions.csproj")), StringComparison.Ordinal);
    }

    [Fact]
    public void DomainSources_NeverReadTheClock()
    {
        var domain = Path.Combine(Repository.Root, "domain");
        var sources = Directory.EnumerateFiles(domain, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .ToList();

        Assert.NotEmpty(sources);
        var offences = sources
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line: i + 1, text: line)))
            .Where(l => ClockRead().IsMatch(l.text))
            .Select(l => $"{Path.GetRelativePath(domain, l.file)}:{l.line}: {l.text.Trim()}")
            .ToList();
        Assert.Empty(offences);
    }

    [GeneratedRegex(@"\b(DateTime|DateTimeOffset)\s*\.\s*(Now|UtcNow|Today)\b|\bTimeProvider\s*\.\s*System\b")]
    private static partial Regex ClockRead();

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex WellFormedId();
}

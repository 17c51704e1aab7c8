using System.Text.Json;
using Points.Functions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Points.Functions.Tests.Contract;

/// <summary>
/// What a partner does with the served OpenAPI document, with the tools pinned in tools/contract: lint it with Redocly's
/// recommended rules, and generate a TypeScript client (openapi-typescript + openapi-fetch) whose program type-checks
/// and runs against the app: register → grant (admin) → redeem → history.
/// </summary>
public sealed class PartnerToolingTests(AppFixture app, ITestOutputHelper output) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task RedoclyLint_WithTheRecommendedRules_FindsNoErrors()
    {
        var tools = await ContractTools.DirectoryAsync();
        var folder = Directory.CreateTempSubdirectory("points-openapi-").FullName;
        try
        {
            var document = await ContractTools.WriteDocumentAsync(app.Client(apiKey: null), folder);

            var lint = await ContractTools.NodeAsync(ContractTools.Redocly,
                ["lint", "--config", Path.Combine(tools, "redocly.yaml"), "--format", "json", document], tools);

            using var report = JsonDocument.Parse(lint.Output);
            var problems = report.RootElement.GetProperty("problems").EnumerateArray()
                .Select(p => $"{p.GetProperty("severity").GetString()} {p.GetProperty("ruleId").GetString()} at "
                    + $"{p.GetProperty("location")[0].GetProperty("pointer").GetString()}: {p.GetProperty("message").GetString()}")
                .ToList();
            problems.ForEach(output.WriteLine);
            Assert.True(report.RootElement.GetProperty("totals").GetProperty("errors").GetInt32() == 0, string.Join(Environment.NewLine, problems));
            Assert.Equal(0, lint.ExitCode);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task GeneratedTypeScriptClient_RegistersGrantsRedeemsAndReadsTheHistory()
    {
        var work = await GenerateClientAsync();
        var memberId = Infrastructure.Api.NewMemberId();

        var check = await ContractTools.NodeAsync(ContractTools.TypeScript, ["--noEmit", "-p", "tsconfig.json"], work);
        Assert.True(check.ExitCode == 0, $"tsc --noEmit: {check}");
        var build = await ContractTools.NodeAsync(ContractTools.TypeScript, ["-p", "tsconfig.json"], work);
        Assert.True(build.ExitCode == 0, $"tsc: {build}");
        var run = await ContractTools.NodeAsync(Path.Combine(work, "out", "journey.js"), [], work, new Dictionary<string, string>
        {
            ["POINTS_BASE_URL"] = app.BaseAddress.ToString().TrimEnd('/'),
            ["POINTS_MEMBER_ID"] = memberId,
            ["POINTS_KEY_MEMBERS_WRITE"] = AppFixture.Keys["members:write"],
            ["POINTS_KEY_MEMBERS_READ"] = AppFixture.Keys["members:read"],
            ["POINTS_KEY_POINTS_WRITE"] = AppFixture.Keys["points:write"],
            ["POINTS_KEY_ADMIN"] = AppFixture.Keys["admin"],
        });
        output.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, $"node out/journey.js: {run}");

        var steps = run.Output.Split('\n').Where(line => line.StartsWith('{')).Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(step => step.GetProperty("step").GetString()!);
        Assert.Equal((201, 0), (Int(steps["register"], "status"), Int(steps["register"], "balance")));
        Assert.Equal((201, 500), (Int(steps["adjust"], "status"), Int(steps["adjust"], "balance")));
        Assert.Equal((201, 380, 120), (Int(steps["redeem"], "status"), Int(steps["redeem"], "balance"), Int(steps["redeem"], "consumed")));
        var retry = steps["redeem-retry"];
        Assert.Equal((201, 380, "true", true),
            (Int(retry, "status"), Int(retry, "balance"), retry.GetProperty("replayed").GetString(), retry.GetProperty("sameRedemption").GetBoolean()));
        Assert.Equal((422, "insufficient_points"), (Int(steps["redeem-refused"], "status"), steps["redeem-refused"].GetProperty("code").GetString()));
        var history = steps["history"];
        Assert.Equal(200, Int(history, "status"));
        Assert.Equal([("spend", -120, 380), ("adjust", 500, 500)],
            history.GetProperty("entries").EnumerateArray().Select(e => (e.GetProperty("type").GetString()!, Int(e, "points"), Int(e, "balanceAfter"))));
        Directory.Delete(work, recursive: true);
    }

    public static TheoryData<string, string, string> Mistakes => new()
    {
        // what, text of journey.ts, the mistake
        { "a misspelt request field", """body: { points: 500, reason: "welcome gift" }""", """body: { points: 500, reasn: "welcome gift" }""" },
        { "a misspelt response field", "balance: redeemed.data.balance,", "balance: redeemed.data.balanse," },
        { "a missing Idempotency-Key", """params: { path: { memberId }, header: { "Idempotency-Key": `grant-${memberId}` } },""", "params: { path: { memberId } }," },
        { "a purpose left out", """body: { points: 100_000, purpose: "other" }""", "body: { points: 100_000 }" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task GeneratedTypes_RefuseAProgramWithAMistake(string what, string text, string mistake)
    {
        var work = await GenerateClientAsync();
        var program = Path.Combine(work, "journey.ts");
        var source = await File.ReadAllTextAsync(program);
        Assert.Contains(text, source);
        await File.WriteAllTextAsync(program, source.Replace(text, mistake, StringComparison.Ordinal));

        var check = await ContractTools.NodeAsync(ContractTools.TypeScript, ["--noEmit", "-p", "tsconfig.json"], work);

        Assert.True(check.ExitCode != 0, $"tsc accepted {what}");
        Assert.Contains("journey.ts(", check.Output);
        Directory.Delete(work, recursive: true);
    }

    /// <summary>A work folder with the program, the served document and the types openapi-typescript generates from it.</summary>
    private async Task<string> GenerateClientAsync()
    {
        var work = await ContractTools.NewWorkFolderAsync();
        var document = await ContractTools.WriteDocumentAsync(app.Client(apiKey: null), work);
        var generate = await ContractTools.NodeAsync(ContractTools.OpenApiTypeScript, [document, "--output", Path.Combine(work, "points-api.d.ts")], work);
        Assert.True(generate.ExitCode == 0, $"openapi-typescript: {generate}");
        return work;
    }

    private static int Int(JsonElement element, string property) => element.GetProperty(property).GetInt32();
}

using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Points.Functions.Tests.Infrastructure;
using Points.Tools.Fuzzing;
using Xunit.Abstractions;

namespace Points.Functions.Tests.Platform;

/// <summary>The app with the fuzzer's view of its 5xx causes (<see cref="ServerErrorLog"/>).</summary>
public sealed class FuzzFixture : AppFixture
{
    public ServerErrorLog ServerErrors { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => ServerErrors.AddTo(services);
}

/// <summary>
/// Generated inputs (tools/Fuzzing) to every route and to the adjustments import, against the real app: no 5xx, every
/// 4xx problem+json with a documented code, every CSV result line with a known status and code. A fixed seed keeps
/// the run repeatable (POINTS_FUZZ_SEED picks another); <c>./points bench --fuzz</c> runs a million.
/// </summary>
public sealed class FuzzTests(FuzzFixture app, ITestOutputHelper output) : IClassFixture<FuzzFixture>
{
    public const int Inputs = 6_000;
    public const ulong DefaultSeed = 20261123;

    [Fact]
    public async Task GeneratedInputs_NeverGetA5xx_AndEvery4xxHasADocumentedCode()
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("POINTS_FUZZ_SEED"), out var chosen) ? chosen : DefaultSeed;
        var world = await FuzzWorld.PrepareAsync(app.Client(apiKey: null), AppFixture.AllScopesKey, app.Clock.GetUtcNow(), "t", [.. AppFixture.Keys.Values]);
        var fuzzer = new Fuzzer(app.BaseAddress, world, new BlobServiceClient(app.Emulators.StorageConnectionString), app.ServerErrors, csvPercent: 3);

        var report = await fuzzer.RunAsync(seed, start: 0, Inputs, concurrency: 16);

        output.WriteLine(report.Render());
        Assert.True(report.ViolationCount == 0, report.Render());
    }
}

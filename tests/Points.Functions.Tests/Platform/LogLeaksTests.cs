using Microsoft.Extensions.Logging;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Platform;

/// <summary>
/// The scan every log line of every test app goes through (<see cref="CapturedLogs"/>), shown to catch what it looks
/// for; this class's own app, after requests that carry keys, tokens and bodies, logs none of them; and no app of the
/// run so far leaked.
/// </summary>
public sealed class LogLeaksTests(AppFixture app) : IClassFixture<AppFixture>
{
    public static TheoryData<string, bool> Lines => new()
    {
        { "Information Points.Api: member m-1 redeemed 10", false },
        { "Warning X: key test-all-scopes-secret refused", true },
        { "Debug X: presented kaaaaaaaaaaaaaaaaaaaa.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde", true },
        { "Debug X: token cTF8bS0xfDE3MDAwMDAwMDB8MTcwMDAwMDMwMHxub25jZQ.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde", true },
        { """Error X: body {"points": 10, "reason": "x"}""", true },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void Scan_FindsKeysTokensAndBodies(string line, bool leak) =>
        Assert.Equal(leak, LogLeaks.Find([line], ["test-all-scopes-secret"]).Count > 0);

    [Fact]
    public async Task AppLogsAtEveryLevel_AreCaptured_AndCarryNoneOfTheRequestsSecrets()
    {
        var member = await app.Client().NewMemberAsync(points: 10);
        var token = (await app.Client().SendAsync(HttpMethod.Post, $"/api/v1/members/{member}/qr-token")).Body.GetProperty("token").GetString()!;
        await app.Client("wrong.key-" + token).GetMemberAsync(member);
        await app.Client().SendAsync(HttpMethod.Post, "/api/v1/store/transactions", new { qrToken = token, storeId = "s1", purchaseAmount = 100, pointsToUse = 1 }, "k-log");

        Assert.Contains(app.Logs.Lines, l => l.StartsWith("Debug", StringComparison.Ordinal) || l.StartsWith("Information", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(token, StringComparison.Ordinal));
        Assert.Empty(LogLeaks.Found);
    }

    [Fact]
    public void ALeakingLine_IsRecordedAndThrownAtTheCodeThatLogged()
    {
        var logs = new CapturedLogs(["s3cret-of-a-test"]);
        var logger = logs.CreateLogger("probe");
        var before = LogLeaks.Found.Count;
        Assert.Throws<InvalidOperationException>(() => logger.LogWarning("presented {Key}", "id.s3cret-of-a-test"));
        Assert.Equal(before + 1, LogLeaks.Found.Count);
        while (LogLeaks.Found.Count > before) LogLeaks.Found.TryDequeue(out _); // this one was planted
    }
}

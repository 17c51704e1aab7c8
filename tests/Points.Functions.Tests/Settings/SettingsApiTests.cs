using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Points.Functions.Settings;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Settings;

public sealed class SettingsApiTests(AppFixture app) : IClassFixture<AppFixture>
{
    /// <summary>Regression (found in review): the derived TimeZoneInfo was serialized into the answer and the stored document.</summary>
    [Fact]
    public async Task Settings_AreAnsweredAndStored_WithoutTheDerivedZone()
    {
        var put = await app.Client().PutSettingsAsync(new { timeZone = "Asia/Tokyo", yenPerPoint = 2 });
        Assert.Equal(HttpStatusCode.OK, put.Status);
        var get = await app.Client().SendAsync(HttpMethod.Get, "/api/v1/admin/settings");

        Assert.Equal(2, get.Long("yenPerPoint"));
        foreach (var answer in new[] { put.Body, get.Body })
        {
            Assert.False(answer.TryGetProperty("zone", out _), answer.GetRawText());
        }
        using var stored = await app.Service<CosmosStorage>().Config.ReadItemStreamAsync(ProgramSettingsStore.DocumentId, new PartitionKey(ProgramSettingsStore.DocumentId));
        using var document = await JsonDocument.ParseAsync(stored.Content);
        Assert.False(document.RootElement.GetProperty("settings").TryGetProperty("zone", out _), document.RootElement.GetRawText());
        await app.Client().PutSettingsAsync(new { timeZone = "Asia/Tokyo", yenPerPoint = 1 });
    }
}

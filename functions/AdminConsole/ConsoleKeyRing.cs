using System.Text.Json.Serialization;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Points.Functions.Storage;

namespace Points.Functions.AdminConsole;

/// <summary>
/// The Data Protection key ring (what signs anti-forgery tokens) in the <c>config</c> container, so that a form
/// rendered by one instance is accepted by another. Data Protection reads it at start and about once a day, and
/// writes a key about every 90 days: the synchronous interface it requires costs nothing on a request. The keys arrive
/// here already sealed (<see cref="SealedKeyRingXmlEncryptor"/>).
/// </summary>
public sealed class ConsoleKeyRing(CosmosStorage cosmos) : IXmlRepository
{
    public const string Partition = "console-keys";
    /// <summary>Keys kept: far more than Data Protection ever holds live (one per 90 days, plus revocations).</summary>
    private const int KeysMax = 200;

    private sealed record KeyDocument([property: JsonPropertyName("id")] string Id, string Pk, string Xml);

    public IReadOnlyCollection<XElement> GetAllElements() =>
        [.. CosmosStorage.ReadPartitionAsync<KeyDocument>(cosmos.Config, Partition, "true", CancellationToken.None).GetAwaiter().GetResult()
            .Take(KeysMax).Select(k => XElement.Parse(k.Xml))];

    public void StoreElement(XElement element, string friendlyName)
    {
        var id = "key-" + (friendlyName.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? friendlyName : Guid.NewGuid().ToString("N"));
        cosmos.Config.UpsertItemAsync(new KeyDocument(id, Partition, element.ToString(SaveOptions.DisableFormatting)),
            new Microsoft.Azure.Cosmos.PartitionKey(Partition)).GetAwaiter().GetResult();
    }
}

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
/// <para>
/// One document holds them all, read and written by id: no query, so the app's start (when Data Protection loads the
/// ring) asks the store nothing but a point read — a query there raced the first requests' queries of the same
/// container on the local Cosmos server, which answered one of them with a 404 "stale cache".
/// </para>
/// </summary>
public sealed class ConsoleKeyRing(CosmosStorage cosmos) : IXmlRepository
{
    /// <summary>The ring's one document: its id and its partition (as the program settings' document).</summary>
    public const string Partition = "console-keys";
    private const string DocumentId = Partition;
    /// <summary>Keys kept: far more than Data Protection ever holds live (one per 90 days, plus revocations); the oldest go first.</summary>
    private const int KeysMax = 100;

    private sealed record KeyRingDocument([property: JsonPropertyName("id")] string Id, string Pk, IReadOnlyList<string> Keys);

    public IReadOnlyCollection<XElement> GetAllElements() =>
        [.. (ReadAsync().GetAwaiter().GetResult().Document?.Keys ?? []).Select(XElement.Parse)];

    public void StoreElement(XElement element, string friendlyName)
    {
        var xml = element.ToString(SaveOptions.DisableFormatting);
        // Another instance may add a key at the same moment: the write is conditional, and retried on the newer ring.
        ConflictRetry.RunAsync(async _ =>
        {
            var (ring, etag) = await ReadAsync();
            var keys = (ring?.Keys ?? []).Append(xml).TakeLast(KeysMax).ToList();
            return (await CosmosStorage.TryWriteAsync(cosmos.Config, new KeyRingDocument(DocumentId, Partition, keys), DocumentId, Partition, etag, CancellationToken.None), true);
        }, _ => { }, () => new KeyRingContentionException(), CancellationToken.None).GetAwaiter().GetResult();
    }

    private sealed class KeyRingContentionException() : ContentionException("The console's key ring kept changing.");

    private Task<(KeyRingDocument? Document, string? ETag)> ReadAsync() =>
        CosmosStorage.ReadOrNullAsync<KeyRingDocument>(cosmos.Config, DocumentId, Partition, CancellationToken.None);
}

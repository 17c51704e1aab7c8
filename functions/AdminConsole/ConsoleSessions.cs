using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Points.Functions.Storage;

namespace Points.Functions.AdminConsole;

/// <summary>Who is signed in to the console: a name for the history's <c>actor</c> and where the identity came from.</summary>
/// <param name="Actor">Recorded on every entry the operator makes (<c>console:{who}</c>), never a secret.</param>
public sealed record ConsoleOperator(string Name, string Actor);

/// <summary>
/// Server-side console sessions (local sign-in with an admin key): the browser holds only a random token in an
/// HttpOnly cookie; the <c>config</c> container holds the session under the token's SHA-256, so neither the key nor a
/// usable token is ever stored. A session lasts <see cref="IdleTimeout"/> after its last use, at most
/// <see cref="Lifetime"/>; one point read per page.
/// </summary>
public sealed class ConsoleSessions(CosmosStorage cosmos, TimeProvider clock)
{
    public const string Partition = "console-sessions";
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(2);
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);
    /// <summary>A session's last use is written at most this often (a page view is otherwise a read only).</summary>
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(5);
    private const int TokenBytes = 32;

    private sealed record SessionDocument(
        [property: JsonPropertyName("id")] string Id, string Pk, string Name, string KeyId, DateTimeOffset CreatedAt, DateTimeOffset LastUsedAt,
        [property: JsonPropertyName("ttl")] int Ttl);

    /// <summary>Starts a session for the holder of an admin key; answers the token for the cookie.</summary>
    public async Task<string> StartAsync(string name, string keyId, CancellationToken cancellationToken)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(TokenBytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = clock.GetUtcNow();
        await cosmos.Config.CreateItemAsync(new SessionDocument(IdOf(token), Partition, name, keyId, now, now, (int)Lifetime.TotalSeconds),
            new Microsoft.Azure.Cosmos.PartitionKey(Partition), cancellationToken: cancellationToken);
        return token;
    }

    /// <summary>The operator of a live session, or null (unknown, idle too long, or too old).</summary>
    public async Task<ConsoleOperator?> FindAsync(string? token, CancellationToken cancellationToken)
    {
        if (token is not { Length: > 0 and <= 64 }) return null;
        var (session, etag) = await CosmosStorage.ReadOrNullAsync<SessionDocument>(cosmos.Config, IdOf(token), Partition, cancellationToken);
        var now = clock.GetUtcNow();
        // TTL ends sessions in Azure; the checks here end them exactly, and locally (the local server keeps every item).
        if (session is null || now - session.LastUsedAt > IdleTimeout || now - session.CreatedAt > Lifetime) return null;
        if (now - session.LastUsedAt > TouchEvery)
        {
            // Another tab may touch it at the same moment: either write keeps the session alive.
            await CosmosStorage.TryWriteAsync(cosmos.Config, session with { LastUsedAt = now }, session.Id, Partition, etag, cancellationToken);
        }
        return new ConsoleOperator(session.Name, $"console:{session.KeyId}");
    }

    public async Task EndAsync(string? token, CancellationToken cancellationToken)
    {
        if (token is { Length: > 0 and <= 64 }) await CosmosStorage.DeleteIfExistsAsync(cosmos.Config, IdOf(token), Partition, cancellationToken);
    }

    private static string IdOf(string token) => "session-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
}

using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace Points.Domain.Members;

/// <summary>
/// A member as the admins' member directory lists them (issue 17): what they search by. Kept as a small document per
/// member, written through the outbox of the commit that changed it; <see cref="Version"/> orders two writes of it.
/// </summary>
public sealed record DirectoryEntry(string MemberId, ImmutableArray<string> Tags, string Rank, string? StoreId, DateOnly JoinedOn, bool NewsletterOptIn, long Version)
{
    /// <summary>The directory's partitions: a member's is fixed by its id, so a search reads each once.</summary>
    public const int Buckets = 64;

    public static int BucketOf(string memberId) => SHA256.HashData(Encoding.UTF8.GetBytes(memberId))[0] % Buckets;

    public static DirectoryEntry Of(Member member, long version) =>
        new(member.Id.Value, [.. member.Profile.Tags], member.Earning.Rank, member.Profile.StoreId, member.Profile.JoinedOn, member.Profile.NewsletterOptIn, version);

    /// <summary>The same listing but for its version.</summary>
    public bool Lists(DirectoryEntry other) =>
        MemberId == other.MemberId && Tags.SequenceEqual(other.Tags) && Rank == other.Rank && StoreId == other.StoreId && JoinedOn == other.JoinedOn
        && NewsletterOptIn == other.NewsletterOptIn;
}

/// <summary>List the member in the directory as <paramref name="Entry"/> says (an outbox item; a later version wins).</summary>
public sealed record ListInDirectory(DirectoryEntry Entry) : OutboxItem
{
    public override string Id => "directory|" + Entry.Version;
}

public static class MemberDirectory
{
    /// <summary>
    /// The commit step: a new member, or one whose directory listing changed (tags, rank, store, join date, opt-in), is
    /// listed under the next version, recorded in <see cref="Member.DirectoryVersion"/>. Other commits cost nothing.
    /// </summary>
    public static (Member Member, IReadOnlyList<OutboxItem> Items) Derive(Member? before, Member after)
    {
        if (before is not null && DirectoryEntry.Of(before, 0).Lists(DirectoryEntry.Of(after, 0))) return (after, []);
        var version = after.DirectoryVersion + 1;
        return (after with { DirectoryVersion = version }, [new ListInDirectory(DirectoryEntry.Of(after, version))]);
    }
}

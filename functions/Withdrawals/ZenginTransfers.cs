using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Points.Domain.Primitives;
using Points.Domain.Withdrawals;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Functions.Withdrawals;

public sealed record TransferFileRequest(DateOnly? TransferOn);

/// <summary>One transfer of a file: whose withdrawal, and how many yen.</summary>
public sealed record FileTransfer(string MemberId, string WithdrawalId, long NetYen);

/// <summary>A Zengin transfer file as written, and whether its withdrawals were marked paid.</summary>
public sealed record TransferFile(string FileId, string BlobName, DateOnly TransferOn, int Transfers, long TotalYen, IReadOnlyList<FileTransfer> Items,
    DateTimeOffset CreatedAt, DateTimeOffset? PaidAt);

/// <summary>
/// Zengin 総合振込 files of approved withdrawals (F25): the file goes to <c>exports/zengin/</c>, its manifest to the
/// <c>jobs</c> container. A withdrawal goes into one unpaid file only, and is paid only if its record still says
/// approved when the file is written (the approved set is a hint). Bank numbers are opened only here, in memory.
/// </summary>
public sealed partial class ZenginTransfers(CosmosStorage cosmos, BlobStorage blobs, WithdrawalRecords records, BankAccounts accounts, MemberLedger ledger,
    TimeProvider clock, ILogger<ZenginTransfers> log)
{
    private const string Partition = "transfer-files";
    public const string Folder = "zengin/";

    private sealed record Manifest([property: JsonPropertyName("id")] string Id, string Pk, TransferFile File);

    /// <summary>Writes the file (or, for a retried request, answers the one it wrote).</summary>
    public async Task<(TransferFile File, bool Replayed)> CreateAsync(string idempotencyKey, ZenginConsignor consignor, DateOnly transferOn,
        CancellationToken cancellationToken)
    {
        var fileId = "zf" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..16];
        var (existing, _) = await CosmosStorage.ReadOrNullAsync<Manifest>(cosmos.Jobs, fileId, Partition, cancellationToken);
        if (existing is not null) return (existing.File, true);

        var inUnpaidFiles = (await CosmosStorage.ReadPartitionAsync<Manifest>(cosmos.Jobs, Partition, "true", cancellationToken))
            .Where(m => m.File.PaidAt is null).SelectMany(m => m.File.Items).Select(i => i.WithdrawalId).ToHashSet(StringComparer.Ordinal);
        var transfers = new List<(FileTransfer Item, ZenginTransfer Transfer)>();
        foreach (var listing in await records.ListAsync(WithdrawalRecords.ApprovedList, null, cancellationToken))
        {
            if (inUnpaidFiles.Contains(listing.Id) || !MemberId.TryParse(listing.MemberId, out var memberId)) continue;
            if (await records.ReadAsync(memberId, listing.Id, cancellationToken) is not { Status: WithdrawalStatus.Approved, BankAccount: { } bank } record) continue;
            transfers.Add((new FileTransfer(record.MemberId, record.WithdrawalId, record.NetYen),
                new ZenginTransfer(accounts.Open(bank, memberId), record.NetYen, record.WithdrawalId)));
        }
        transfers = [.. transfers.OrderBy(t => t.Item.WithdrawalId, StringComparer.Ordinal)];

        var blobName = $"{Folder}{CalendarText.DayOf(transferOn)}-{fileId}.txt";
        var bytes = ZenginFile.Encode(ZenginFile.Records(consignor, transferOn, [.. transfers.Select(t => t.Transfer)]));
        await blobs.Container(BlobContainers.Exports).GetBlobClient(blobName).UploadAsync(new BinaryData(bytes), overwrite: true, cancellationToken);
        var file = new TransferFile(fileId, $"{BlobContainers.Exports}/{blobName}", transferOn, transfers.Count, transfers.Sum(t => t.Item.NetYen),
            [.. transfers.Select(t => t.Item)], clock.GetUtcNow(), null);
        await cosmos.Jobs.UpsertItemAsync(new Manifest(fileId, Partition, file), new PartitionKey(Partition), cancellationToken: cancellationToken);
        LogWritten(fileId, file.Transfers, file.TotalYen);
        return (file, false);
    }

    /// <summary>The files written since <paramref name="since"/>, newest first (the console's list).</summary>
    public async Task<IReadOnlyList<TransferFile>> ListSinceAsync(DateTimeOffset since, CancellationToken cancellationToken) =>
        [.. (await CosmosStorage.ReadPartitionAsync<Manifest>(cosmos.Jobs, Partition, CosmosStorage.SinceFilter("c.file.createdAt", since), cancellationToken))
            .Select(m => m.File).OrderByDescending(f => f.CreatedAt)];

    /// <summary>Marks every withdrawal of the file paid (each idempotently); null when there is no such file.</summary>
    public async Task<TransferFile?> MarkPaidAsync(string fileId, string actor, CancellationToken cancellationToken)
    {
        var (manifest, _) = await CosmosStorage.ReadOrNullAsync<Manifest>(cosmos.Jobs, fileId, Partition, cancellationToken);
        if (manifest is null) return null;
        foreach (var item in manifest.File.Items)
        {
            var result = await ledger.ExecuteAsync(MemberId.Parse(item.MemberId), new MemberOperation(actor, $"paid:{fileId}:{item.WithdrawalId}", fileId,
                input => WithdrawalDecider.MarkPaid(input.Member, item.WithdrawalId, input.Context)));
            if (result is OperationResult.Rejected rejected) LogNotPaid(fileId, item.WithdrawalId, rejected.Reason.ToString());
        }
        var paid = manifest.File with { PaidAt = manifest.File.PaidAt ?? clock.GetUtcNow() };
        await cosmos.Jobs.UpsertItemAsync(manifest with { File = paid }, new PartitionKey(Partition), cancellationToken: cancellationToken);
        return paid;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Transfer file {FileId}: {Transfers} transfers, {TotalYen} yen")]
    private partial void LogWritten(string fileId, int transfers, long totalYen);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transfer file {FileId}: withdrawal {WithdrawalId} not marked paid ({Reason})")]
    private partial void LogNotPaid(string fileId, string withdrawalId, string reason);
}

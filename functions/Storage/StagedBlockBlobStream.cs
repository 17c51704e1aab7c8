using System.Text;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Points.Functions.Storage;

/// <summary>
/// Writes a block blob as blocks staged under this writer's own ids and replaces the blob's content only at
/// <see cref="CommitAsync"/>, in one Put Block List: until then, and for good when the writer fails, readers see the
/// blob as it was. (<c>OpenWriteAsync(overwrite: true)</c> empties the blob when opened and commits on dispose, failure
/// or not, so a delivery of an import that failed could leave an empty or partial result in place of a complete one.)
/// A commit by another writer of the same blob discards this writer's staged blocks; this writer's commit then fails,
/// which is right: it did not complete first. Memory: one block.
/// </summary>
/// <param name="conditions">Conditions of every write (a lease the blob is held under).</param>
public sealed class StagedBlockBlobStream(BlockBlobClient blob, BlobRequestConditions? conditions = null) : Stream
{
    /// <summary>Bytes per staged block (the size the SDK's own write stream buffers by default).</summary>
    public const int BlockBytes = 4 * 1024 * 1024;

    private readonly string _writer = Guid.NewGuid().ToString("N");
    private readonly List<string> _blocks = [];
    private readonly MemoryStream _block = new();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var taken = Math.Min(buffer.Length, BlockBytes - (int)_block.Length);
            _block.Write(buffer[..taken]);
            buffer = buffer[taken..];
            if (_block.Length == BlockBytes) StageAsync(async: false, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var taken = Math.Min(buffer.Length, BlockBytes - (int)_block.Length);
            _block.Write(buffer.Span[..taken]);
            buffer = buffer[taken..];
            if (_block.Length == BlockBytes) await StageAsync(async: true, cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Nothing to do: blocks are staged as they fill, and the blob changes only at <see cref="CommitAsync"/>.</summary>
    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stages what is left and makes the staged blocks the blob's content, at once.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (_block.Length > 0) await StageAsync(async: true, cancellationToken);
        await blob.CommitBlockListAsync(_blocks, new CommitBlockListOptions { Conditions = conditions }, cancellationToken);
    }

    private async ValueTask StageAsync(bool async, CancellationToken cancellationToken)
    {
        // Every id of a blob has the same length: this writer's id and the block's number.
        var id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{_writer}{_blocks.Count:D8}"));
        _block.Position = 0;
        var options = new BlockBlobStageBlockOptions { Conditions = conditions };
        if (async) await blob.StageBlockAsync(id, _block, options, cancellationToken);
        else blob.StageBlock(id, _block, options, cancellationToken);
        _blocks.Add(id);
        _block.SetLength(0);
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _block.Dispose();
        base.Dispose(disposing);
    }
}

namespace Points.Functions.Imports.Csv;

/// <summary>
/// The plumbing shared by the read-only, forward-only wrappers of this folder: every read overload funnels into
/// <see cref="Read(Span{byte})"/> or <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>.
/// Wrappers never dispose the stream they wrap: the caller that opened it owns it.
/// </summary>
internal abstract class ReadOnlyForwardStream : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public abstract override int Read(Span<byte> buffer);

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// Counts the bytes read from a file and rejects the file as soon as it passes <c>bytesMax</c>, so an oversized blob
/// is refused after reading just past the limit, whatever its declared length.
/// </summary>
internal sealed class ByteLimitedStream(Stream source, long bytesMax) : ReadOnlyForwardStream
{
    private long _bytesRead;

    public override int Read(Span<byte> buffer) => Count(source.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    private int Count(int read)
    {
        _bytesRead += read;
        if (_bytesRead > bytesMax)
        {
            throw new CsvFileRejectedException(new CsvFileError(
                CsvFileErrorCodes.FileTooLarge,
                $"The file is larger than {bytesMax:N0} bytes ({bytesMax / (1024.0 * 1024):0.#} MiB), the most one file may hold. Split it into smaller files."));
        }
        return read;
    }
}

/// <summary>
/// Returns bytes already taken from <paramref name="rest"/> (the encoding probe) before continuing with it, so the
/// probe works on non-seekable streams and no byte is read twice from storage.
/// </summary>
internal sealed class ReplayStream(ReadOnlyMemory<byte> replayed, Stream rest) : ReadOnlyForwardStream
{
    private ReadOnlyMemory<byte> _replayed = replayed;

    public override int Read(Span<byte> buffer) =>
        _replayed.IsEmpty ? rest.Read(buffer) : Replay(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _replayed.IsEmpty ? rest.ReadAsync(buffer, cancellationToken) : ValueTask.FromResult(Replay(buffer.Span));

    private int Replay(Span<byte> buffer)
    {
        var count = Math.Min(buffer.Length, _replayed.Length);
        _replayed.Span[..count].CopyTo(buffer);
        _replayed = _replayed[count..];
        return count;
    }
}

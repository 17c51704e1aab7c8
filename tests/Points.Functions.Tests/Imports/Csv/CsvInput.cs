using System.Text;
using Points.Functions.Imports.Csv;

namespace Points.Functions.Tests.Imports.Csv;

/// <summary>Builds the bytes of input files the way the tools admins use would save them.</summary>
internal static class CsvInput
{
    public const string Header = "member_id,points,kind,expires_on,reason,idempotency_key";

    public static Encoding ShiftJis { get; } = CodePagesEncodingProvider.Instance.GetEncoding(932)!;

    public static byte[] Utf8(string text, bool withBom = false) =>
        [.. (withBom ? Encoding.UTF8.Preamble : []), .. Encoding.UTF8.GetBytes(text)];

    public static byte[] InShiftJis(string text) => ShiftJis.GetBytes(text);

    /// <summary>Reads every outcome, through a non-seekable stream that hands out a few bytes per read.</summary>
    public static async Task<List<AdjustmentCsvOutcome>> ReadAllAsync(byte[] file, CsvImportLimits? limits = null)
    {
        var outcomes = new List<AdjustmentCsvOutcome>();
        await foreach (var outcome in new AdjustmentCsvReader(limits ?? CsvImportLimits.Default).ReadAsync(new TrickleStream(file)))
        {
            outcomes.Add(outcome);
        }
        return outcomes;
    }

    public static async Task<CsvFileError> RejectionOfAsync(byte[] file, CsvImportLimits? limits = null) =>
        (await Assert.ThrowsAsync<CsvFileRejectedException>(() => ReadAllAsync(file, limits))).Error;
}

/// <summary>A non-seekable stream over bytes that returns at most <c>chunkBytes</c> per read, like a network stream.</summary>
internal sealed class TrickleStream(byte[] content, int chunkBytes = 4093) : ReadOnlyForwardStream
{
    private int _position;

    public override int Read(Span<byte> buffer)
    {
        var count = Math.Min(Math.Min(buffer.Length, chunkBytes), content.Length - _position);
        content.AsSpan(_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));
}

/// <summary>
/// A non-seekable adjustments file of <c>rows</c> rows that is generated as it is read, never held whole, and
/// remembers how far it has been read: the test compares that with how far the reader has got.
/// </summary>
internal sealed class GeneratedAdjustmentsStream(int rows) : ReadOnlyForwardStream
{
    private byte[] _pending = Encoding.UTF8.GetBytes(CsvInput.Header + "\r\n");
    private int _pendingOffset;

    /// <summary>Rows handed out so far (in whole or in part).</summary>
    public int RowsGenerated { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        var written = 0;
        while (written < buffer.Length)
        {
            if (_pendingOffset == _pending.Length)
            {
                if (RowsGenerated == rows)
                {
                    break;
                }
                RowsGenerated++;
                _pending = Encoding.UTF8.GetBytes($"m{RowsGenerated:D7},{RowsGenerated % 999 + 1},,,ポイント調整 {RowsGenerated},\r\n");
                _pendingOffset = 0;
            }
            var count = Math.Min(buffer.Length - written, _pending.Length - _pendingOffset);
            _pending.AsSpan(_pendingOffset, count).CopyTo(buffer[written..]);
            _pendingOffset += count;
            written += count;
        }
        return written;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));
}

using System.Diagnostics;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Points.Functions.Storage;

namespace Points.Functions.Imports;

/// <summary>
/// The right to decide the rows of one import and write its result file: a lease on the result file, renewed while the
/// delivery runs and released at its end. Deliveries of one file run one at a time, because rows refused are not
/// recorded (a redelivery may apply them): two at once could each report a row as the other did not decide it (one
/// refuses a deduction the other then applies). Another delivery waits for the lease, then finds the first one's
/// receipt. Leases expire on the storage side, so a delivery whose instance died frees the file within
/// <see cref="Duration"/>.
/// </summary>
public sealed partial class ImportLease : IAsyncDisposable
{
    /// <summary>The shortest lease storage grants: a dead holder blocks the file this long at most.</summary>
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(250);
    /// <summary>How long a delivery waits for another one of the same file before it fails (the host delivers it again later).</summary>
    public static readonly TimeSpan WaitMax = TimeSpan.FromMinutes(2);

    private readonly BlobLeaseClient _lease;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewals;
    private readonly ILogger _log;

    private ImportLease(BlobLeaseClient lease, ILogger log)
    {
        (_lease, _log) = (lease, log);
        _renewals = RenewAsync();
    }

    /// <summary>Writes under the lease (the result file refuses writes without it).</summary>
    public BlobRequestConditions Conditions => new() { LeaseId = _lease.LeaseId };

    /// <summary>Takes the lease on <paramref name="result"/>, creating the file empty if there is none, waiting while another delivery holds it.</summary>
    /// <exception cref="ImportInProgressException">Another delivery held it for <see cref="WaitMax"/>.</exception>
    public static async Task<ImportLease> AcquireAsync(BlockBlobClient result, ILogger log, CancellationToken cancellationToken)
    {
        try
        {
            await result.UploadAsync(Stream.Null, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // The file exists (a result of an earlier delivery, or one being written under a lease).
        }
        var lease = result.GetBlobLeaseClient();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await lease.AcquireAsync(Duration, cancellationToken: cancellationToken);
                return new ImportLease(lease, log);
            }
            catch (RequestFailedException e) when (e.Status == 409 && waited.Elapsed < WaitMax)
            {
                await Task.Delay(PollEvery, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                throw new ImportInProgressException(result.Name);
            }
        }
    }

    private async Task RenewAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(RenewEvery, _stop.Token);
                await _lease.RenewAsync(cancellationToken: _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                // Tried again at the next tick; a lease that lapsed meanwhile makes the commit fail, and the delivery with it.
                LogRenewalFailed(_log, _lease.Uri.AbsolutePath, e.Status);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewals;
        _stop.Dispose();
        try
        {
            await _lease.ReleaseAsync();
        }
        catch (RequestFailedException e)
        {
            LogReleaseFailed(_log, _lease.Uri.AbsolutePath, e.Status); // It lapses by itself within the lease's duration.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import lease on {Blob}: renewal failed ({Status}); retried")]
    private static partial void LogRenewalFailed(ILogger log, string blob, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import lease on {Blob}: release failed ({Status}); it lapses by itself")]
    private static partial void LogReleaseFailed(ILogger log, string blob, int status);
}

/// <summary>Another delivery of the same file kept importing it: the host delivers this one again later, and it then finds the receipt.</summary>
public sealed class ImportInProgressException(string resultBlob)
    : ContentionException($"Another delivery held {resultBlob} for {ImportLease.WaitMax.TotalMinutes} minutes.");

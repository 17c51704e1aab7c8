using System.Diagnostics;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Points.Functions.Hosting;
using Points.Functions.Storage;

namespace Points.Benchmarks.Infrastructure;

/// <summary>What one measured run of an import (through the blob path or directly) did: rows, time, rows applied, memory, Cosmos traffic.</summary>
public sealed record ImportOutcome(int Rows, long Bytes, TimeSpan Elapsed, long Applied, MemorySampler Memory, TrafficSnapshot Traffic)
{
    public double RowsPerSecond => Rows / Elapsed.TotalSeconds;

    public object Describe() => new
    {
        Rows, Bytes, seconds = Elapsed.TotalSeconds, rowsPerSecond = RowsPerSecond, Applied,
        memory = Memory.Describe(),
        requests = Traffic.Total,
        breakdown = Traffic.Breakdown(),
    };

    public string MemoryNote =>
        $"peak {MemorySampler.MiB(Memory.PeakWorkingSet):0} MiB over a {MemorySampler.MiB(Memory.Baseline.WorkingSet):0} MiB floor (aggressive full GC first); " +
        $"managed heap after GC peak Δ {MemorySampler.MiB(Memory.PeakHeapAfterGcDelta):0.0} MiB" +
        (Memory.PeakAfterGen2Delta is { } live ? $" (after a gen2 GC {MemorySampler.MiB(live):0.0} MiB)" : "") +
        $", GC committed peak Δ {MemorySampler.MiB(Memory.PeakCommittedDelta):0.0} MiB, {Memory.Collections} GCs ({Memory.Gen2Collections} gen2); " +
        $"JIT {Memory.MethodsCompiled:N0} methods in {Memory.CompilationTime.TotalMilliseconds:N0} ms";
}

/// <summary>
/// Drives one CSV import through the blob path as the Functions host would: the file dropped in Azurite, found by the
/// local trigger runner, sent to the import function, streamed, validated, applied, its result written; measured from
/// the blob landing to its receipt.
/// </summary>
/// <param name="FunctionName">The import's function (its blob trigger's receipts are named after it).</param>
/// <param name="Prefix">Its folder under <c>imports/</c> and <c>results/</c>.</param>
/// <param name="StatusColumn">The result file's status column (0-based).</param>
public sealed record BlobImportRun(string FunctionName, string Prefix, int StatusColumn)
{
    public const int PollMilliseconds = 100;

    /// <summary>
    /// A declarations folder with the import's blob trigger only. The runner then does not also follow the ledger's
    /// change feed (<c>DispatchOutbox</c>): on Flex Consumption that trigger scales on instances of its own, so its work
    /// does not belong in the import's figures, and it would run on through the direct run that the import is compared with.
    /// </summary>
    public string DeclarationOnly()
    {
        var folder = Directory.CreateTempSubdirectory("points-bench-declarations-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, FunctionName));
        File.Copy(Path.Combine(FunctionDeclarations.DefaultDirectory, FunctionName, "function.json"), Path.Combine(folder, FunctionName, "function.json"));
        return folder;
    }

    /// <summary>The app settings that start the trigger runner on the import only.</summary>
    public void Configure(Dictionary<string, string?> settings)
    {
        settings["LocalTriggers:Enabled"] = "true";
        settings["LocalTriggers:BlobPollMilliseconds"] = PollMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["LocalTriggers:DeclarationsPath"] = DeclarationOnly();
    }

    /// <summary>
    /// Uploads the file under a staging name (not watched), then starts memory sampling and copies it server-side to
    /// the import's folder, where the trigger runner finds it; the import is over when its blob receipt exists. So
    /// neither building nor uploading the file is in the measured time or memory.
    /// </summary>
    public async Task<ImportOutcome> RunAsync(BenchApp app, BlobServiceClient blobs, byte[] content, string name, int rows)
    {
        var imports = blobs.GetBlobContainerClient(BlobContainers.Imports);
        var staged = imports.GetBlobClient("bench-staging/" + name);
        await staged.UploadAsync(new BinaryData(content), overwrite: true);
        var bytes = content.LongLength;
        var receipts = blobs.GetBlobContainerClient(BlobContainers.Hosts);
        var receiptPrefix = $"blobreceipts/local/{FunctionName}/{BlobContainers.Imports}/{Prefix}{name}/";

        var before = app.Traffic.Snapshot();
        var memory = MemorySampler.Start();
        var watch = Stopwatch.StartNew();
        var copy = await imports.GetBlobClient(Prefix + name).StartCopyFromUriAsync(staged.Uri);
        await copy.WaitForCompletionAsync();
        var deadline = DateTime.UtcNow.AddMinutes(30);
        while (!await AnyAsync(receipts.GetBlobsAsync(BlobTraits.None, BlobStates.None, receiptPrefix, CancellationToken.None)))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"No receipt for {name} after 30 minutes.");
            await Task.Delay(PollMilliseconds);
        }
        watch.Stop();
        await memory.DisposeAsync();
        var traffic = app.Traffic.Snapshot() - before;
        await staged.DeleteIfExistsAsync();

        var result = blobs.GetBlobContainerClient(BlobContainers.Results).GetBlobClient($"{Prefix}{name}.result.csv");
        long applied = 0;
        using (var reader = new StreamReader((await result.DownloadStreamingAsync()).Value.Content, Encoding.UTF8))
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                var cells = line.Split(',');
                if (cells.Length > StatusColumn && cells[StatusColumn] == "applied") applied++;
            }
        }
        return new ImportOutcome(rows, bytes, watch.Elapsed, applied, memory, traffic);
    }

    private static async Task<bool> AnyAsync<T>(IAsyncEnumerable<T> items)
    {
        await foreach (var _ in items) return true;
        return false;
    }
}

/// <summary>The figures every import scenario reports: the blob path against the direct service, and memory flat in the rows.</summary>
public static class ImportFigures
{
    public const double RatioTarget = 0.8;
    public const double MemoryRatioTarget = 1.2;

    /// <param name="noun">What a row is, for the labels ("rows", "members").</param>
    /// <param name="fileNote">Said of the large file (its size and encoding).</param>
    public static IReadOnlyList<Figure> Compare(string scenario, string noun, ImportOutcome small, ImportOutcome large, ImportOutcome direct, int inFlight, string fileNote) =>
    [
        Figure.Context(scenario, $"import {large.Rows:N0} {noun}: rows/s", large.RowsPerSecond, "/s",
            $"{large.Elapsed.TotalSeconds:0.0} s from the blob landing to its receipt; {fileNote}"),
        Figure.Context(scenario, $"direct {direct.Rows:N0} {noun}: rows/s", direct.RowsPerSecond, "/s", $"{direct.Elapsed.TotalSeconds:0.0} s, {inFlight} in flight"),
        Figure.AtLeast(scenario, "import rows/s ÷ direct rows/s", large.RowsPerSecond / direct.RowsPerSecond, "ratio", RatioTarget,
            $"Cosmos requests per row: import {(double)large.Traffic.Total / large.Rows:0.00}, direct {(double)direct.Traffic.Total / direct.Rows:0.00}"),
        Figure.Context(scenario, $"peak working set Δ, {small.Rows:N0} {noun}", MemorySampler.MiB(small.Memory.PeakWorkingSetDelta), "MiB", small.MemoryNote),
        Figure.Context(scenario, $"peak working set Δ, {large.Rows:N0} {noun}", MemorySampler.MiB(large.Memory.PeakWorkingSetDelta), "MiB", large.MemoryNote),
        Figure.Below(scenario, "peak working set Δ: large ÷ small", MemoryRatio(small, large), "ratio", MemoryRatioTarget,
            $"GC committed peak Δ: large ÷ small = {(double)large.Memory.PeakCommittedDelta / Math.Max(1, small.Memory.PeakCommittedDelta):0.00}"),
    ];

    public static double MemoryRatio(ImportOutcome small, ImportOutcome large) =>
        (double)large.Memory.PeakWorkingSetDelta / Math.Max(1, small.Memory.PeakWorkingSetDelta);
}

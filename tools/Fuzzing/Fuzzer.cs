using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using FsCheck;
using FsCheck.Fluent;
using Points.Functions.Api;
using Points.Functions.Imports.Csv;

namespace Points.Tools.Fuzzing;

/// <summary>
/// Sends generated inputs to the real app and checks every answer: no 5xx, and every 4xx an
/// <c>application/problem+json</c> whose <c>code</c> is documented (<see cref="Problems.Codes"/>) and matches its
/// <c>type</c> and <c>status</c>. A CSV file is dropped at <c>imports/adjustments/fuzz/…</c> and imported as the blob
/// trigger does: the invocation must succeed and every line of its result must have a known status and code.
/// Input <c>i</c> of a run is generated from the run's seed and <c>i</c> alone, so any failing input can be produced
/// again (<see cref="FuzzReplay"/>).
/// </summary>
public sealed class Fuzzer(Uri baseAddress, FuzzWorld world, BlobServiceClient? blobs, ServerErrorLog? serverErrors, int csvPercent = 2)
{
    /// <summary>Sizes cycle through 1..this (larger sizes: more mutations, longer lists).</summary>
    public const int SizeMax = 100;
    /// <summary>Failing inputs kept in full for the report; the rest are only counted.</summary>
    public const int ViolationsKeptMax = 20;

    private static readonly HashSet<string> DocumentedCodes = [.. Problems.Codes];
    private static readonly HashSet<string> ResultStatuses = [ImportRowStatus.Applied, ImportRowStatus.Duplicate, ImportRowStatus.Rejected, ImportRowStatus.Invalid];
    private static readonly HashSet<string> CsvCodes =
    [
        .. typeof(CsvRowErrorCodes).GetFields().Select(f => (string)f.GetValue(null)!),
        .. typeof(CsvFileErrorCodes).GetFields().Select(f => (string)f.GetValue(null)!),
        .. Problems.Codes, "duplicate",
    ];

    private readonly Gen<FuzzInput> _inputs = new FuzzGenerators(world, csvPercent).Input;

    /// <summary>Input <paramref name="index"/> of the run with <paramref name="seed"/>.</summary>
    public FuzzInput Generate(ulong seed, long index)
    {
        var size = 1 + (int)(index % SizeMax);
        var input = _inputs.Sample(1, new Rnd(Mix(seed, (ulong)index)), size).Single(); // (samples, seed, size)
        return input with { Replay = new FuzzReplay(seed, index, size) };
    }

    /// <summary>Inputs <paramref name="start"/>..start+count-1 of the run with <paramref name="seed"/>, <paramref name="concurrency"/> at a time.</summary>
    /// <param name="report">A report to add to (a run in several rounds); a new one by default.</param>
    public async Task<FuzzReport> RunAsync(ulong seed, long start, long count, int concurrency, Action<string>? progress = null,
        FuzzReport? report = null, CancellationToken cancellationToken = default)
    {
        report ??= new FuzzReport(seed, start, count);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency * 2,
            AllowAutoRedirect = false,
            Expect100ContinueTimeout = TimeSpan.FromSeconds(10),
        }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(3) };
        var watch = Stopwatch.StartNew();
        long done = 0;
        await Parallel.ForEachAsync(LongRange(start, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                var input = Generate(seed, index);
                switch (input)
                {
                    case HttpFuzzInput request:
                        await SendAsync(http, request, report, ct);
                        break;
                    case CsvFuzzInput file:
                        await ImportAsync(http, file, report, ct);
                        break;
                }
                var finished = Interlocked.Increment(ref done);
                if (progress is not null && finished % 10_000 == 0)
                {
                    progress($"{finished:N0} of {count:N0} inputs, {finished / watch.Elapsed.TotalSeconds:N0}/s, violations {report.ViolationCount}, "
                        + $"known ledger overflows {report.KnownOverflowCount}");
                }
            });
        report.Elapsed += watch.Elapsed;
        return report;
    }

    private async Task SendAsync(HttpClient http, HttpFuzzInput input, FuzzReport report, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        string text;
        try
        {
            using var request = new HttpRequestMessage(new HttpMethod(input.Method), input.PathAndQuery);
            if (input.Body is not null || input.Headers.Any(h => h.Name == "Content-Type"))
            {
                var body = input.Body ?? [];
                request.Content = input.Chunked ? new StreamContent(new UnknownLengthStream(body)) : new ByteArrayContent(body);
                if (body.Length > 64 * 1024) request.Headers.ExpectContinue = true;
            }
            foreach (var (name, value) in input.Headers)
            {
                if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase)) request.Content?.Headers.TryAddWithoutValidation(name, value);
                else request.Headers.TryAddWithoutValidation(name, value);
            }
            response = await http.SendAsync(request, cancellationToken);
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            report.Count(input, "no answer");
            report.Violation(input, 0, null, $"no answer within {http.Timeout.TotalMinutes:0} minutes", "");
            return;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or UriFormatException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            // The client could not send it or the connection closed under a large upload: not an answer of the app.
            report.Count(input, "unsent " + e.GetType().Name);
            report.Unsent(input, e);
            return;
        }
        using (response)
        {
            Check(input, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, report);
        }
    }

    private void Check(FuzzInput input, int status, string? mediaType, string text, FuzzReport report)
    {
        string? code = null;
        if (mediaType == Problems.ContentType)
        {
            try
            {
                using var problem = JsonDocument.Parse(text);
                var root = problem.RootElement;
                code = root.TryGetProperty("code", out var c) ? c.GetString() : null;
                if (root.TryGetProperty("status", out var s) && s.GetInt32() != status || !root.TryGetProperty("type", out var type)
                    || type.GetString() != $"https://points.example/problems/{code}")
                {
                    report.Violation(input, status, code, "problem+json whose status or type does not match its code", text);
                }
            }
            catch (JsonException)
            {
                report.Violation(input, status, null, "problem+json that is not JSON", text);
            }
        }
        report.Count(input, $"{status} {code ?? "-"}");
        if (status >= 500)
        {
            var cause = serverErrors?.Find(CorrelationIdOf(text) ?? "");
            if (KnownIssues.IsLedgerAmountOverflow(cause)) report.KnownOverflow(input, status, cause!);
            else report.Violation(input, status, code, cause is null ? "5xx" : $"5xx: {cause.GetType().Name}: {cause.Message}\n{Frames(cause)}", text);
        }
        else if (status >= 400)
        {
            if (mediaType != Problems.ContentType) report.Violation(input, status, code, $"4xx as {mediaType ?? "no content type"}, not problem+json", text);
            else if (code is null || !DocumentedCodes.Contains(code)) report.Violation(input, status, code, "4xx with an undocumented code", text);
        }
    }

    private async Task ImportAsync(HttpClient http, CsvFuzzInput input, FuzzReport report, CancellationToken cancellationToken)
    {
        if (blobs is null) return;
        var name = $"fuzz/{input.Replay.Seed}-{input.Replay.Index}.csv";
        await blobs.GetBlobContainerClient(BlobContainersNames.Imports).GetBlobClient("adjustments/" + name)
            .UploadAsync(new BinaryData(input.File), overwrite: true, cancellationToken);
        // The host's payload (facts §1.4): the blob inline (the app skips it and streams by name) and its name in Metadata.
        var payload = JsonSerializer.Serialize(new { Data = new { blob = Convert.ToBase64String(input.File) }, Metadata = new { name = JsonSerializer.Serialize(name) } });
        using var response = await http.PostAsync("/ImportAdjustments", new StringContent(payload, Encoding.UTF8, "application/json"), cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            Check(input, status, response.Content.Headers.ContentType?.MediaType, text, report);
            return;
        }
        if (!response.IsSuccessStatusCode)
        {
            report.Count(input, $"import {status}");
            report.Violation(input, status, null, "the import of a readable blob failed", text);
            return;
        }
        var result = (await blobs.GetBlobContainerClient(BlobContainersNames.Results).GetBlobClient($"adjustments/{name}.result.csv")
            .DownloadContentAsync(cancellationToken)).Value.Content.ToString().TrimStart('\uFEFF');
        var lines = ResultCsv.Parse(result);
        if (lines.Count == 0 || !lines[0].SequenceEqual(["row", "member_id", "points", "status", "code", "message", "balance_after"]))
        {
            report.Violation(input, status, null, "a result file without its header", result);
            return;
        }
        foreach (var line in lines.Skip(1))
        {
            var lineStatus = line.Count > 3 ? line[3] : "";
            var codes = line.Count > 4 ? line[4].Split(';', StringSplitOptions.RemoveEmptyEntries) : [];
            foreach (var lineCode in codes.Length == 0 ? ["-"] : codes.Distinct(StringComparer.Ordinal)) report.Count(input, $"csv {lineStatus} {lineCode}");
            if (line.Count != 7 || !ResultStatuses.Contains(lineStatus))
                report.Violation(input, status, null, "a result line of unknown shape or status", string.Join(',', line));
            else if (lineStatus != ImportRowStatus.Applied && (codes.Length == 0 || codes.Any(c => !CsvCodes.Contains(c)) || line[5].Length == 0))
                report.Violation(input, status, null, "a result line without a known code or a message", string.Join(',', line));
        }
        if (lines.Count == 1) report.Violation(input, status, null, "a result file that says nothing", result);
    }

    private static string? CorrelationIdOf(string problem)
    {
        const string marker = "Correlation id ";
        var at = problem.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return null;
        var id = problem[(at + marker.Length)..];
        var end = id.IndexOfAny(['.', '"']);
        return end < 0 ? id : id[..end];
    }

    private static string Frames(Exception error) =>
        string.Join('\n', (error.StackTrace ?? "").Split('\n').Where(f => f.Contains("Points.", StringComparison.Ordinal)).Take(6).Select(f => "    " + f.Trim()));

    private static IEnumerable<long> LongRange(long start, long count)
    {
        for (var i = start; i < start + count; i++) yield return i;
    }

    /// <summary>SplitMix64 of seed and index: independent streams per input.</summary>
    private static ulong Mix(ulong seed, ulong index)
    {
        var z = seed + (index + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The container names of csv.md.</summary>
    private static class BlobContainersNames
    {
        public const string Imports = "imports";
        public const string Results = "results";
    }

    /// <summary>A stream that hides its length, so the body goes chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

/// <summary>What a run saw: answers counted by status and code, the violations (the first in full), the known overflows.</summary>
public sealed class FuzzReport(ulong seed, long start, long count)
{
    private readonly ConcurrentDictionary<string, long> _byOutcome = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Target, string Status), long> _byTarget = new();
    private readonly ConcurrentQueue<string> _unsent = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private long _violationCount, _overflowCount;
    private string? _overflowExample;

    public ulong Seed { get; } = seed;
    public long Start { get; } = start;
    public long Inputs { get; } = count;
    public TimeSpan Elapsed { get; set; }
    public long ViolationCount => Interlocked.Read(ref _violationCount);
    public long KnownOverflowCount => Interlocked.Read(ref _overflowCount);
    public IReadOnlyDictionary<string, long> ByOutcome => _byOutcome;
    public IReadOnlyDictionary<(string Target, string Status), long> ByTarget => _byTarget;
    public IEnumerable<string> Violations => _violations;

    /// <summary>HTTP answers with a 5xx status (known overflows included).</summary>
    public long ServerErrors => _byOutcome.Where(o => o.Key.Length > 0 && o.Key[0] == '5').Sum(o => o.Value);

    internal void Count(FuzzInput input, string outcome)
    {
        _byOutcome.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        if (!outcome.StartsWith("csv ", StringComparison.Ordinal)) _byTarget.AddOrUpdate((input.Target, outcome.Split(' ')[0]), 1, (_, n) => n + 1);
    }

    /// <summary>An input the client could not send, or whose connection closed before the answer (a large upload refused early).</summary>
    internal void Unsent(FuzzInput input, Exception error)
    {
        if (_unsent.Count < 5) _unsent.Enqueue($"{error.GetType().Name}: {error.Message} ({input.Replay}; {input.Describe().Split('\n')[0]})");
    }

    internal void Violation(FuzzInput input, int status, string? code, string what, string answer)
    {
        if (Interlocked.Increment(ref _violationCount) > Fuzzer.ViolationsKeptMax) return;
        _violations.Enqueue($"{what} (answer {status} {code ?? "-"})\n  {input.Replay}\n  {input.Describe().Replace("\n", "\n  ", StringComparison.Ordinal).TrimEnd()}\n  answer: {FuzzInput.Escape(answer, 1_000)}");
    }

    internal void KnownOverflow(FuzzInput input, int status, Exception cause)
    {
        if (Interlocked.Increment(ref _overflowCount) == 1)
        {
            _overflowExample = $"{status} from {cause.GetType().Name}: {cause.Message}\n  {input.Replay}\n  {input.Describe().Replace("\n", "\n  ", StringComparison.Ordinal).TrimEnd()}";
        }
    }

    /// <summary>The report as text: counts by status and code, by target, then the violations.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        var http = _byOutcome.Where(o => !o.Key.StartsWith("csv ", StringComparison.Ordinal)).Sum(o => o.Value);
        text.Append(CultureInfo.InvariantCulture, $"Fuzz: seed {Seed}, inputs {Start:N0}..{Start + Inputs - 1:N0} ({Inputs:N0}) in {Elapsed.TotalSeconds:N1} s ({Inputs / Math.Max(Elapsed.TotalSeconds, 0.001):N0}/s)\n");
        text.Append(CultureInfo.InvariantCulture, $"  answers: {http:N0}; 5xx: {ServerErrors:N0}; violations: {ViolationCount:N0}\n");
        if (KnownOverflowCount > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"  known ledger amount overflows (amount_too_large / balance_limit_exceeded, fixed in the domain elsewhere): {KnownOverflowCount:N0}; first:\n  {_overflowExample}\n");
        }
        text.Append("  by status and code:\n");
        foreach (var (outcome, n) in _byOutcome.OrderBy(o => o.Key, StringComparer.Ordinal)) text.Append(CultureInfo.InvariantCulture, $"    {outcome,-48} {n,12:N0}\n");
        text.Append("  by target and status:\n");
        foreach (var target in _byTarget.GroupBy(t => t.Key.Target).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"    {target.Key,-48} {string.Join("  ", target.OrderBy(t => t.Key.Status, StringComparer.Ordinal).Select(t => $"{t.Key.Status}×{t.Value:N0}"))}\n");
        }
        foreach (var unsent in _unsent) text.Append("  unsent (not an answer of the app): ").Append(unsent).Append('\n');
        foreach (var violation in _violations) text.Append("VIOLATION ").Append(violation).Append('\n');
        return text.ToString();
    }
}

/// <summary>Reads a result file (RFC 4180: quoted fields, doubled quotes, CRLF).</summary>
internal static class ResultCsv
{
    public static List<List<string>> Parse(string text)
    {
        var lines = new List<List<string>>();
        var line = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { line.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                line.Add(field.ToString());
                field.Clear();
                lines.Add(line);
                line = [];
                i++;
            }
            else field.Append(c);
        }
        if (field.Length > 0 || line.Count > 0)
        {
            line.Add(field.ToString());
            lines.Add(line);
        }
        return lines;
    }
}

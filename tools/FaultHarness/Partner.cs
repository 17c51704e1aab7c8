using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Points.Functions.Storage;

namespace Points.Tools.FaultHarness;

/// <summary>One answer the partner got: the status (0 when no answer came), the body, the problem code, whether it was a replay.</summary>
public sealed record Answer(int Status, string Body, string? Code, bool Replayed, long SentAt, long ReceivedAt, bool FaultsOn)
{
    public bool IsSuccess => Status is >= 200 and < 300;
    /// <summary>2xx or 4xx: retrying the same request would not change the outcome (or would replay it).</summary>
    public bool IsDefinitive => Status is >= 200 and < 500;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public override string ToString() => Status == 0 ? $"no answer ({Body})" : $"{Status}{(Code is null ? "" : " " + Code)}";
}

/// <summary>
/// A well-behaved partner: sends a request, and on a 5xx or no answer sends the same request again (same key, same body)
/// after a short pause, a bounded number of times. Every answer is recorded. Requests hold the clock gate open.
/// </summary>
public sealed class Partner(HttpClient http, ClockGate gate, FaultPlan plan)
{
    /// <summary>Attempts while faults are on; a request still failing then is settled once faults are off.</summary>
    public const int AttemptsUnderFaultsMax = 6;
    /// <summary>Attempts once faults are off: nothing should fail any more.</summary>
    public const int AttemptsWithoutFaultsMax = 3;
    private const int PauseMillisecondsMax = 20;

    private long _requests;

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Sends until a definitive answer or the attempts are spent; returns the last answer.</summary>
    public async Task<Answer> SendAsync(HttpMethod method, string path, object? body, string? key, ICollection<Answer> log)
    {
        Answer answer = null!;
        var attempts = plan.Active ? AttemptsUnderFaultsMax : AttemptsWithoutFaultsMax;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            answer = await SendOnceAsync(method, path, body is null ? null : JsonContent.Create(body, options: JsonDefaults.Options), key);
            lock (log) log.Add(answer);
            if (!answer.IsDefinitive) plan.Note($"partner requests answered {(answer.Status == 0 ? "nothing" : answer.Status.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
            if (answer.IsDefinitive) return answer;
            await Task.Delay(1 + plan.Pick($"pause|{path}|{key}|{attempt}", 0, PauseMillisecondsMax));
        }
        return answer;
    }

    /// <summary>One request exactly as given (a trigger invocation's payload), no retry.</summary>
    public Task<Answer> InvokeAsync(string function, string payload) =>
        SendOnceAsync(HttpMethod.Post, "/" + function, new StringContent(payload, Encoding.UTF8, "application/json"), null);

    private async Task<Answer> SendOnceAsync(HttpMethod method, string path, HttpContent? content, string? key)
    {
        Interlocked.Increment(ref _requests);
        var faultsOn = plan.Active;
        using var entered = await gate.EnterAsync();
        var sentAt = Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(method, path) { Content = content };
            if (key is not null) request.Headers.Add("Idempotency-Key", key);
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            string? code = null;
            if (text.StartsWith('{') && (int)response.StatusCode >= 400)
            {
                using var problem = JsonDocument.Parse(text);
                code = problem.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
            }
            return new Answer((int)response.StatusCode, text, code, response.Headers.Contains("Idempotent-Replayed"), sentAt, Stopwatch.GetTimestamp(), faultsOn);
        }
        catch (HttpRequestException e)
        {
            return new Answer(0, e.Message, null, false, sentAt, Stopwatch.GetTimestamp(), faultsOn);
        }
    }
}

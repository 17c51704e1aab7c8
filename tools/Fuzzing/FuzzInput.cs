using System.Globalization;
using System.Text;

namespace Points.Tools.Fuzzing;

/// <summary>One input the fuzzer sends: an HTTP request to a route, or a CSV file dropped for the adjustments import.</summary>
public abstract record FuzzInput
{
    private protected FuzzInput() { }

    /// <summary>What produced it: the same seed, index and size produce it again (<see cref="FuzzReplay"/>).</summary>
    public FuzzReplay Replay { get; init; } = new(0, 0, 0);

    /// <summary>The route or file kind, for the counts (<c>POST /api/v1/events</c>, <c>CSV</c>).</summary>
    public abstract string Target { get; }

    /// <summary>The input written out, so that it can be sent again by hand: method, path, headers and body (escaped).</summary>
    public abstract string Describe();

    /// <summary>Text with every non-printable character escaped, cut at <paramref name="charsMax"/>.</summary>
    internal static string Escape(string text, int charsMax = 4_000)
    {
        var shown = new StringBuilder();
        foreach (var c in text.Length > charsMax ? text[..charsMax] : text)
        {
            if (c is '\\') shown.Append("\\\\");
            else if (char.IsControl(c) || char.IsSurrogate(c) || c is '\uFEFF' or '\u2028' or '\u2029' or '\u202E')
                shown.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else shown.Append(c);
        }
        if (text.Length > charsMax) shown.Append(CultureInfo.InvariantCulture, $"… ({text.Length:N0} chars in all)");
        return shown.ToString();
    }

    /// <summary>Bytes as UTF-8 text when they are (escaped), otherwise as hex.</summary>
    internal static string Show(byte[] bytes)
    {
        try
        {
            return "utf-8: " + Escape(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes));
        }
        catch (DecoderFallbackException)
        {
            var cut = bytes.Length > 2_000 ? bytes[..2_000] : bytes;
            return $"hex ({bytes.Length:N0} bytes): {Convert.ToHexString(cut)}{(cut.Length < bytes.Length ? "…" : "")}";
        }
    }
}

/// <summary>An HTTP request to the app.</summary>
/// <param name="Route">The route it aims at, as mapped (<c>PUT /api/v1/admin/rules/{ruleId}</c>), or <c>unknown</c>.</param>
/// <param name="Chunked">Sent without a Content-Length.</param>
public sealed record HttpFuzzInput(string Route, string Method, string PathAndQuery, IReadOnlyList<(string Name, string Value)> Headers, byte[]? Body,
    bool Chunked) : FuzzInput
{
    public override string Target => Route;

    public override string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Method} {Escape(PathAndQuery)}\n");
        foreach (var (name, value) in Headers) text.Append(CultureInfo.InvariantCulture, $"{name}: {Escape(value)}\n");
        if (Body is not null) text.Append(CultureInfo.InvariantCulture, $"body ({Body.Length:N0} bytes{(Chunked ? ", chunked" : "")}) {Show(Body)}\n");
        return text.ToString();
    }
}

/// <summary>A file dropped at <c>imports/adjustments/…</c> and imported as the blob trigger does.</summary>
/// <param name="Shape">What the generator made of it (encoding, line ends, rows), for the report.</param>
public sealed record CsvFuzzInput(string Shape, byte[] File) : FuzzInput
{
    public override string Target => "CSV imports/adjustments";

    public override string Describe() => $"CSV file, {Shape}, {File.Length:N0} bytes, {Show(File)}\n";
}

/// <summary>How to produce an input again: the run's seed, the input's index in the run, and the size it was generated at.</summary>
public sealed record FuzzReplay(ulong Seed, long Index, int Size)
{
    public override string ToString() =>
        $"seed {Seed} index {Index} size {Size} (replay: ./points bench --fuzz --seed {Seed} --start {Index} --count 1)";
}

using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Points.Tools.Fuzzing;

/// <summary>
/// JSON as the fuzzer writes it: any shape, including what no serializer produces: a property twice, numbers beyond
/// every type (<see cref="Lit"/> is written as given), raw control characters inside a string, lone surrogates.
/// </summary>
public abstract record JsonText
{
    private JsonText() { }

    public sealed record Obj(ImmutableList<(string Name, JsonText Value)> Properties) : JsonText;

    public sealed record Arr(ImmutableList<JsonText> Items) : JsonText;

    /// <param name="Raw">Written without escaping: control characters and quotes as they are (invalid JSON).</param>
    public sealed record Str(string Value, bool Raw = false) : JsonText;

    /// <summary>A number, <c>true</c>, <c>false</c>, <c>null</c> or any other text, exactly as written.</summary>
    public sealed record Lit(string Text) : JsonText;

    public static readonly JsonText Null = new Lit("null");

    public static Obj Object(params (string Name, JsonText Value)[] properties) => new([.. properties]);

    public static Arr Array(params JsonText[] items) => new([.. items]);

    public static Lit Number(long value) => new(value.ToString(CultureInfo.InvariantCulture));

    public static Lit Bool(bool value) => new(value ? "true" : "false");

    public static implicit operator JsonText(string value) => new Str(value);

    public static implicit operator JsonText(long value) => Number(value);

    /// <summary>How many values the tree holds (itself included): what <see cref="Replace"/> counts by.</summary>
    public int Count => this switch
    {
        Obj o => 1 + o.Properties.Sum(p => p.Value.Count),
        Arr a => 1 + a.Items.Sum(i => i.Count),
        _ => 1,
    };

    /// <summary>The value at <paramref name="index"/> in depth-first order (0 = this one) replaced by what <paramref name="change"/> makes of it.</summary>
    public JsonText Replace(int index, Func<JsonText, JsonText> change)
    {
        if (index == 0) return change(this);
        var offset = 1;
        switch (this)
        {
            case Obj o:
                for (var i = 0; i < o.Properties.Count; i++)
                {
                    var count = o.Properties[i].Value.Count;
                    if (index < offset + count) return new Obj(o.Properties.SetItem(i, (o.Properties[i].Name, o.Properties[i].Value.Replace(index - offset, change))));
                    offset += count;
                }
                break;
            case Arr a:
                for (var i = 0; i < a.Items.Count; i++)
                {
                    var count = a.Items[i].Count;
                    if (index < offset + count) return new Arr(a.Items.SetItem(i, a.Items[i].Replace(index - offset, change)));
                    offset += count;
                }
                break;
        }
        return this;
    }

    /// <summary>The JSON text (records write their own ToString, so it has a name of its own).</summary>
    public string Write()
    {
        var text = new StringBuilder();
        WriteTo(text);
        return text.ToString();
    }

    public void WriteTo(StringBuilder text)
    {
        switch (this)
        {
            case Obj o:
                text.Append('{');
                for (var i = 0; i < o.Properties.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    WriteString(text, o.Properties[i].Name, raw: false);
                    text.Append(':');
                    o.Properties[i].Value.WriteTo(text);
                }
                text.Append('}');
                break;
            case Arr a:
                text.Append('[');
                for (var i = 0; i < a.Items.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    a.Items[i].WriteTo(text);
                }
                text.Append(']');
                break;
            case Str s:
                WriteString(text, s.Value, s.Raw);
                break;
            case Lit l:
                text.Append(l.Text);
                break;
        }
    }

    /// <summary>JSON string escapes; a surrogate that is not half of a pair is written as its <c>\uXXXX</c> escape (UTF-8 cannot carry it).</summary>
    private static void WriteString(StringBuilder text, string value, bool raw)
    {
        text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                text.Append(c).Append(value[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else if (raw)
            {
                text.Append(c);
            }
            else if (c is '"' or '\\')
            {
                text.Append('\\').Append(c);
            }
            else if (c < 0x20)
            {
                text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(c);
            }
        }
        text.Append('"');
    }
}

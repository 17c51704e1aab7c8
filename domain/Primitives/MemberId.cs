namespace Points.Domain.Primitives;

/// <summary>
/// The partner's own identifier of a member: 1–64 characters of <c>[A-Za-z0-9._-]</c> (api.md).
/// Construct with <see cref="TryParse"/> at the edge; the constructor trusts its input shape only after checking it.
/// </summary>
public readonly record struct MemberId
{
    public const int LengthMax = 64;

    public string Value { get; }

    private MemberId(string value) => Value = value;

    public static bool TryParse(string? text, out MemberId memberId)
    {
        memberId = default;
        if (!IsWellFormed(text))
        {
            return false;
        }
        memberId = new MemberId(text!);
        return true;
    }

    public static MemberId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"'{text}' is not a valid member id.");

    public static bool IsWellFormed(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > LengthMax)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    public override string ToString() => Value;
}

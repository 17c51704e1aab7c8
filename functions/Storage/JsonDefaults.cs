using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Ranks;

namespace Points.Functions.Storage;

/// <summary>
/// The JSON rules: camelCase, enums as snake_case strings, points and yen as numbers — <see cref="Options"/> on the wire,
/// <see cref="Documents"/> (the same names and values in fewer bytes) for what is stored in Cosmos DB.
/// </summary>
public static class JsonDefaults
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>
    /// For the documents stored in Cosmos DB: the names and converters of <see cref="Options"/>, in fewer bytes (a
    /// member's account is written on every operation; its size is the store's cost per write). Strings are escaped
    /// only where JSON requires it — the default encoder, made for JSON inside HTML, also escapes the quotes inside a
    /// string as <c>\u0022</c> (every stored idempotency result is such a string), '+' (every time stamp) and all
    /// Japanese text — and the ledger's most repeated records leave out their null, false and zero properties
    /// (<see cref="RecordsWrittenCompact"/>). Reading is the same with either options, so documents written before read
    /// as they always did.
    /// </summary>
    public static readonly JsonSerializerOptions Documents = new(Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { LeaveOutNullsAndZeros } },
    };

    /// <summary>
    /// Records of which a member's account holds many (journal entries and their lot portions, lots) or that every
    /// account holds (the profile, the periods done), most of whose optional properties are null, false or zero. A
    /// property left out reads back as exactly that: none of them has another default (DocumentJsonTests holds every
    /// type listed here to that). Enums and dates are always written.
    /// </summary>
    public static readonly IReadOnlySet<Type> RecordsWrittenCompact = new HashSet<Type>
    {
        typeof(JournalEntry), typeof(LotPortion), typeof(Lot), typeof(PendingLot), typeof(MemberProfile), typeof(PeriodBookkeeping),
    };

    /// <summary>The value types whose default (false, 0) a record of <see cref="RecordsWrittenCompact"/> leaves out.</summary>
    public static readonly IReadOnlySet<Type> ZerosLeftOut =
        new HashSet<Type> { typeof(bool), typeof(int), typeof(long), typeof(PointAmount), typeof(Yen) };

    private static void LeaveOutNullsAndZeros(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object || !RecordsWrittenCompact.Contains(type.Type)) return;
        foreach (var property in type.Properties)
        {
            if (property.IsRequired) continue;
            if (ZerosLeftOut.Contains(property.PropertyType))
            {
                var zero = Activator.CreateInstance(property.PropertyType);
                property.ShouldSerialize = (_, value) => !Equals(value, zero);
            }
            else if (Nullable.GetUnderlyingType(property.PropertyType) is not null || (!property.PropertyType.IsValueType && property.IsGetNullable))
            {
                property.ShouldSerialize = static (_, value) => value is not null;
            }
        }
    }

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        options.Converters.Add(new PointAmountConverter());
        options.Converters.Add(new YenConverter());
        options.Converters.Add(new MemberIdConverter());
        return options;
    }

    private sealed class PointAmountConverter : JsonConverter<PointAmount>
    {
        public override PointAmount Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetInt64() is var value and >= -PointAmount.MaxMagnitude and <= PointAmount.MaxMagnitude
                ? new PointAmount(value)
                : throw new JsonException($"Points must be within ±{PointAmount.MaxMagnitude}.");

        public override void Write(Utf8JsonWriter writer, PointAmount value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(value.Value);
    }

    /// <summary>Yen as a JSON number; a number out of <see cref="Yen"/>'s bounds is malformed input (400), not a bug.</summary>
    private sealed class YenConverter : JsonConverter<Yen>
    {
        public override Yen Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetInt64() is var value and >= 0 and <= Yen.Max ? new Yen(value) : throw new JsonException($"Yen must be within 0..{Yen.Max}.");

        public override void Write(Utf8JsonWriter writer, Yen value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);
    }

    private sealed class MemberIdConverter : JsonConverter<MemberId>
    {
        public override MemberId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            MemberId.TryParse(reader.GetString(), out var id) ? id : throw new JsonException("Invalid member id.");

        public override void Write(Utf8JsonWriter writer, MemberId value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.Value);
    }
}

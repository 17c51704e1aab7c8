using System.Text.Json;
using System.Text.Json.Serialization;
using Points.Domain.Primitives;

namespace Points.Functions.Storage;

/// <summary>One set of JSON rules for the wire and for Cosmos documents: camelCase, enums as camelCase strings.</summary>
public static class JsonDefaults
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

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

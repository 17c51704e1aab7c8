using System.Reflection;
using System.Text;
using System.Text.Json;
using Points.Domain.Ledger;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Ranks;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Functions.Tests.Storage;

/// <summary>
/// <see cref="JsonDefaults.Documents"/>: stored documents in fewer bytes, read back to the same values — including a
/// document written before, with every null spelled out.
/// </summary>
public sealed class DocumentJsonTests
{
    private static readonly DateOnly Day = new(2026, 11, 30);

    /// <summary>One instance of each type whose nulls are left out, with every property set (test data, not defaults).</summary>
    private static readonly Dictionary<Type, Func<object>> Samples = new()
    {
        [typeof(JournalEntry)] = () => new JournalEntry
        {
            Seq = 7, Type = EntryType.Earn, Points = new PointAmount(50), Kind = LotKind.Regular, BalanceAfter = new PointAmount(365),
            LimitedTime = true, HeldAfter = new PointAmount(10), DebtChange = new PointAmount(-5), Pending = true, PendingAfter = new PointAmount(5),
            OccurredAt = new DateTimeOffset(2026, 11, 30, 9, 33, 38, TimeSpan.Zero), Reference = "t-3", References = ["t-3"],
            Reason = "purchase rule demo-purchase", Actor = "development", Lots = [Portion()], ReversalOf = 2, HoldId = "h1", StoreId = "shinjuku",
            Channel = "store", PendingLot = new PendingLot("L2", 3, LotKind.Regular, Day.AddYears(1), Day.AddDays(30), new PointAmount(5)),
            RuleId = "demo-purchase", RuleVersion = 1, PurchaseYen = new Yen(5_000), YenPerPoint = 1, PurchaseOn = Day,
        },
        [typeof(LotPortion)] = () => Portion(),
        [typeof(Lot)] = () => new Lot("L1", 1, LotKind.Special, Day.AddYears(1), Day, new PointAmount(365)) { Source = "campaign:c1" },
        [typeof(PendingLot)] = () => new PendingLot("L2", 3, LotKind.Regular, Day.AddYears(1), Day.AddDays(30), new PointAmount(5)),
        [typeof(MemberProfile)] = () => new MemberProfile
        {
            JoinedOn = Day, BirthDate = new DateOnly(1990, 4, 1), Tags = ["vip"], StoreId = "shinjuku", NewsletterOptIn = true,
            ReferredByCode = "ZGTYZ4VG", ReferredBy = "demo-01", ReferralCode = "AB12CD34",
        },
        [typeof(PeriodBookkeeping)] = () => new PeriodBookkeeping("2026-10", "2026-10", 2026) { BirthdayGrantedFor = 2026, BirthMonthGrantedFor = 2026 },
    };

    private static LotPortion Portion() => new("L1", 1, LotKind.Special, Day.AddYears(1), Day, new PointAmount(50)) { Source = "campaign:c1" };

    public static TheoryData<string> RecordTypesWrittenCompact() => [.. JsonDefaults.RecordsWrittenCompact.Select(t => t.Name)];

    /// <summary>
    /// Every optional property set to null, false or zero (by reflection, so a property added later is covered) is left
    /// out of the stored JSON and reads back as that: a property with another default would read back as its default.
    /// </summary>
    [Theory]
    [MemberData(nameof(RecordTypesWrittenCompact))]
    public void NullAndZeroProperties_AreLeftOut_AndReadBackAsSuch(string typeName)
    {
        var type = JsonDefaults.RecordsWrittenCompact.Single(t => t.Name == typeName);
        var cleared = Samples[type]();
        var optional = OptionalProperties(type).ToList();
        Assert.NotEmpty(optional);
        Clear(cleared, optional);

        var stored = JsonSerializer.Serialize(cleared, type, JsonDefaults.Documents);
        var read = JsonSerializer.Deserialize(stored, type, JsonDefaults.Documents);

        using var json = JsonDocument.Parse(stored);
        Assert.All(optional, p => Assert.False(json.RootElement.TryGetProperty(JsonNamingPolicy.CamelCase.ConvertName(p.Name), out _), p.Name));
        Assert.Equal(JsonSerializer.Serialize(cleared, type, JsonDefaults.Options), JsonSerializer.Serialize(read, type, JsonDefaults.Options));
    }

    /// <summary>The same records with every property set, and as stored before (nulls spelled out), read back unchanged.</summary>
    [Theory]
    [MemberData(nameof(RecordTypesWrittenCompact))]
    public void SetProperties_AndDocumentsWrittenBefore_ReadBackUnchanged(string typeName)
    {
        var type = JsonDefaults.RecordsWrittenCompact.Single(t => t.Name == typeName);
        var sample = Samples[type]();
        var cleared = Samples[type]();
        Clear(cleared, OptionalProperties(type));

        foreach (var value in new[] { sample, cleared })
        {
            var expected = JsonSerializer.Serialize(value, type, JsonDefaults.Options);
            Assert.Equal(expected, ReadBack(JsonSerializer.Serialize(value, type, JsonDefaults.Documents), type)); // written now
            Assert.Equal(expected, ReadBack(expected, type)); // written before
        }
    }

    /// <summary>
    /// Only what JSON requires is escaped: a quote inside a string (an idempotency record's result), '+' (a time stamp's
    /// offset) and Japanese text are stored as they are, and read back the same.
    /// </summary>
    [Fact]
    public void Strings_AreEscapedOnlyWhereJsonRequires()
    {
        var record = new IdempotencyRecord("event:t-1", "hash", """{"eventId":"t-1","balance":100}""",
            new DateTimeOffset(2026, 11, 30, 18, 0, 0, TimeSpan.FromHours(9)));
        var withName = new { name = "東京エリア", record };

        var stored = JsonSerializer.Serialize(withName, JsonDefaults.Documents);
        var before = JsonSerializer.Serialize(withName, JsonDefaults.Options);

        Assert.Contains("""\"eventId\":\"t-1\""", stored, StringComparison.Ordinal);
        Assert.Contains("+09:00", stored, StringComparison.Ordinal);
        Assert.Contains("東京エリア", stored, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(stored) < Encoding.UTF8.GetByteCount(before), $"{stored} is not shorter than {before}");
        Assert.Equal(record, JsonDocument.Parse(stored).RootElement.GetProperty("record").Deserialize<IdempotencyRecord>(JsonDefaults.Documents));
    }

    /// <summary>The wire keeps every null: the API's answers are not stored documents.</summary>
    [Fact]
    public void TheWireOptions_KeepNulls()
    {
        var portion = Portion() with { Source = null };
        Assert.Contains("\"source\":null", JsonSerializer.Serialize(portion, JsonDefaults.Options), StringComparison.Ordinal);
        Assert.DoesNotContain("source", JsonSerializer.Serialize(portion, JsonDefaults.Documents), StringComparison.Ordinal);
    }

    /// <summary>The properties a stored record may leave out: not required, and nullable or of a type whose zero is left out.</summary>
    private static IEnumerable<PropertyInfo> OptionalProperties(Type type)
    {
        var context = new NullabilityInfoContext();
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetCustomAttribute<System.Text.Json.Serialization.JsonIgnoreAttribute>() is null
                && p.GetCustomAttribute<System.Runtime.CompilerServices.RequiredMemberAttribute>() is null)
            .Where(p => JsonDefaults.ZerosLeftOut.Contains(p.PropertyType) || Nullable.GetUnderlyingType(p.PropertyType) is not null
                || (!p.PropertyType.IsValueType && context.Create(p).WriteState == NullabilityState.Nullable));
    }

    /// <summary>The stored JSON read as a document, as the API's options would write it.</summary>
    private static string ReadBack(string stored, Type type) =>
        JsonSerializer.Serialize(JsonSerializer.Deserialize(stored, type, JsonDefaults.Documents), type, JsonDefaults.Options);

    /// <summary>Sets each property to null, or false or zero.</summary>
    private static void Clear(object value, IEnumerable<PropertyInfo> properties)
    {
        foreach (var property in properties)
        {
            property.SetValue(value, property.PropertyType.IsValueType ? Activator.CreateInstance(property.PropertyType) : null);
        }
    }
}

using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using static Points.Tools.Fuzzing.JsonText;

namespace Points.Tools.Fuzzing;

/// <summary>
/// FsCheck generators of inputs for every route of the app and for the adjustments import. HTTP bodies start from a
/// valid shape of the route's body and are mutated (values of the wrong type, nulls, huge or odd numbers, deep
/// nesting, huge strings, unknown or repeated fields, control characters, unicode), then sometimes broken as text;
/// query strings, path ids and headers are drawn the same way. Larger sizes mutate more.
/// </summary>
public sealed class FuzzGenerators(FuzzWorld world, int csvPercent = 2)
{
    /// <summary>The routes of the app's features (functions/*/…Feature.cs), with a valid body shape for those that take one.</summary>
    private sealed record Route(string Method, string Template, Func<Gen<JsonText>>? Body = null, bool IdempotencyKey = false, Func<Gen<string>>? Query = null);

    private static readonly string[] Controls = ["\0", "\u001b[31m", "\r\n", "\t", "\u007f", "\u0085", "\u009f", "\u0007", "\n", "\r"];
    private static readonly string[] Unicode =
        ["ポイント調整", "ｶﾀｶﾅ", "ＡＢＣ１２３", "😀👍🏽", "e\u0301", "\u202Eevil", "a\u200Bb", "\uFEFFbom", "\uFFFF", "x\u2028y", "𠮷野家", "Ω≈ç√", "١٢٣"];
    private static readonly string[] LoneSurrogates = ["\ud800", "\udfff", "a\ud83d", "\ude00b"];
    private static readonly string[] Odd =
    [
        "", " ", "  padded  ", "../x", "a/b", "a#b", "a?b", "%00", "null", "true", "-1", "1e3", "0x10", "' OR '1'='1", "<script>", "${jndi:x}",
        "=cmd|' /C calc'!A0", "@SUM(1)", "+1", "2026-13-45", "9999-12-31", "0001-01-01", "2026-11-23", "2026/11/23", "2026-11-23T00:00:00+14:00",
        "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "Asia/Tokyo", "Etc/GMT+12", "Pacific/Kiritimati", "UTC",
        "Mars/Olympus", "fixedMonths", "fiscalYear", "none", "rolling", "regular", "special", "purchased", "order", "catalog", "other", "purchase",
        "login", "custom", "custom:x", "referral_welcome", "anniversary", "monday", "Sunday", "floor", "halfUp", "ceiling", "goods", "event", "rate", "fixed",
    ];
    private static readonly string[] OddNumbers =
    [
        "0", "1", "-1", "2", "10", "100", "1000", "999999999", "1000000000", "1000000001", "-1000000000", "-1000000001", "1000000000000",
        "1000000000001", "10000000000", "10000000001", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "99999999999999999999", "1e3", "1E400", "-1e308", "0.5", "1.0", "-0", "01", "1_000", "NaN",
        "Infinity", "0x10", "1e-400", "100000", "100001", "3650", "3651", "365", "366", "20", "21", "200", "201",
    ];
    private static readonly string[] IdempotencyKeyPool = ["fz-reuse-0", "fz-reuse-1", "fz-reuse-2", "fz-reuse-3"];
    private static readonly string[] ConfigIdPool = ["fz-pool-0", "fz-pool-1", "fz-pool-2", "fz-pool-3", "fz-pool-4", "fz-pool-5"];

    private readonly Route[] _routes = Routes(world);

    /// <summary>An input: mostly HTTP requests, <c>csvPercent</c> % adjustments files.</summary>
    public Gen<FuzzInput> Input => Gen.Frequency(
        (100 - csvPercent, HttpRequest.Select(i => (FuzzInput)i)),
        (csvPercent, CsvFile.Select(i => (FuzzInput)i)));

    // ---------------------------------------------------------------- values

    private static Gen<string> Alphanumeric(int lengthMax) =>
        from length in Gen.Choose(0, Math.Max(0, lengthMax))
        from chars in Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:".ToCharArray()), length)
        select new string(chars);

    private static Gen<string> Key => Alphanumeric(24).Where(k => k.Length > 0).Select(k => "fz-" + k);

    private Gen<string> Text => Gen.Sized(size => Gen.Frequency(
        (30, Gen.Elements(Odd)),
        (20, Alphanumeric(size * 2)),
        (10, Gen.Elements(world.Members.Concat(world.CatalogItems).Concat(world.Rules).Append("s1").Append("web").Append("vip").ToArray())),
        (10, from before in Alphanumeric(5) from control in Gen.Elements(Controls) from after in Alphanumeric(5) select before + control + after),
        (8, Gen.Elements(Unicode)),
        (4, Gen.Elements(LoneSurrogates)),
        (4, from length in Gen.Elements(50, 51, 64, 65, 100, 101, 128, 129, 200, 201, 1_000, 10_000, 100_000)
            from c in Gen.Elements('x', 'あ', ' ')
            select new string(c, length))));

    private static Gen<JsonText> Number => Gen.Frequency(
        (3, Gen.Elements(OddNumbers).Select(n => (JsonText)new Lit(n))),
        (1, Gen.Choose(-1000, 100_000).Select(n => (JsonText)Number(n))));

    /// <summary>A value to put where another was: of any type, odd, huge, nested, broken.</summary>
    private Gen<JsonText> Value => Gen.Sized(size => Gen.Frequency(
        (25, Number),
        (25, Text.Select(t => (JsonText)t)),
        (8, Gen.Constant(Null)),
        (5, Gen.Elements(true, false).Select(b => (JsonText)Bool(b))),
        (3, Gen.Constant((JsonText)Array())),
        (3, Gen.Constant((JsonText)Array(Null))),
        (3, Gen.ListOf(Text.Select(t => (JsonText)t), Math.Min(size, 60)).Select(l => (JsonText)new Arr([.. l]))),
        (2, Gen.ListOf(Number, Math.Min(size, 60)).Select(l => (JsonText)new Arr([.. l]))),
        (1, Gen.Elements(1_000, 100_000).Select(n => (JsonText)new Arr([.. Enumerable.Repeat((JsonText)"x", n)]))),
        (3, Gen.Constant((JsonText)Object())),
        (2, from name in Text from value in Number select (JsonText)Object((name, value))),
        (2, Gen.Elements(10, 63, 64, 65, 1_000, 10_000).Select(depth => (JsonText)new Lit(new string('[', depth) + new string(']', depth)))),
        (2, from before in Alphanumeric(4) from control in Gen.Elements(Controls) select (JsonText)new Str(before + control, Raw: true)),
        (2, Gen.Elements("tru", "{", "]", "'single'", "undefined", "", "//x", "\"unterminated", "1 2", "{\"a\":}").Select(t => (JsonText)new Lit(t)))));

    // ---------------------------------------------------------------- bodies

    /// <summary><paramref name="template"/> changed 0..n times (none at all about one time in five: valid requests keep the state moving).</summary>
    private Gen<JsonText> Mutated(Gen<JsonText> template) => Gen.Sized(size =>
        from body in template
        from mutations in Gen.Frequency((1, Gen.Constant(0)), (4, Gen.Choose(1, Math.Max(1, Math.Min(4, 1 + size / 20)))))
        from mutated in Repeat(body, mutations)
        select mutated);

    private Gen<JsonText> Repeat(JsonText body, int times) =>
        times == 0 ? Gen.Constant(body) : Mutation(body).SelectMany(next => Repeat(next, times - 1));

    private Gen<JsonText> Mutation(JsonText body) =>
        from at in Gen.Choose(body.Count > 1 ? 1 : 0, body.Count - 1)
        from pick in Gen.Choose(0, 1_000)
        from value in Value
        from name in Gen.Frequency((3, Gen.Elements("unknown", "__proto__", "$type", "", "Points", "POINTS", "reason", "id", "pk", "_etag")), (1, Text))
        from kind in Gen.Frequency((40, Gen.Constant(0)), (15, Gen.Constant(1)), (15, Gen.Constant(2)), (6, Gen.Constant(3)), (12, Gen.Constant(4)), (4, Gen.Constant(5)))
        select kind switch
        {
            0 => body.Replace(at, _ => value),
            1 => body.Replace(at, node => node is Obj { Properties.Count: > 0 } o ? new Obj(o.Properties.RemoveAt(pick % o.Properties.Count)) : node),
            2 => body.Replace(at, node => node is Obj o ? new Obj(o.Properties.Add((name, value))) : node),
            3 => body.Replace(at, node => node is Obj { Properties.Count: > 0 } o ? new Obj(o.Properties.Add((o.Properties[pick % o.Properties.Count].Name, value))) : node),
            4 => body.Replace(at, node => node is Arr a ? new Arr(a.Items.Insert(pick % (a.Items.Count + 1), pick % 3 == 0 ? Null : value)) : node),
            _ => body.Replace(at, node => node is Obj { Properties.Count: > 0 } o
                ? new Obj(o.Properties.SetItem(pick % o.Properties.Count, (o.Properties[pick % o.Properties.Count].Name.ToUpperInvariant(), o.Properties[pick % o.Properties.Count].Value)))
                : node),
        };

    /// <summary>The body as bytes: mostly the JSON as written, sometimes broken as text or bytes.</summary>
    private static Gen<byte[]> Bytes(JsonText body)
    {
        var json = Encoding.UTF8.GetBytes(body.Write());
        return Gen.Frequency(
            (85, Gen.Constant(json)),
            (3, Gen.Choose(0, Math.Max(0, json.Length - 1)).Select(n => json[..n])),
            (2, Gen.Elements("}", "xyz", ",", " ", "\u0000").Select(tail => (byte[])[.. json, .. Encoding.UTF8.GetBytes(tail)])),
            (2, Gen.Constant<byte[]>([0xEF, 0xBB, 0xBF, .. json])),
            (2, from at in Gen.Choose(0, json.Length) from bad in Gen.Elements<byte[]>([0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x80], [0xE3, 0x81])
                select (byte[])[.. json[..at], .. bad, .. json[at..]]),
            (2, Gen.Elements("", "points=1&purpose=other", "<xml/>", "[]", "\"text\"", "1", "null", "true", "{}", "{\"a\":1}{\"b\":2}").Select(t => Encoding.UTF8.GetBytes(t))),
            (1, Gen.Elements(64, 65, 5_000).Select(depth => Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth)))),
            (1, Gen.Elements(1_048_000, 1_048_577, 1_200_000).Select(length => Encoding.UTF8.GetBytes($"{{\"padding\":\"{new string('x', length)}\"}}"))));
    }

    private Gen<string> MemberId => Gen.Frequency(
        (75, Gen.Elements(world.Members.ToArray())),
        (10, Key),
        (15, Gen.Elements("%01", "%1B", "a%20b", "a%2Fb", "..", ".", new string('a', 65), "%E3%81%82", "a%0Ab", "%3Cx%3E", "%25", "a:b", "a;b", "%F0%9F%98%80", "%C2%85")));

    private Gen<string> ConfigId(IReadOnlyList<string> existing) => Gen.Frequency(
        (45, Gen.Elements(existing.ToArray())),
        (45, Gen.Elements(ConfigIdPool)),
        (10, Gen.Elements("%01", "a%2Fb", "a%23b", "a%3Fb", new string('i', 65), "%E3%81%82", "..", "a%20b", "a%0Db")));

    private Gen<DateTimeOffset> Instant => Gen.Choose(-40 * 24, 40 * 24).Select(hours => world.Now.AddHours(hours));

    private static JsonText Iso(DateTimeOffset instant) => instant.ToString("O", CultureInfo.InvariantCulture);

    private static JsonText Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static Gen<JsonText> OneOf(params string[] values) => Gen.Elements(values).Select(v => (JsonText)v);

    private static Gen<JsonText> Integer(int min, int max) => Gen.Choose(min, max).Select(n => (JsonText)Number(n));

    private static Route[] Routes(FuzzWorld world)
    {
        // Bodies are valid examples drawn from the documented shapes (api.md); the mutations break them.
        Gen<JsonText> member = from tags in Gen.SubListOf(["vip", "club", "new"]) from store in OneOf("s1", "s2") from optIn in Gen.Elements(true, false)
                               from code in Gen.Frequency((4, Gen.Constant(Null)), (1, Gen.Elements(world.ReferralCodes.Append("ABCDEFGH").Select(c => (JsonText)c).ToArray())))
                               select (JsonText)Object(("joinedOn", Iso(DateOnly.FromDateTime(world.Now.UtcDateTime).AddDays(-30))), ("birthDate", "1990-05-05"),
                                   ("tags", new Arr([.. tags.Select(t => (JsonText)t)])), ("storeId", store), ("newsletterOptIn", Bool(optIn)), ("referredByCode", code));
        return
        [
            new("PUT", "/api/v1/members/{memberId}", () => member),
            new("GET", "/api/v1/members/{memberId}"),
            new("GET", "/api/v1/members/{memberId}/transactions", Query: () => HistoryQuery),
            new("POST", "/api/v1/members/{memberId}/qr-token"),
            new("POST", "/api/v1/events", null),
            new("GET", "/api/v1/admin/rules"),
            new("PUT", "/api/v1/admin/rules/{ruleId}", null),
            new("DELETE", "/api/v1/admin/rules/{ruleId}"),
            new("GET", "/api/v1/admin/campaigns"),
            new("PUT", "/api/v1/admin/campaigns/{campaignId}", null),
            new("DELETE", "/api/v1/admin/campaigns/{campaignId}"),
            new("POST", "/api/v1/members/{memberId}/redemptions", null, IdempotencyKey: true),
            new("POST", "/api/v1/members/{memberId}/reversals", null, IdempotencyKey: true),
            new("POST", "/api/v1/admin/members/{memberId}/adjustments", null, IdempotencyKey: true),
            new("GET", "/api/v1/admin/catalog"),
            new("PUT", "/api/v1/admin/catalog/{itemId}", null),
            new("DELETE", "/api/v1/admin/catalog/{itemId}"),
            new("GET", "/api/v1/catalog", Query: () => CatalogQuery(world)),
            new("POST", "/api/v1/store/transactions", null, IdempotencyKey: true),
            new("GET", "/api/v1/admin/settings"),
            new("PUT", "/api/v1/admin/settings", null),
            new("POST", "/api/v1/admin/special-grants/preview", null),
            new("POST", "/api/v1/admin/exports", null),
            new("PUT", "/api/v1/members/{memberId}/bank-account", null),
            new("GET", "/api/v1/members/{memberId}/bank-account"),
            new("POST", "/api/v1/members/{memberId}/withdrawals", null, IdempotencyKey: true),
            new("GET", "/api/v1/members/{memberId}/withdrawals"),
            new("GET", "/api/v1/admin/withdrawals", Query: () => WithdrawalsQuery),
            new("POST", "/api/v1/admin/webhooks", null, IdempotencyKey: true),
            new("GET", "/api/v1/admin/webhooks/{subscriptionId}"),
            new("PATCH", "/api/v1/admin/webhooks/{subscriptionId}", null),
            new("GET", "/api/v1/admin/webhooks/{subscriptionId}/deliveries", Query: () => DeliveriesQuery),
            new("POST", "/api/v1/admin/webhooks/{subscriptionId}/replay", null, IdempotencyKey: true),
            new("GET", "/api/health"),
        ];
    }

    /// <summary>The valid body shape of a route (null when it takes none).</summary>
    private Gen<JsonText>? BodyOf(Route route) => (route.Method, route.Template) switch
    {
        (_, _) when route.Body is not null => route.Body(),
        ("POST", "/api/v1/events") =>
            from type in OneOf("purchase", "purchase", "login", "registration", "post", "referral", "survey", "custom")
            from id in Key
            from member in Gen.Elements(world.Members.ToArray())
            from at in Instant
            from amount in Gen.Frequency((4, Integer(0, 100_000)), (1, Gen.Elements(10_000_000_000L, 9_999_999_999L).Select(n => (JsonText)Number(n))))
            from items in Gen.ListOf(from sku in OneOf("A", "B", "C") from quantity in Integer(1, 5) from price in Integer(0, 10_000)
                                     select (JsonText)Object(("sku", sku), ("quantity", quantity), ("unitPrice", price)), 3)
            select (JsonText)Object(("eventId", id), ("memberId", member), ("type", type), ("occurredAt", Iso(at)), ("amount", amount), ("storeId", "s1"),
                ("channel", "web"), ("reference", "order-" + id), ("items", new Arr([.. items])), ("name", "quiz")),
        ("PUT", "/api/v1/admin/rules/{ruleId}") =>
            from trigger in OneOf("purchase", "login", "registration", "custom:quiz", "anniversary", "referral_welcome")
            from rate in Gen.Elements(true, false)
            from points in Integer(1, 100)
            from kind in OneOf("regular", "special")
            from pending in Integer(0, 3)
            from priority in Integer(-5, 5)
            select (JsonText)Object(("trigger", trigger),
                ("formula", rate ? Object(("type", "rate"), ("unitYen", 100), ("pointsPerUnit", points), ("rounding", "floor")) : Object(("type", "fixed"), ("points", points))),
                ("caps", Object(("perDay", Object(("times", 3), ("points", 1000))), ("perMonth", Null), ("lifetime", Object(("times", 100))))),
                ("eligibility", Object(("ranks", Array()), ("tags", Array()), ("storeIds", Array("s1", "s2")), ("channels", Array()))),
                ("grant", kind is Str { Value: "special" } ? Object(("kind", kind), ("expiresAfterDays", 30), ("pendingDays", pending)) : Object(("kind", kind), ("pendingDays", pending))),
                ("activeFrom", Iso(world.Now.AddDays(-1))), ("activeUntil", Iso(world.Now.AddDays(60))), ("priority", priority), ("stackable", Bool(true)),
                ("applyRankMultiplier", Bool(true)), ("applyNewRankImmediately", Bool(false))),
        ("PUT", "/api/v1/admin/campaigns/{campaignId}") =>
            from multiplier in Integer(1000, 3000)
            from days in Gen.SubListOf(["monday", "tuesday", "saturday", "sunday"])
            select (JsonText)Object(("multiplierPermille", multiplier), ("triggers", Array("purchase", "login")), ("storeIds", Array("s1")),
                ("daysOfWeek", new Arr([.. days.Select(d => (JsonText)d)])), ("from", Iso(world.Now.AddDays(-1))), ("until", Iso(world.Now.AddDays(10)))),
        ("POST", "/api/v1/members/{memberId}/redemptions") =>
            from points in Integer(1, 50)
            from purpose in OneOf("order", "other", "catalog")
            from order in Key
            select (JsonText)Object(("points", points), ("purpose", purpose), ("orderId", order), ("catalogItemId", world.CatalogItems[0]), ("storeId", "s1"), ("channel", "web")),
        ("POST", "/api/v1/members/{memberId}/reversals") =>
            from reference in Gen.Frequency((1, Key), (1, Gen.Elements("adj-ref-0", "adj-ref-1", "order-x")))
            from points in Gen.Frequency((1, Gen.Constant(Null)), (2, Integer(1, 20)))
            select (JsonText)Object(("reference", reference), ("points", points)),
        ("POST", "/api/v1/admin/members/{memberId}/adjustments") =>
            from points in Gen.Frequency((3, Integer(1, 500)), (1, Integer(-50, -1)))
            from kind in OneOf("regular", "special")
            from reference in Gen.Elements("adj-ref-0", "adj-ref-1", "adj-ref-2")
            select (JsonText)Object(("points", points), ("kind", kind),
                ("expiresOn", kind is Str { Value: "special" } ? Iso(DateOnly.FromDateTime(world.Now.UtcDateTime).AddMonths(3)) : Null), ("reason", "fuzz adjustment"),
                ("reference", reference)),
        ("PUT", "/api/v1/admin/catalog/{itemId}") =>
            from cost in Integer(1, 500)
            from stock in Integer(0, 1000)
            from limit in Integer(1, 10)
            select (JsonText)Object(("name", "Fuzz mug"), ("cost", cost), ("kind", "goods"), ("eligibility", Object(("ranks", Array()), ("tags", Array()))),
                ("perMemberLimit", limit), ("stock", stock), ("activeFrom", Iso(world.Now.AddDays(-1))), ("activeUntil", Iso(world.Now.AddDays(30)))),
        ("POST", "/api/v1/store/transactions") =>
            from token in Gen.Frequency((4, Gen.Elements(world.QrTokens.ToArray())), (1, Text))
            from amount in Integer(0, 100_000)
            from points in Integer(0, 100)
            select (JsonText)Object(("qrToken", token), ("storeId", "s1"), ("purchaseAmount", amount), ("pointsToUse", points)),
        ("PUT", "/api/v1/admin/settings") =>
            from zone in OneOf("Asia/Tokyo", "Asia/Tokyo", "UTC", "Pacific/Kiritimati", "Etc/GMT+12")
            from yen in Integer(1, 3)
            from months in Integer(1, 24)
            from type in OneOf("fixedMonths", "fiscalYear", "none")
            from fields in Gen.Choose(1, 15)
            select (JsonText)new Obj(ImmutableList.Create<(string, JsonText)>(
                    ("timeZone", zone), ("yenPerPoint", yen), ("regularExpiry", Object(("type", type), ("months", months), ("endOfMonth", Bool(true)), ("startMonth", 4), ("yearsAfter", 1))),
                    ("ranks", Array(
                        Object(("name", "bronze"), ("thresholdYen", 0), ("multiplierPermille", 1000), ("monthlyPoints", 0)),
                        Object(("name", "silver"), ("thresholdYen", 50_000), ("multiplierPermille", 1200), ("monthlyPoints", 100)),
                        Object(("name", "gold"), ("thresholdYen", 200_000), ("multiplierPermille", 1500), ("monthlyPoints", 500)))))
                .Where((_, i) => (fields & (1 << i)) != 0).ToImmutableList()),
        ("POST", "/api/v1/admin/special-grants/preview") =>
            from month in Integer(1, 12)
            from min in Integer(0, 3)
            from sku in OneOf("A", "B", "C")
            from negate in Gen.Elements(true, false)
            let purchases = Object(("type", "purchaseCount"), ("from", Iso(DateOnly.FromDateTime(world.Now.UtcDateTime).AddYears(-1))), ("min", min))
            select (JsonText)Object(("segment", Object(("type", "and"), ("of", Array(
                Object(("type", "member"), ("birthMonth", month), ("tags", Array("vip"))),
                negate ? Object(("type", "not"), ("of", purchases)) : purchases,
                Object(("type", "or"), ("of", Array(Object(("type", "purchasedSkus"), ("skus", Array(sku))), Object(("type", "all")))))))))),
        ("POST", "/api/v1/admin/exports") =>
            from kind in OneOf("balances", "members", "ranks", "liability", "transactions", "accounting", "report")
            from encoding in OneOf("utf8bom", "shift_jis")
            let period = kind is Str { Value: "transactions" or "accounting" or "report" }
            select (JsonText)Object(("kind", kind), ("encoding", encoding),
                ("from", period ? Iso(DateOnly.FromDateTime(world.Now.UtcDateTime).AddDays(-30)) : Null),
                ("to", period ? Iso(DateOnly.FromDateTime(world.Now.UtcDateTime)) : Null)),
        ("PUT", "/api/v1/members/{memberId}/bank-account") =>
            from number in Gen.Elements("1234567", "7654321", "12345678", "123456")
            from type in OneOf("ordinary", "current", "savings")
            select (JsonText)Object(("bankCode", "0001"), ("branchCode", "001"), ("accountType", type), ("accountNumber", number), ("holderKana", "ﾔﾏﾀﾞ ﾀﾛｳ")),
        ("POST", "/api/v1/members/{memberId}/withdrawals") =>
            from points in Gen.Frequency((3, Integer(1, 2_000)), (1, Gen.Elements(0L, -1L, 10_000_000_000L).Select(n => (JsonText)Number(n))))
            select (JsonText)Object(("points", points)),
        // Rare event types only: a subscription the fuzzer creates costs the commits nothing.
        ("POST", "/api/v1/admin/webhooks") or ("PATCH", "/api/v1/admin/webhooks/{subscriptionId}") =>
            from url in Gen.Elements("https://partner.example/hook", "http://127.0.0.1:9/hook", "http://partner.example/hook", "https://u:p@partner.example/h", "ftp://x/y")
            from active in Gen.Elements(true, false)
            select (JsonText)Object(("partner", "fuzz partner"), ("url", url), ("eventTypes", Array("rank.changed")), ("active", Bool(active))),
        ("POST", "/api/v1/admin/webhooks/{subscriptionId}/replay") =>
            from byId in Gen.Elements(true, false)
            select byId ? (JsonText)Object(("eventId", "evt_0123456789abcdef0123_1"))
                : Object(("from", Iso(world.Now.AddDays(-1))), ("to", Iso(world.Now))),
        _ => null,
    };

    private static Gen<string> WithdrawalsQuery => Gen.Frequency(
        (3, Gen.Constant("")),
        (3, from limit in QueryValue select "?limit=" + limit),
        (2, from start in Gen.Elements("2026-11-01", "2026-13-01", "x", "") select "?from=" + start),
        (1, Gen.Elements("?status=approved", "?status=lost", "?continuation=%%%", "?to=2020-01-01")));

    private static Gen<string> DeliveriesQuery => Gen.Frequency(
        (3, Gen.Constant("")),
        (3, from limit in QueryValue select "?limit=" + limit),
        (2, from day in Gen.Elements("2026-11-01", "2026-13-01", "x", "", "1999-01-01") select "?day=" + day),
        (1, Gen.Elements("?status=dead", "?status=lost", "?continuation=%%%", "?continuation=eyJkYXkiOiIyMDI2LTExLTMwIn0", "?status=1")));

    private static Gen<string> QueryValue => Gen.Frequency(
        (5, Gen.Choose(1, 200).Select(n => n.ToString(CultureInfo.InvariantCulture))),
        (3, Gen.Elements("0", "-1", "201", "abc", "", "1.5", "1e2", "99999999999999999999", "9223372036854775807", "9223372036854775808", "%00", "+5",
            "%205", "5%20", "0x10", "%D9%A3", "%ZZ", "1,2", "%E3%81%82",
            // Long, but with the path within Kestrel's 8 KiB request line: past it the server answers 414 before any app code.
            new string('9', 3_000))));

    private static Gen<string> HistoryQuery => Gen.Frequency(
        (3, Gen.Constant("")),
        (4, from limit in QueryValue select "?limit=" + limit),
        (3, from before in QueryValue select "?before=" + before),
        (2, from limit in QueryValue from before in QueryValue select $"?limit={limit}&before={before}"),
        (2, from a in QueryValue from b in QueryValue from name in Gen.Elements("limit", "before") select $"?{name}={a}&{name}={b}"),
        (1, Gen.Elements("?limit", "?before", "?&&&", "?limit=1&unknown=x", "?LIMIT=5", "?limit[]=1", "?=5")));

    private static Gen<string> CatalogQuery(FuzzWorld world) => Gen.Frequency(
        (6, Gen.Elements(world.Members.ToArray()).Select(m => "?memberId=" + m)),
        (1, Gen.Constant("")),
        (2, Gen.Elements("?memberId=", "?memberId=a%20b", "?memberId=%00", "?memberId=" + new string('m', 65), "?memberid=x", "?memberId=nobody-here")),
        (1, Gen.Elements(world.Members.ToArray()).Select(m => $"?memberId={m}&memberId={m}")));

    // ---------------------------------------------------------------- requests

    private Gen<HttpFuzzInput> HttpRequest => Gen.Frequency(
        (97, Gen.Elements(_routes).SelectMany(RequestTo)),
        (3, UnknownPath));

    private Gen<HttpFuzzInput> UnknownPath =>
        from path in Gen.Elements("/api/v1/nothing", "/api/v2/members/x", "/api/v1/members/x/unknown", "/api/", "/api/v1/admin", "/api/v1/members",
            "/api/v1/members/%2e%2e/transactions", "/api/v1/admin/rules/a/b", "/api/v1/admin/settings/x", "/api/v1/catalog/x", "/api//v1/events")
        from method in Gen.Elements("GET", "POST", "PUT", "DELETE", "PATCH")
        from headers in Headers(needsKey: false, isSettings: false, ifMatchOptional: false, hasBody: method is "POST" or "PUT")
        select new HttpFuzzInput("unknown", method, path, headers, method is "POST" or "PUT" ? "{}"u8.ToArray() : null, false);

    private Gen<HttpFuzzInput> RequestTo(Route route)
    {
        var body = BodyOf(route);
        var path =
            from member in MemberId
            from rule in ConfigId(world.Rules)
            from campaign in ConfigId(world.Campaigns)
            from item in ConfigId(world.CatalogItems)
            from subscription in ConfigId(world.WebhookSubscriptions)
            from query in route.Query?.Invoke() ?? Gen.Frequency((20, Gen.Constant("")), (1, Gen.Elements("?x=1", "?limit=abc", "?%00=%00", "?a=1&a=2")))
            select route.Template.Replace("{memberId}", member, StringComparison.Ordinal).Replace("{ruleId}", rule, StringComparison.Ordinal)
                .Replace("{campaignId}", campaign, StringComparison.Ordinal).Replace("{itemId}", item, StringComparison.Ordinal)
                .Replace("{subscriptionId}", subscription, StringComparison.Ordinal) + query;
        var bytes = body is null
            ? Gen.Frequency((20, Gen.Constant<byte[]?>(null)), (1, Gen.Constant<byte[]?>("{\"unexpected\":true}"u8.ToArray())))
            : Mutated(body).SelectMany(Bytes).Select(b => (byte[]?)b);
        return
            from method in Gen.Frequency((95, Gen.Constant(route.Method)), (5, Gen.Elements("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS")))
            from pathAndQuery in path
            from content in bytes
            from headers in Headers(route.IdempotencyKey, route.Template.EndsWith("/settings", StringComparison.Ordinal),
                ifMatchOptional: route.Template.Contains("/admin/rules/", StringComparison.Ordinal) || route.Template.Contains("/admin/campaigns/", StringComparison.Ordinal)
                    || route.Template.Contains("/admin/catalog/", StringComparison.Ordinal),
                hasBody: content is not null)
            from chunked in Gen.Frequency((19, Gen.Constant(false)), (1, Gen.Constant(true)))
            select new HttpFuzzInput($"{route.Method} {route.Template}", method, pathAndQuery, headers, content, chunked && content is not null);
    }

    private Gen<IReadOnlyList<(string, string)>> Headers(bool needsKey, bool isSettings, bool ifMatchOptional, bool hasBody)
    {
        var apiKey = Gen.Frequency(
            (92, Gen.Constant<string?>(world.ApiKey)),
            (2, Gen.Constant<string?>(null)),
            (2, Gen.Elements<string?>("zz.nope", "", "pw", new string('k', 300), world.ApiKey + "x", world.ApiKey.ToUpperInvariant())),
            (world.NarrowKeys.Count > 0 ? 4 : 0, Gen.Elements(world.NarrowKeys.Count > 0 ? world.NarrowKeys.ToArray() : [world.ApiKey]).Select(k => (string?)k)));
        var contentType = Gen.Frequency(
            (85, Gen.Constant<string?>("application/json")),
            (4, Gen.Constant<string?>(null)),
            (11, Gen.Elements<string?>("text/plain", "application/json; charset=utf-8", "application/json; charset=latin1", "application/xml",
                "multipart/form-data; boundary=x", "application/problem+json", "garbage", "application/x-www-form-urlencoded", "application/json;charset=\"utf-16\"",
                "APPLICATION/JSON", "application/vnd.api+json", "*/*", "application/")));
        var idempotencyKey = Gen.Frequency(
            (needsKey ? 80 : 1, Key.Select(k => (string?)k)),
            (needsKey ? 8 : 0, Gen.Elements(IdempotencyKeyPool).Select(k => (string?)k)),
            (needsKey ? 3 : 40, Gen.Constant<string?>(null)),
            (needsKey ? 3 : 0, Gen.Elements<string?>("has space", "semi;colon", "k!", "k/1", new string('k', 129), "", "a,b")));
        var ifMatch = Gen.Frequency(
            (isSettings ? 50 : ifMatchOptional ? 15 : 0, Gen.Constant<string?>("*")),
            (isSettings ? 20 : ifMatchOptional ? 70 : 97, Gen.Constant<string?>(null)),
            (isSettings || ifMatchOptional ? 30 : 3, Gen.Elements<string?>("\"0123456789abcdef\"", "W/\"x\"", "garbage", "\"a\", *", "\"\"", "*, *", "\"unterminated")));
        var extra = Gen.Frequency(
            (10, Gen.Constant<(string, string)?>(null)),
            (1, Gen.Elements<(string, string)?>(("Accept", "text/html"), ("Accept", "application/xml"), ("Accept-Language", "ja-JP"), ("X-Forwarded-Host", "evil.example"),
                ("X-Api-Key", "second-key"), ("Content-Encoding", "gzip"), ("Accept-Charset", "shift_jis"))));
        return
            from key in apiKey
            from type in contentType
            from idempotency in idempotencyKey
            from condition in ifMatch
            from header in extra
            select (IReadOnlyList<(string, string)>)new (string, string)?[]
            {
                key is null ? null : ("X-Api-Key", key),
                type is null || !hasBody && type == "application/json" ? null : ("Content-Type", type),
                idempotency is null ? null : ("Idempotency-Key", idempotency),
                condition is null ? null : ("If-Match", condition),
                header,
            }.OfType<(string, string)>().ToList();
    }

    // ---------------------------------------------------------------- CSV files

    private static readonly string[] Columns = ["member_id", "points", "kind", "expires_on", "reason", "idempotency_key"];
    private static readonly string[] Aliases = ["会員ID", "ポイント", "種別", "有効期限", "理由", "冪等キー"];

    /// <summary>
    /// A file: a header (usually valid, columns in any order, canonical or Japanese names), rows that are valid in
    /// about half of the files (so that files get applied: grants, deductions past the balance, replays of reused keys)
    /// and odd in the rest, in one of the encodings and line ends admins' tools write, sometimes broken.
    /// </summary>
    private Gen<CsvFuzzInput> CsvFile => Gen.Sized(size =>
        from header in CsvHeader
        from messy in Gen.Frequency((5, Gen.Constant(0)), (3, Gen.Constant(1)), (2, Gen.Constant(2)))
        from rows in Gen.ListOf(CsvRow(header, messy), Math.Min(size, 40))
        from lineEnd in Gen.Frequency((5, Gen.Constant("\r\n")), (4, Gen.Constant("\n")), (1, Gen.Constant("\r")))
        from trailing in Gen.Frequency((6, Gen.Constant("")), (3, Gen.Elements("\r\n", "\r\n\r\n", ",,,,,\r\n")), (messy, Gen.Elements("\"", "\0")))
        from encoding in Gen.Frequency((50, Gen.Constant("utf-8")), (25, Gen.Constant("utf-8 BOM")), (20, Gen.Constant("Shift_JIS")), (3, Gen.Constant("UTF-16 BOM")),
            (2, Gen.Constant("utf-8 + stray bytes")))
        let text = string.Join(lineEnd, new[] { string.Join(',', header.Select(Quote)) }.Concat(rows)) + trailing
        select new CsvFuzzInput($"{encoding}, {rows.Count} rows ({(messy == 0 ? "valid" : messy == 1 ? "some odd fields" : "odd")}), line ends {FuzzInput.Escape(lineEnd)}",
            Encode(text, encoding)));

    private static string Quote(string field) => field.Contains(',') || field.Contains('"') ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;

    private static byte[] Encode(string text, string encoding) => encoding switch
    {
        "utf-8 BOM" => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)],
        "Shift_JIS" => CodePagesEncodingProvider.Instance.GetEncoding(932)!.GetBytes(text),
        "UTF-16 BOM" => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(text)],
        "utf-8 + stray bytes" => [.. Encoding.UTF8.GetBytes(text), 0x82, 0xA0, 0xFF],
        _ => Encoding.UTF8.GetBytes(text),
    };

    private static Gen<string[]> CsvHeader => Gen.Frequency(
        (70, Gen.Shuffle(Columns).Select(c => c.ToArray())),
        (10, Gen.Shuffle(Aliases).Select(c => c.ToArray())),
        (10, Gen.SubListOf(Columns).Select(c => c.ToArray())),
        (5, Gen.Elements<string[]>([" Member_ID ", "POINTS", "Reason"], ["ＭＥＭＢＥＲ＿ＩＤ", "points", "reason"], ["member_id", "会員ID", "points", "reason"],
            ["member_id", "points", "reason", "note"], [""], ["\"member_id", "points"])),
        (5, Gen.Shuffle(Columns).Select(c => c.Append("extra").ToArray())));

    /// <summary>The canonical column a header cell names, or null.</summary>
    private static string? ColumnOf(string cell)
    {
        var name = cell.Trim().Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var at = System.Array.FindIndex(Aliases, a => a.Normalize(NormalizationForm.FormKC).Equals(name, StringComparison.OrdinalIgnoreCase));
        return at >= 0 ? Columns[at] : Columns.Contains(name) ? name : null;
    }

    /// <summary>A valid row: a grant of regular points, of special points with their expiry, or a deduction.</summary>
    private Gen<Dictionary<string, string>> ValidRow =>
        from member in Gen.Elements(world.Members.ToArray())
        from shape in Gen.Choose(0, 2)
        from points in Gen.Choose(1, 500)
        from reason in Gen.Elements("fuzz", "キャンペーン付与", "refund, order 12", "say \"hi\"", "=1+1", "@SUM(A1)", "ﾎﾟｲﾝﾄ")
        from key in Gen.Frequency((60, Gen.Constant("")), (38, Key), (2, Gen.Elements("k1", "k2", "k3")))
        from kind in Gen.Elements("", "regular", "通常", "special", "期間限定")
        select new Dictionary<string, string>
        {
            ["member_id"] = member,
            ["points"] = (shape == 2 ? -points : points).ToString(CultureInfo.InvariantCulture),
            ["kind"] = shape == 1 ? (kind is "special" or "期間限定" ? kind : "special") : kind is "special" or "期間限定" ? "" : kind,
            ["expires_on"] = shape == 1 ? DateOnly.FromDateTime(world.Now.UtcDateTime).AddMonths(2).ToString("yyyy/MM/dd", CultureInfo.InvariantCulture) : "",
            ["reason"] = reason,
            ["idempotency_key"] = key,
        };

    private Gen<string> OddField(string? column) => column switch
    {
        "member_id" => Gen.Frequency((1, Key), (2, Gen.Elements("", "a b", new string('m', 65), "m\0", "ﾒﾝﾊﾞｰ"))),
        "points" => Gen.Elements("0", "1000000000", "1000000001", "-1000000001", "1,000", "1.5", "+5", " 7 ", "abc", "99999999999999999999", "１０", ""),
        "kind" => Gen.Elements("purchased", "購入", "REGULAR", "x", "special"),
        "expires_on" => Gen.Elements("2027-03-31", "2026-11-22", "9999-12-31", "0001-01-01", "2027-02-30", "31/12/2027", "2026-12-31"),
        "idempotency_key" => Gen.Elements("has space", new string('k', 129), "k1"),
        _ => Text,
    };

    private Gen<string> CsvRow(string[] header, int messy)
    {
        var columns = header.Select(ColumnOf).ToList();
        return
            from valid in ValidRow
            from odd in Gen.CollectToList(columns.Select(OddField))
            from oddness in Gen.CollectToList(columns.Select(_ => Gen.Choose(0, 99)))
            from quoteAll in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
            from shape in messy == 0 ? Gen.Constant(0)
                : Gen.Frequency((85, Gen.Constant(0)), (5, Gen.Constant(1)), (4, Gen.Constant(2)), (3, Gen.Constant(3)), (2, Gen.Constant(4)), (1, Gen.Constant(5)))
            let values = columns.Select((column, i) => messy == 2 || messy == 1 && oddness[i] < 15 || column is null ? odd[i] : valid[column]).ToList()
            let written = values.Select(v => quoteAll || v.Contains('\n') || v.Contains('\r') ? $"\"{v.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : Quote(v)).ToList()
            select shape switch
            {
                1 => string.Join(',', written) + ",extra,values",                        // more fields than the header
                2 => string.Join(',', written.Take(Math.Max(0, written.Count - 2))),     // fewer
                3 => string.Join(',', written) + ",\"unclosed",                          // broken quoting
                4 => string.Join(',', written) + "," + new string('x', 70_000),           // a row past the row limit
                5 => string.Join(',', written).Replace(",", ",\0", StringComparison.Ordinal), // NULs
                _ => string.Join(',', written),
            };
    }
}

using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Points.Domain.Earning;
using Points.Domain.Ledger;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Ledger;
using Points.Functions.Settings;

namespace Points.Functions.Earning;

public sealed record EventItem([property: Required] string? Sku, int Quantity, long UnitPrice);

public sealed record EventRequest(
    [property: Required] string? EventId, [property: Required] string? MemberId, [property: Required] string? Type, DateTimeOffset? OccurredAt, long? Amount, string? StoreId, string? Channel,
    string? Reference, IReadOnlyList<EventItem>? Items, string? Name);

public static partial class EventEndpoints
{
    public const long AmountYenMax = 10_000_000_000;
    public const int ItemsMax = 100;
    public const int QuantityMax = 10_000;
    public const int SkuLengthMax = 64;
    /// <summary>Also in the pattern of <see cref="CustomName"/>.</summary>
    public const int CustomNameLengthMax = 64;
    /// <summary>Events may arrive late (partner queues) but not from the far past, nor from the future beyond clock skew.</summary>
    public static readonly TimeSpan LateEventsMax = TimeSpan.FromDays(30);
    public static readonly TimeSpan ClockSkewMax = TimeSpan.FromMinutes(5);

    public static void MapEventEndpoints(this IEndpointRouteBuilder api) =>
        api.MapPost("/v1/events", Record).RequireScope(Scopes.PointsWrite)
            .Describe("recordEvent", ApiTags.Earning, "Record an event that may earn points",
                "Records one event of a member (a purchase, a login, a survey, a custom event…) and awards the points of every rule "
                + "and campaign that applies, with the balance after. An event that awards nothing is still recorded. A purchase needs `amount` in yen.")
            .IdempotentBy("eventId")
            .TakesJson<EventRequest>()
            .Produces<EventResponse>()
            .Refuses(Problems.InvalidRequest, Problems.MemberNotFound)
            .Refuses(LedgerRejection.AmountTooLarge, LedgerRejection.BalanceLimitExceeded);

    private static async Task<IResult> Record(HttpContext http, MemberLedger ledger, EarningConfigStore config,
        ProgramSettingsStore settingsStore, TimeProvider clock)
    {
        var (request, problem) = await RequestReader.ReadBodyAsync<EventRequest>(http);
        if (problem is not null) return problem;
        var now = clock.GetUtcNow();
        if (Validate(request!, now) is { Count: > 0 } errors) return Problems.Invalid("Some fields are invalid.", errors);
        if (!RequestReader.TryMemberId(request!.MemberId, out var memberId, out problem)) return problem!;

        var settings = await settingsStore.GetAsync(http.RequestAborted);
        var earning = await config.GetConfigAsync(settings, http.RequestAborted);
        var trigger = request.Type == "custom" ? Triggers.CustomPrefix + request.Name : request.Type!;
        var occurredAt = request.OccurredAt ?? now;
        var command = new EarnCommand(new EarningEvent(request.EventId!, trigger, occurredAt, settings.DateOf(occurredAt), request.Amount, request.StoreId,
            request.Channel) { LocalTime = settings.TimeOf(occurredAt) }, request.Reference)
        {
            Skus = request.Items?.Select(i => i.Sku!).Distinct(StringComparer.Ordinal).ToList() ?? [],
        };
        var result = await ledger.ExecuteAsync(memberId,
            EarningOperation.For(command, earning, http.CallerName(), RequestReader.HashOf("POST", "/api/v1/events", request)));
        return result.ToHttp(http, StatusCodes.Status200OK);
    }

    private static Dictionary<string, string[]> Validate(EventRequest request, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (!RequestReader.IsWellFormedKey(request.EventId)) errors["eventId"] = [$"Required: 1–{RequestReader.IdempotencyKeyLengthMax} characters [A-Za-z0-9._:-]."];
        if (request.Type is not { } type || !Triggers.EventTypes.Contains(type)) errors["type"] = [$"One of {string.Join(", ", Triggers.EventTypes)}."];
        if (request.Type == "custom" && (request.Name is null || !CustomName().IsMatch(request.Name))) errors["name"] = [$"Custom events need a name: 1–{CustomNameLengthMax} of [a-z0-9_-]."];
        if (request.Type == "purchase" && request.Amount is null) errors["amount"] = ["Purchases need an amount in yen."];
        if (request.Amount is < 0 or > AmountYenMax) errors["amount"] = [$"0..{AmountYenMax} yen."];
        if (request.OccurredAt is { } at && (at > now + ClockSkewMax || at < now - LateEventsMax))
            errors["occurredAt"] = [$"Within the last {LateEventsMax.TotalDays} days and not in the future."];
        if (request.StoreId is { Length: 0 or > RequestReader.IdLengthMax }) errors["storeId"] = [$"1–{RequestReader.IdLengthMax} characters."];
        if (request.Channel is { Length: 0 or > EntryDetails.ChannelLengthMax }) errors["channel"] = [$"1–{EntryDetails.ChannelLengthMax} characters."];
        if (request.Reference is { Length: 0 or > EntryDetails.ReferenceLengthMax }) errors["reference"] = [$"1–{EntryDetails.ReferenceLengthMax} characters."];
        if (request.Items is { } items && (items.Count > ItemsMax
            || items.Any(i => i.Sku is not { Length: > 0 and <= SkuLengthMax } || i.Quantity is < 1 or > QuantityMax || i.UnitPrice is < 0 or > AmountYenMax)))
            errors["items"] = [$"At most {ItemsMax} items, each with a sku (1–{SkuLengthMax}), quantity 1..{QuantityMax} and unitPrice 0..{AmountYenMax}."];
        return errors;
    }

    [GeneratedRegex("^[a-z0-9_-]{1,64}$")]
    private static partial Regex CustomName();
}

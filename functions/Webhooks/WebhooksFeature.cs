using System.Net;
using System.Text;
using System.Text.Json;
using Points.Domain.Primitives;
using Points.Domain.Webhooks;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Hosting;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Storage;

namespace Points.Functions.Webhooks;

public sealed record CreateWebhookRequest(string? Partner, string? Url, IReadOnlyList<string>? EventTypes);

/// <summary>A change: only the fields given change.</summary>
public sealed record ChangeWebhookRequest(string? Partner, string? Url, IReadOnlyList<string>? EventTypes, bool? Active);

public sealed record RotateSecretRequest(int? OverlapHours);

/// <summary>Replay one event (<paramref name="EventId"/>) or the events that occurred in [<paramref name="From"/>, <paramref name="To"/>).</summary>
public sealed record ReplayRequest(string? EventId, DateTimeOffset? From, DateTimeOffset? To);

public sealed record WebhookSecretView(DateTimeOffset CreatedAt, DateTimeOffset? RetiresAt);

/// <summary>A subscription as answered: never a secret, except <paramref name="Secret"/> right after creation or rotation.</summary>
public sealed record WebhookSubscriptionView(string SubscriptionId, string Partner, string Url, IReadOnlyList<string> EventTypes, bool Active,
    string? DeactivatedReason, IReadOnlyList<WebhookSecretView> Secrets, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? Secret)
{
    public static WebhookSubscriptionView Of(WebhookSubscriptionDocument s, string? secret = null) =>
        new(s.Id, s.Partner, s.Url, s.EventTypes, s.Active, s.DeactivatedReason, [.. s.Secrets.Select(x => new WebhookSecretView(x.CreatedAt, x.RetiresAt))],
            s.CreatedAt, s.UpdatedAt, secret);
}

public sealed record WebhookSubscriptionList(IReadOnlyList<WebhookSubscriptionView> Items);

public sealed record WebhookDeliveryView(string EventId, string Type, string MemberId, long Sequence, DateTimeOffset OccurredAt, DeliveryStatus Status,
    int AttemptCount, IReadOnlyList<DeliveryAttempt> Attempts, DateTimeOffset? DeliveredAt, string? DeadReason)
{
    public static WebhookDeliveryView Of(WebhookLogDocument d) =>
        new(d.Id, d.Type, d.MemberId, d.Sequence, d.OccurredAt, d.Status, d.AttemptCount, d.Attempts, d.DeliveredAt, d.DeadReason);
}

/// <param name="Continuation">Pass as <c>continuation</c> for the next page (older days follow); null at the end of the retention window.</param>
public sealed record WebhookDeliveryList(string Day, IReadOnlyList<WebhookDeliveryView> Items, string? Continuation);

public sealed record Replayed(int Events);

/// <summary>
/// Outbound webhooks to partner sites (F37): subscriptions, events from every member commit (an outbox item of the
/// commit that caused them), delivery by <c>SendWebhooks</c> on the <c>webhooks</c> queue, the delivery log and replays.
/// </summary>
public sealed class WebhooksFeature : Feature
{
    public const int PartnerLengthMax = 100;
    public const int UrlLengthMax = 2_000;
    public const int OverlapHoursDefault = 24;
    public const int OverlapHoursMax = 7 * 24;
    /// <summary>The queue trigger's binding name in <c>declarations/SendWebhooks/function.json</c>.</summary>
    public const string MessageBinding = "message";

    public override void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<WebhookOptions>(configuration.GetSection("Webhooks"));
        services.AddSingleton<WebhookSubscriptions>();
        services.AddSingleton<WebhookDeliveries>();
        services.AddSingleton<WebhookSender>();
        services.AddHttpClient(WebhookSender.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan) // the sender times each attempt itself
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false, // a partner's redirect is a failed delivery, not a hop to somewhere unchecked
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(5),
            });
        // Every commit tells what happened in it; the handler passes each event to the subscriptions that want it.
        services.AddSingleton<MemberCommitStep>(change =>
        {
            var (member, events) = PartnerEvents.Derive(change);
            return (member, events.IsEmpty ? [] : [new PartnerEventsItem([.. events.Select(WebhookEvent.Of)])]);
        });
        services.AddOutboxHandler<PartnerEventsItem, PartnerEventsHandler>("partner-events");
    }

    public override void MapRoutes(IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/admin/webhooks", Create).RequireScope(Scopes.Admin)
            .Describe("createWebhook", ApiTags.Admin, "Subscribe a partner endpoint to events",
                $"Creates a subscription: `url` (https; http only to a loopback address in development), `eventTypes` (any of "
                + $"{string.Join(", ", PartnerEventTypes.All)}). The answer holds the signing `secret` (`whsec_…`) this once; it is stored encrypted. "
                + "A retry with the same Idempotency-Key answers the same subscription without its secret.")
            .RequiresIdempotencyKey()
            .TakesJson<CreateWebhookRequest>()
            .Produces<WebhookSubscriptionView>(201)
            .Refuses(Problems.InvalidRequest, Problems.IdempotencyKeyReused);
        api.MapGet("/v1/admin/webhooks", List).RequireScope(Scopes.Admin)
            .Describe("listWebhooks", ApiTags.Admin, "List webhook subscriptions", "Every subscription, without secrets.")
            .Produces<WebhookSubscriptionList>();
        api.MapGet("/v1/admin/webhooks/{subscriptionId}", Get).RequireScope(Scopes.Admin)
            .Describe("getWebhook", ApiTags.Admin, "Read a webhook subscription", "The subscription, with its ETag for a change.")
            .Produces<WebhookSubscriptionView>()
            .Refuses(Problems.NotFound);
        api.MapPatch("/v1/admin/webhooks/{subscriptionId}", Change).RequireScope(Scopes.Admin)
            .Describe("changeWebhook", ApiTags.Admin, "Change a webhook subscription",
                "Changes the fields given (`partner`, `url`, `eventTypes`, `active`: turning it on again after a 410 deactivated it). With "
                + "If-Match, only while the subscription is in that state (412 otherwise).")
            .TakesJson<ChangeWebhookRequest>()
            .Produces<WebhookSubscriptionView>()
            .Refuses(Problems.InvalidRequest, Problems.NotFound, Problems.PreconditionFailed);
        api.MapDelete("/v1/admin/webhooks/{subscriptionId}", Delete).RequireScope(Scopes.Admin)
            .Describe("deleteWebhook", ApiTags.Admin, "Delete a webhook subscription", "Stops every delivery to it; what waits is dropped.")
            .Produces(204)
            .Refuses(Problems.NotFound);
        api.MapPost("/v1/admin/webhooks/{subscriptionId}/rotate-secret", Rotate).RequireScope(Scopes.Admin)
            .Describe("rotateWebhookSecret", ApiTags.Admin, "Rotate a subscription's signing secret",
                $"Answers a new `secret` (once). The previous one keeps signing beside it for `overlapHours` (default {OverlapHoursDefault}, at most "
                + $"{OverlapHoursMax}): deliveries carry both signatures, so the partner can switch at its pace.")
            .RequiresIdempotencyKey()
            .TakesJson<RotateSecretRequest>()
            .Produces<WebhookSubscriptionView>()
            .Refuses(Problems.InvalidRequest, Problems.NotFound, Problems.PreconditionFailed);
        api.MapGet("/v1/admin/webhooks/{subscriptionId}/deliveries", Deliveries).RequireScope(Scopes.Admin)
            .Describe("listWebhookDeliveries", ApiTags.Admin, "The delivery log of a subscription",
                $"The deliveries of events that occurred on `day` (UTC, default today; the log keeps {WebhookDeliveries.LogRetentionDays} days), "
                + $"optionally of one `status` (pending, delivered, dead), `limit` per page (default 50, at most {WebhookDeliveries.PageSizeMax}): each "
                + "with its attempts (status code, latency, error). Pass `continuation` for the next page; it moves on to earlier days.")
            .QueryIs("day", Microsoft.OpenApi.JsonSchemaType.String, "date")
            .QueryIs("limit", Microsoft.OpenApi.JsonSchemaType.Integer, "int32")
            .Produces<WebhookDeliveryList>()
            .Refuses(Problems.InvalidRequest, Problems.NotFound);
        api.MapPost("/v1/admin/webhooks/{subscriptionId}/replay", Replay).RequireScope(Scopes.Admin)
            .Describe("replayWebhooks", ApiTags.Admin, "Deliver events again",
                $"Queues again one event (`eventId`) or every event that occurred in [`from`, `to`) (at most {WebhookDeliveries.ReplayMax}), with their "
                + "original id and body, after whatever the member's stream still waits for.")
            .RequiresIdempotencyKey()
            .TakesJson<ReplayRequest>()
            .Produces<Replayed>(202)
            .Refuses(Problems.InvalidRequest, Problems.NotFound);
    }

    public override void MapFunctions(WebApplication app) =>
        app.MapFunction(WebhookSender.FunctionName, async (HttpContext http, WebhookSender sender) =>
        {
            var payload = await InvocationPayload.ReadAsync(http.Request.Body, keepData: true, http.RequestAborted);
            var text = payload.Data.ValueKind == JsonValueKind.Object && payload.Data.TryGetProperty(MessageBinding, out var data)
                ? data.ValueKind == JsonValueKind.Object ? data.GetRawText() : InvocationPayload.Unwrap(data)
                : null;
            if (ParseMessage(text) is not { } message) return Results.BadRequest($"Message {payload.MetadataString("Id")} is not a webhook stream message.");
            var outcome = await sender.ProcessAsync(message, http.RequestAborted);
            return InvocationReply.Ok($"{WebhookSender.FunctionName} {message.SubscriptionId}/{message.MemberId}: {outcome.Delivered} delivered, "
                + $"{outcome.Failed} failed, {outcome.DeadLettered} dead-lettered ({outcome.Note}).");
        });

    public static WebhookStreamMessage? ParseMessage(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            return JsonSerializer.Deserialize<WebhookStreamMessage>(text, JsonDefaults.Options) is { SubscriptionId: { Length: > 0 } s, MemberId: { Length: > 0 } m } message
                && RequestReader.IsWellFormedId(s) && MemberId.IsWellFormed(m) ? message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<IResult> Create(HttpContext http, WebhookSubscriptions subscriptions, IHostEnvironment environment)
    {
        if (!RequestReader.TryIdempotencyKey(http, out var idempotencyKey, out var problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<CreateWebhookRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        var (creation, errors) = await CreateAsync(subscriptions, environment, request!, http.CallerName(), idempotencyKey, http.RequestAborted);
        if (errors.Count > 0) return Problems.Invalid("The subscription is invalid.", errors);
        return creation switch
        {
            WebhookSubscriptions.Creation.Created created => Results.Json(WebhookSubscriptionView.Of(created.Subscription, created.Secret), JsonDefaults.Options, statusCode: 201),
            WebhookSubscriptions.Creation.Replayed replayed => Replay201(http, replayed.Subscription),
            WebhookSubscriptions.Creation.KeyReused => Problems.For(Problems.IdempotencyKeyReused, "This Idempotency-Key was first used with a different request."),
            _ => Problems.Invalid("url", $"At most {WebhookSubscriptions.SubscriptionsMax} subscriptions; delete unused ones first."),
        };

        static IResult Replay201(HttpContext http, WebhookSubscriptionDocument subscription)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
            return Results.Json(WebhookSubscriptionView.Of(subscription), JsonDefaults.Options, statusCode: 201);
        }
    }

    /// <summary>Checks a subscription and creates it (the API and the console): the creation, or the errors by field.</summary>
    public static async Task<(WebhookSubscriptions.Creation? Creation, Dictionary<string, string[]> Errors)> CreateAsync(WebhookSubscriptions subscriptions,
        IHostEnvironment environment, CreateWebhookRequest request, string actor, string idempotencyKey, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        CheckPartner(request.Partner, errors, required: true);
        CheckUrl(request.Url, environment, errors, required: true);
        CheckEventTypes(request.EventTypes, errors, required: true);
        if (errors.Count > 0) return (null, errors);
        var (partner, url, types) = (request.Partner!.Trim(), request.Url!, Normalized(request.EventTypes!));
        // The API's path, whichever asks: the same key and subscription replay alike from both.
        var requestHash = RequestReader.HashOf("POST", "/api/v1/admin/webhooks", new { partner, url, types });
        return (await subscriptions.CreateAsync(actor, idempotencyKey, requestHash, partner, url, types, cancellationToken), errors);
    }

    private static async Task<IResult> List(HttpContext http, WebhookSubscriptions subscriptions) =>
        Results.Json(new WebhookSubscriptionList([.. (await subscriptions.ListAsync(http.RequestAborted)).Select(s => WebhookSubscriptionView.Of(s))]), JsonDefaults.Options);

    private static async Task<IResult> Get(string subscriptionId, HttpContext http, WebhookSubscriptions subscriptions)
    {
        if ((await subscriptions.ReadAsync(subscriptionId, http.RequestAborted)).Subscription is not { } subscription) return NotFound(subscriptionId);
        Preconditions.AnswerETag(http, subscription.ETag());
        return Results.Json(WebhookSubscriptionView.Of(subscription), JsonDefaults.Options);
    }

    private static async Task<IResult> Change(string subscriptionId, HttpContext http, WebhookSubscriptions subscriptions, IHostEnvironment environment)
    {
        if (!Preconditions.TryReadIfMatch(http, out var ifMatch, out var problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<ChangeWebhookRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        var errors = new Dictionary<string, string[]>();
        CheckPartner(request!.Partner, errors, required: false);
        CheckUrl(request.Url, environment, errors, required: false);
        CheckEventTypes(request.EventTypes, errors, required: false);
        if (request is { Partner: null, Url: null, EventTypes: null, Active: null }) errors["body"] = ["Give at least one of partner, url, eventTypes, active."];
        if (errors.Count > 0) return Problems.Invalid("The change is invalid.", errors);

        var (outcome, subscription) = await subscriptions.ChangeAsync(subscriptionId, ifMatch, (current, _) =>
        {
            var changed = current with
            {
                Partner = request.Partner?.Trim() ?? current.Partner,
                Url = request.Url ?? current.Url,
                EventTypes = request.EventTypes is { } types ? Normalized(types) : current.EventTypes,
            };
            return request.Active is { } active ? changed.WithActive(active) : changed;
        }, http.RequestAborted);
        return Answer(http, subscriptionId, outcome, subscription, secret: null);
    }

    private static async Task<IResult> Delete(string subscriptionId, HttpContext http, WebhookSubscriptions subscriptions) =>
        await subscriptions.DeleteAsync(subscriptionId, http.RequestAborted) ? Results.NoContent() : NotFound(subscriptionId);

    private static async Task<IResult> Rotate(string subscriptionId, HttpContext http, WebhookSubscriptions subscriptions)
    {
        if (!RequestReader.TryIdempotencyKey(http, out _, out var problem)) return problem!;
        if (!Preconditions.TryReadIfMatch(http, out var ifMatch, out problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<RotateSecretRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        if (request!.OverlapHours is < 0 or > OverlapHoursMax) return Problems.Invalid("overlapHours", $"0..{OverlapHoursMax}.");
        var (outcome, subscription, secret) = await subscriptions.RotateAsync(subscriptionId, ifMatch,
            TimeSpan.FromHours(request.OverlapHours ?? OverlapHoursDefault), http.RequestAborted);
        return Answer(http, subscriptionId, outcome, subscription, secret);
    }

    private static IResult Answer(HttpContext http, string subscriptionId, WebhookSubscriptions.ChangeOutcome outcome, WebhookSubscriptionDocument? subscription, string? secret)
    {
        switch (outcome)
        {
            case WebhookSubscriptions.ChangeOutcome.NotFound:
                return NotFound(subscriptionId);
            case WebhookSubscriptions.ChangeOutcome.PreconditionFailed:
                return Preconditions.Failed(http, $"Webhook subscription {subscriptionId}", subscription?.ETag());
            default:
                Preconditions.AnswerETag(http, subscription!.ETag());
                return Results.Json(WebhookSubscriptionView.Of(subscription, secret), JsonDefaults.Options);
        }
    }

    private static async Task<IResult> Deliveries(string subscriptionId, HttpContext http, WebhookSubscriptions subscriptions, WebhookDeliveries deliveries,
        TimeProvider clock)
    {
        if (!RequestReader.TryQueryText(http, "day", out var dayText, out var problem)
            || !RequestReader.TryQueryText(http, "status", out var statusText, out problem)
            || !RequestReader.TryQueryText(http, "continuation", out var continuation, out problem)
            || !RequestReader.TryQueryInteger(http, "limit", 1, WebhookDeliveries.PageSizeMax, out var limit, out problem))
        {
            return problem!;
        }
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var oldest = today.AddDays(-WebhookDeliveries.LogRetentionDays);
        DeliveryStatus? status = null;
        if (statusText is not null)
        {
            if (!Enum.TryParse<DeliveryStatus>(statusText, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || statusText.Any(char.IsDigit))
                return Problems.Invalid("status", "pending, delivered or dead.");
            status = parsed;
        }
        DateOnly day;
        string? token = null;
        if (continuation is not null)
        {
            if (PageToken.Read(continuation) is not { } read || read.Day < oldest || read.Day > today) return Problems.Invalid("continuation", "Pass the continuation a page answered, unchanged.");
            (day, token) = (read.Day, read.Token);
        }
        else if (dayText is null) day = today;
        else if (CalendarText.TryParseDay(dayText) is { } asked && asked >= oldest && asked <= today) day = asked;
        else return Problems.Invalid("day", $"A day (yyyy-MM-dd, UTC) of the last {WebhookDeliveries.LogRetentionDays} days.");
        if ((await subscriptions.ReadAsync(subscriptionId, http.RequestAborted)).Subscription is null) return NotFound(subscriptionId);

        // A page is of one day; an empty day moves on to the one before, so a caller pages back through the log.
        var pageSize = (int)(limit ?? 50);
        while (true)
        {
            var (items, next) = await deliveries.PageAsync(subscriptionId, CalendarText.DayOf(day), status, token, pageSize, http.RequestAborted);
            var nextToken = next is not null ? PageToken.Write(day, next) : day > oldest ? PageToken.Write(day.AddDays(-1), null) : null;
            if (items.Count > 0 || nextToken is null || next is not null)
                return Results.Json(new WebhookDeliveryList(CalendarText.DayOf(day), [.. items.OrderBy(i => i.OccurredAt).ThenBy(i => i.Id, StringComparer.Ordinal).Select(WebhookDeliveryView.Of)],
                    nextToken), JsonDefaults.Options);
            (day, token) = (day.AddDays(-1), null);
        }
    }

    private static async Task<IResult> Replay(string subscriptionId, HttpContext http, WebhookSubscriptions subscriptions, WebhookDeliveries deliveries, TimeProvider clock)
    {
        if (!RequestReader.TryIdempotencyKey(http, out _, out var problem)) return problem!;
        var (request, bodyProblem) = await RequestReader.ReadBodyAsync<ReplayRequest>(http);
        if (bodyProblem is not null) return bodyProblem;
        var now = clock.GetUtcNow();
        var byId = request!.EventId is not null;
        if (byId == (request.From is not null || request.To is not null)) return Problems.Invalid("eventId", "Give either eventId, or from and to.");
        if (byId && !RequestReader.IsWellFormedId(request.EventId)) return RequestReader.InvalidId("eventId");
        if (!byId && (request.From is not { } from || request.To is not { } to || from >= to || from < now.AddDays(-WebhookDeliveries.LogRetentionDays) || to - from > TimeSpan.FromDays(31)))
            return Problems.Invalid("from", $"from < to, at most 31 days apart, within the log's {WebhookDeliveries.LogRetentionDays} days.");
        if ((await subscriptions.ReadAsync(subscriptionId, http.RequestAborted)).Subscription is null) return NotFound(subscriptionId);

        IReadOnlyList<WebhookLogDocument> items;
        if (byId)
        {
            if (await deliveries.FindAsync(subscriptionId, request.EventId!, http.RequestAborted) is not { } item)
                return Problems.For(Problems.NotFound, $"Event {request.EventId} was not sent to {subscriptionId} in the last {WebhookDeliveries.LogRetentionDays} days.");
            items = [item];
        }
        else
        {
            items = await deliveries.InPeriodAsync(subscriptionId, request.From!.Value, request.To!.Value, WebhookDeliveries.ReplayMax, http.RequestAborted);
            if (items.Count > WebhookDeliveries.ReplayMax) return Problems.Invalid("to", $"More than {WebhookDeliveries.ReplayMax} events: replay a shorter period.");
        }
        return Results.Json(new Replayed(await deliveries.ReplayAsync(subscriptionId, items, http.RequestAborted)), JsonDefaults.Options, statusCode: 202);
    }

    private static IResult NotFound(string subscriptionId) => Problems.For(Problems.NotFound, $"There is no webhook subscription '{subscriptionId}'.");

    private static IReadOnlyList<string> Normalized(IReadOnlyList<string> types) => [.. types.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    private static void CheckPartner(string? partner, Dictionary<string, string[]> errors, bool required)
    {
        if (partner is null && !required) return;
        if (partner is null || string.IsNullOrWhiteSpace(partner) || partner.Trim().Length > PartnerLengthMax || partner.Any(char.IsControl))
            errors["partner"] = [$"1–{PartnerLengthMax} characters, no control characters."];
    }

    private static void CheckEventTypes(IReadOnlyList<string>? types, Dictionary<string, string[]> errors, bool required)
    {
        if (types is null && !required) return;
        if (types is not { Count: > 0 } || types.Any(t => t is null || !PartnerEventTypes.All.Contains(t)))
            errors["eventTypes"] = [$"One or more of {string.Join(", ", PartnerEventTypes.All)}."];
    }

    /// <summary>https only; http only to a loopback address on a developer's machine. No credentials in the URL, no fragment.</summary>
    private static void CheckUrl(string? url, IHostEnvironment environment, Dictionary<string, string[]> errors, bool required)
    {
        if (url is null && !required) return;
        var ok = url is { Length: > 0 and <= UrlLengthMax } && Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && string.IsNullOrEmpty(uri.UserInfo) && string.IsNullOrEmpty(uri.Fragment)
            && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback && AzureHosting.AllowsDevelopmentSecrets(environment)));
        if (!ok) errors["url"] = [$"An absolute https URL of at most {UrlLengthMax} characters, without credentials or fragment (http only to a loopback address in development)."];
    }

    /// <summary>The delivery log's page token: the day, and Cosmos's continuation within it.</summary>
    private sealed record PageToken(DateOnly Day, string? Token)
    {
        public static string Write(DateOnly day, string? token) => PageTokens.Write(new PageToken(day, token));

        public static PageToken? Read(string text) => PageTokens.Read<PageToken>(text);
    }
}

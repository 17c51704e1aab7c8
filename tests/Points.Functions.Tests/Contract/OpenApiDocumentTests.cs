using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Points.Functions.Api;
using Points.Functions.Auth;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Contract;

/// <summary>
/// The served OpenAPI document is the partner contract: every operation in it is complete (id, summary, tag, success
/// and problem responses, security, idempotency key, request body), every route of the app is in it, and what it says
/// about keys and scopes is what the routes do. A new route cannot slip in undocumented.
/// </summary>
public sealed partial class OpenApiDocumentTests(AppFixture app) : IClassFixture<AppFixture>
{
    /// <summary>Operations that need no API key (api.md "Auth"); the document itself is not an operation of itself.</summary>
    private static readonly HashSet<string> Open = ["GET /api/health", "POST /api/v1/webhooks/paypal"];

    /// <summary>POSTs without an Idempotency-Key, each with the reason (api.md "Idempotency").</summary>
    private static readonly Dictionary<string, string> PostsWithoutKey = new()
    {
        ["POST /api/v1/events"] = "eventId plays the key's role",
        ["POST /api/v1/members/{memberId}/qr-token"] = "issuing a token changes nothing",
        ["POST /api/v1/members/{memberId}/purchases/{purchaseId}/capture"] = "an order is captured once: every capture of it is the same",
        ["POST /api/v1/webhooks/paypal"] = "PayPal sends no key; the event id plays its role",
        ["POST /api/v1/admin/special-campaigns/{campaignId}/preview"] = "starting a phase again resumes it",
        ["POST /api/v1/admin/special-campaigns/{campaignId}/grant"] = "starting a phase again resumes it; each member is granted once",
        ["POST /api/v1/admin/special-grants/preview"] = "counting changes nothing",
        ["POST /api/v1/admin/special-grants"] = "api.md names no key: one is taken when given, else each call is a new grant",
        ["POST /api/v1/admin/members/{memberId}/special-points/invalidate"] = "a second call finds nothing left to take",
        ["POST /api/v1/admin/members/{memberId}/special-points/{lotId}/invalidate"] = "a second call finds nothing left to take",
        ["POST /api/v1/admin/exports"] = "api.md names no key: one is taken when given, else each call is a new export",
    };

    /// <summary>Writes without a body, each with the reason.</summary>
    private static readonly Dictionary<string, string> WritesWithoutBody = new()
    {
        ["POST /api/v1/members/{memberId}/qr-token"] = "the member is in the path",
        ["POST /api/v1/members/{memberId}/withdrawals/{withdrawalId}/cancel"] = "the withdrawal is in the path",
        ["POST /api/v1/admin/withdrawals/transfer-files/{fileId}/paid"] = "the file is in the path",
        ["POST /api/v1/admin/bank-accounts/re-encrypt"] = "a page of the rotation; where to go on is in the query",
        ["POST /api/v1/members/{memberId}/purchases/{purchaseId}/capture"] = "the purchase is in the path",
        ["POST /api/v1/admin/special-campaigns/{campaignId}/preview"] = "the campaign is in the path",
        ["POST /api/v1/admin/special-campaigns/{campaignId}/grant"] = "the campaign is in the path",
    };

    [Fact]
    public async Task EveryOperation_IsDocumentedCompletely()
    {
        using var document = await DocumentAsync();
        var root = document.RootElement;
        var tags = root.GetProperty("tags").EnumerateArray()
            .ToDictionary(t => t.GetProperty("name").GetString()!, t => t.TryGetProperty("description", out var d) ? d.GetString() : null);
        var faults = new List<string>();
        var operationIds = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (name, operation) in Operations(root))
        {
            void Fault(string what) => faults.Add($"{name}: {what}");
            var method = name[..name.IndexOf(' ', StringComparison.Ordinal)];

            if (Text(operation, "operationId") is not { } id || !CamelCase().IsMatch(id)) Fault("no camelCase operationId");
            else if (!operationIds.Add(id)) Fault($"operationId {id} is used twice");
            if (string.IsNullOrWhiteSpace(Text(operation, "summary"))) Fault("no summary");
            var description = Text(operation, "description") ?? "";
            if (string.IsNullOrWhiteSpace(description)) Fault("no description");
            var operationTags = operation.TryGetProperty("tags", out var t) ? t.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
            if (operationTags.Count == 0) Fault("no tag");
            foreach (var tag in operationTags.Where(tag => string.IsNullOrEmpty(tags.GetValueOrDefault(tag)))) Fault($"tag {tag} is not declared with a description");

            var responses = operation.GetProperty("responses").EnumerateObject().ToDictionary(r => r.Name, r => r.Value);
            var successes = responses.Where(r => r.Key.StartsWith('2')).ToList();
            if (successes.Count == 0) Fault("no success response");
            foreach (var (status, response) in successes.Where(s => s.Key != "204"))
            {
                if (!response.TryGetProperty("content", out var content) || !content.TryGetProperty("application/json", out var json) || !json.TryGetProperty("schema", out _))
                    Fault($"{status} has no JSON schema");
            }
            if (!responses.Keys.Any(s => s.StartsWith('4')) && !Open.Contains(name)) Fault("no client error response");
            foreach (var (status, response) in responses.Where(r => r.Key[0] is '4' or '5'))
            {
                if (!response.TryGetProperty("content", out var content) || !content.TryGetProperty(Problems.ContentType, out var problem))
                {
                    if (status[0] == '4') Fault($"{status} is not {Problems.ContentType}");
                    continue;
                }
                var schema = problem.GetProperty("schema");
                if (schema.GetProperty("allOf")[0].GetProperty("$ref").GetString() != "#/components/schemas/Problem") Fault($"{status} does not use the Problem schema");
                var codes = schema.GetProperty("allOf")[1].GetProperty("properties").GetProperty("code").GetProperty("enum").EnumerateArray().Select(c => c.GetString()!).ToList();
                if (codes.Count == 0) Fault($"{status} lists no code");
                foreach (var code in codes.Where(c => !Problems.Codes.Contains(c))) Fault($"{status} lists unknown code {code}");
            }

            var security = operation.TryGetProperty("security", out var s) ? s.EnumerateArray().ToList() : [];
            if (Open.Contains(name))
            {
                if (security is not [{ ValueKind: JsonValueKind.Object } anyone] || anyone.EnumerateObject().Any()) Fault("an open operation should say so with security [{}]");
            }
            else
            {
                var scopes = security.SelectMany(r => r.TryGetProperty(OpenApiContract.ApiKeyScheme, out var x) ? x.EnumerateArray().Select(y => y.GetString()!) : []).ToList();
                if (scopes is not [var scope] || !Scopes.All.Contains(scope)) Fault($"no {OpenApiContract.ApiKeyScheme} requirement with one scope");
                else if (!description.Contains($"`{scope}`", StringComparison.Ordinal)) Fault($"the description does not name the {scope} scope");
                if (!responses.ContainsKey("401") || !responses.ContainsKey("403")) Fault("no 401 and 403 responses");
            }

            var keyed = HasIdempotencyKey(root, operation);
            if (method == "POST" && !PostsWithoutKey.ContainsKey(name))
            {
                if (!keyed) Fault($"no required {OpenApiContract.IdempotencyKeyHeader} header parameter with the documented pattern");
                foreach (var (status, response) in successes.Where(r => !r.Value.TryGetProperty("headers", out var h) || !h.TryGetProperty(OpenApiContract.ReplayedHeader, out _)))
                    Fault($"{status} does not document {OpenApiContract.ReplayedHeader}");
            }
            else if (keyed) Fault($"documents an {OpenApiContract.IdempotencyKeyHeader} it is not listed as needing");

            if (method is "POST" or "PUT" or "PATCH" && !WritesWithoutBody.ContainsKey(name))
            {
                if (!operation.TryGetProperty("requestBody", out var body) || !body.GetProperty("content").TryGetProperty("application/json", out var json)
                    || !json.GetProperty("schema").TryGetProperty("$ref", out _))
                    Fault("no JSON request body with a schema");
            }
        }

        Assert.True(faults.Count == 0, string.Join(Environment.NewLine, faults));
        Assert.True(operationIds.Count >= 20, $"Only {operationIds.Count} operations: is the document complete?");
    }

    [Fact]
    public async Task EveryRouteOfTheApi_IsInTheDocument()
    {
        using var document = await DocumentAsync();
        var documented = Operations(document.RootElement).Select(o => o.Name).ToHashSet();

        var routes = app.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.StartsWith("/api/", StringComparison.Ordinal) && raw != "/api/openapi.json")
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToList();

        Assert.NotEmpty(routes);
        var undocumented = routes.Where(r => !documented.Contains(r)).ToList();
        Assert.True(undocumented.Count == 0, "Not in the document: " + string.Join(", ", undocumented));
    }

    [Fact]
    public async Task TheSharedParts_AreDefinedOnce()
    {
        using var document = await DocumentAsync();
        var components = document.RootElement.GetProperty("components");

        var scheme = components.GetProperty("securitySchemes").GetProperty(OpenApiContract.ApiKeyScheme);
        Assert.Equal(("apiKey", "header", "X-Api-Key"), (Text(scheme, "type"), Text(scheme, "in"), Text(scheme, "name")));
        var problem = components.GetProperty("schemas").GetProperty("Problem").GetProperty("properties");
        Assert.Equal(["type", "title", "status", "detail", "code", "errors"], problem.EnumerateObject().Select(p => p.Name));
        var key = components.GetProperty("parameters").GetProperty(OpenApiContract.IdempotencyKeyParameter);
        Assert.Equal(("Idempotency-Key", "header", true, "^[A-Za-z0-9._:-]{1,128}$"),
            (Text(key, "name"), Text(key, "in"), key.GetProperty("required").GetBoolean(), Text(key.GetProperty("schema"), "pattern")));
        Assert.True(components.GetProperty("headers").TryGetProperty(OpenApiContract.ReplayedHeader, out _));
    }

    [Fact]
    public async Task EveryPost_RefusesAMissingIdempotencyKey_ExactlyWhenTheDocumentSaysItNeedsOne()
    {
        using var document = await DocumentAsync();
        var root = document.RootElement;
        var client = app.Client();
        var mismatches = new List<string>();

        foreach (var (name, operation) in Operations(root).Where(o => o.Name.StartsWith("POST ", StringComparison.Ordinal)))
        {
            // Refused before anything is read or written: a member id nobody has, an empty body, no key.
            var reply = await client.SendAsync(HttpMethod.Post, Fill(name["POST ".Length..]), new { });
            var refusedForTheKey = reply.Code == Problems.IdempotencyKeyRequired.Code;
            if (refusedForTheKey != HasIdempotencyKey(root, operation))
                mismatches.Add($"{name}: documents the key: {HasIdempotencyKey(root, operation)}; answered {(int)reply.Status} {reply.Code}");
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    [Fact]
    public async Task EverySecuredOperation_Answers401WithoutAKey_And403WithAKeyOfAnotherScope()
    {
        using var document = await DocumentAsync();
        var mismatches = new List<string>();

        foreach (var (name, operation) in Operations(document.RootElement))
        {
            var method = new HttpMethod(name[..name.IndexOf(' ', StringComparison.Ordinal)]);
            var path = Fill(name[(method.Method.Length + 1)..]);
            object? body = method == HttpMethod.Get || method == HttpMethod.Delete ? null : new { };
            var withoutKey = await app.Client(apiKey: null).SendAsync(method, path, body);
            if (Open.Contains(name))
            {
                if (withoutKey.Status == HttpStatusCode.Unauthorized) mismatches.Add($"{name}: open, but 401 without a key");
                continue;
            }
            var scope = operation.GetProperty("security")[0].GetProperty(OpenApiContract.ApiKeyScheme)[0].GetString()!;
            var otherScope = AppFixture.Keys.First(k => k.Key != scope).Value;
            var withOtherKey = await app.Client(otherScope).SendAsync(method, path, body);
            if ((withoutKey.Status, withoutKey.Code, withOtherKey.Status, withOtherKey.Code) != (HttpStatusCode.Unauthorized, "unauthorized", HttpStatusCode.Forbidden, "forbidden"))
                mismatches.Add($"{name} ({scope}): {(int)withoutKey.Status} {withoutKey.Code} without a key, {(int)withOtherKey.Status} {withOtherKey.Code} with another scope's");
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    [Fact]
    public async Task EveryOperationWithABody_Documents415_AndABodySentAsTextGetsIt()
    {
        using var document = await DocumentAsync();
        var withBody = Operations(document.RootElement).Where(o => o.Operation.TryGetProperty("requestBody", out _)).ToList();
        Assert.NotEmpty(withBody);
        Assert.All(withBody, o => Assert.True(o.Operation.GetProperty("responses").TryGetProperty("415", out _), o.Name));

        var memberId = await app.Client().NewMemberAsync(points: 50);
        var reply = await app.Client().SendRawAsync(HttpMethod.Post, $"/api/v1/members/{memberId}/redemptions",
            new StringContent("""{"points":20,"purpose":"other"}""", Encoding.UTF8, "text/plain"), idempotencyKey: Guid.NewGuid().ToString("N"));

        Assert.Equal((HttpStatusCode.UnsupportedMediaType, "unsupported_media_type"), (reply.Status, reply.Code));
        Assert.Equal(50, (await app.Client().GetMemberAsync(memberId)).Long("balance"));
    }

    private async Task<JsonDocument> DocumentAsync() =>
        JsonDocument.Parse(await app.Client(apiKey: null).GetStringAsync("/api/openapi.json"));

    /// <summary>Every operation as "METHOD /path" with its object.</summary>
    private static IEnumerable<(string Name, JsonElement Operation)> Operations(JsonElement root) =>
        root.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(o => o.Name is "get" or "put" or "post" or "delete" or "patch")
            .Select(o => ($"{o.Name.ToUpperInvariant()} {path.Name}", o.Value)));

    private static bool HasIdempotencyKey(JsonElement root, JsonElement operation) =>
        operation.TryGetProperty("parameters", out var parameters) && parameters.EnumerateArray().Select(p => Resolve(root, p)).Any(p =>
            Text(p, "name") == OpenApiContract.IdempotencyKeyHeader && Text(p, "in") == "header" && p.TryGetProperty("required", out var r) && r.GetBoolean()
            && Text(p.GetProperty("schema"), "pattern") == OpenApiContract.IdempotencyKeyPattern);

    private static JsonElement Resolve(JsonElement root, JsonElement node) =>
        Text(node, "$ref") is { } reference
            ? reference[2..].Split('/').Aggregate(root, (at, part) => at.GetProperty(part))
            : node;

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The path with its parameters filled: a member nobody registered, ids nobody used.</summary>
    private static string Fill(string template) => PathParameter().Replace(template, m => m.Value == "{memberId}" ? Infrastructure.Api.NewMemberId() : Infrastructure.Api.Unique("x-"));

    [GeneratedRegex("^[a-z]+(?:[A-Z][a-z0-9]*)+$")]
    private static partial Regex CamelCase();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex PathParameter();
}

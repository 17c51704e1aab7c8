using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Points.Domain.Primitives;

namespace Points.Functions.Api;

/// <summary>The tags of the partner contract, one per area of the business, each described once in the document.</summary>
public static class ApiTags
{
    public const string Members = "Members";
    public const string Earning = "Earning";
    public const string Spending = "Spending";
    public const string Store = "Store";
    public const string Catalog = "Catalog";
    public const string Purchases = "Purchases";
    public const string Admin = "Admin";
    public const string Platform = "Platform";

    /// <summary>In the order the document lists them.</summary>
    public static readonly IReadOnlyList<(string Name, string Description)> All =
    [
        (Members, "Registering members, their balance summary and their history."),
        (Earning, "Events that earn points under the program's rules and campaigns."),
        (Spending, "Redeeming points and reversing earns, spends and referenced adjustments."),
        (Store, "In-store use: a member's QR token and the store terminal's transactions."),
        (Catalog, "The point-usage catalog as a member sees it."),
        (Purchases, "Buying points with PayPal: orders, capture, and PayPal's webhook (signed, no key)."),
        (Admin, "Program administration: settings, earning rules, campaigns, catalog items and manual adjustments (admin scope)."),
        (Platform, "Health of the service (no key needed)."),
    ];
}

/// <summary>Endpoint metadata: the documented type of a query parameter read as text (<see cref="OpenApiContract.QueryIs"/>).</summary>
public sealed record TypedQueryParameter(string Name, Microsoft.OpenApi.JsonSchemaType Type, string? Format);

/// <summary>Endpoint metadata: the business refusals (problems) an operation can answer, besides those its other metadata imply.</summary>
public sealed record AnsweredProblems(IReadOnlyList<ProblemType> Problems);

/// <summary>
/// Endpoint metadata: the JSON body the handler reads itself (<see cref="RequestReader.ReadBodyAsync{T}"/>), for the
/// framework's API description, which makes the document's request body of it like of any bound body. It names no
/// content types on purpose: routing's content-type check (415) applies only to endpoints that name some, so the
/// route keeps reading whatever body it is sent, exactly as before; the document says <c>application/json</c>.
/// </summary>
public sealed class JsonRequestBody(Type type) : IAcceptsMetadata
{
    public IReadOnlyList<string> ContentTypes => [];
    public Type? RequestType => type;
    public bool IsOptional => false;
}

/// <summary>
/// Endpoint metadata: the operation is idempotent and replays its first answer with <c>Idempotent-Replayed: true</c>;
/// by the <c>Idempotency-Key</c> header, or (<paramref name="KeyField"/>) by a field of its body.
/// </summary>
public sealed record IdempotentOperation(string? KeyField = null)
{
    public bool KeyInHeader => KeyField is null;
}

/// <summary>Endpoint metadata: the operation needs no API key (health). Without it and without a scope, the document shows no security at all.</summary>
public sealed record OpenOperation;

/// <summary>
/// The partner contract as the served OpenAPI document (<c>GET /api/openapi.json</c>): features describe each route with
/// the extension methods below (endpoint metadata); the transformers here turn that metadata into the document's shared
/// parts: the <c>Problem</c> schema and problem responses with their codes, the <c>X-Api-Key</c> security scheme and each
/// operation's scope (from <see cref="Auth.ApiKeyEndpointExtensions.RequireScope{TBuilder}"/>), the <c>Idempotency-Key</c>
/// parameter and the <c>Idempotent-Replayed</c> header, request bodies, and the schemas of the domain's value types.
/// </summary>
public static class OpenApiContract
{
    public const string ProblemSchema = "Problem";
    public const string ApiKeyScheme = "ApiKey";
    public const string ApiKeyHeader = "X-Api-Key";
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string IdempotencyKeyParameter = "IdempotencyKey";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const string IdempotencyKeyPattern = "^[A-Za-z0-9._:-]{1,128}$";
    private static readonly string MemberIdPattern = $"^[A-Za-z0-9._-]{{1,{MemberId.LengthMax}}}$";

    // ---- What features call on their routes ----

    /// <summary>The operation's id (camelCase verb phrase), its tag, a one-line summary and a description in the business's words.</summary>
    public static RouteHandlerBuilder Describe(this RouteHandlerBuilder builder, string operationId, string tag, string summary, string description) =>
        builder.WithName(operationId).WithTags(tag).WithSummary(summary).WithDescription(description);

    /// <summary>
    /// The JSON body the handler reads. Documented only: unlike <c>Accepts&lt;T&gt;</c>, this adds no content-type
    /// matching to the route (a body sent with another content type is still read and judged by the handler, as before).
    /// </summary>
    public static RouteHandlerBuilder TakesJson<TRequest>(this RouteHandlerBuilder builder) => builder.WithMetadata(new JsonRequestBody(typeof(TRequest)));

    /// <summary>Problems of the HTTP layer the operation can answer (401/403 follow from its scope, key problems from <see cref="RequiresIdempotencyKey"/>).</summary>
    public static RouteHandlerBuilder Refuses(this RouteHandlerBuilder builder, params ProblemType[] problems) =>
        builder.WithMetadata(new AnsweredProblems(problems));

    /// <summary>Business refusals the operation can answer, by their reasons (mapped through the one table, <see cref="Problems.Of"/>).</summary>
    public static RouteHandlerBuilder Refuses(this RouteHandlerBuilder builder, params Enum[] rejections) =>
        builder.WithMetadata(new AnsweredProblems([.. rejections.Select(Problems.Of)]));

    /// <summary>A state-changing POST keyed by the <c>Idempotency-Key</c> header (api.md "Idempotency").</summary>
    public static RouteHandlerBuilder RequiresIdempotencyKey(this RouteHandlerBuilder builder) => builder.WithMetadata(new IdempotentOperation());

    /// <summary>An operation whose body field <paramref name="field"/> plays the idempotency key's role (events: <c>eventId</c>).</summary>
    public static RouteHandlerBuilder IdempotentBy(this RouteHandlerBuilder builder, string field) => builder.WithMetadata(new IdempotentOperation(field));

    /// <summary>
    /// A query parameter the handler takes as text and parses itself (so a malformed one is a 400, never a binding
    /// failure), documented with the type it must have.
    /// </summary>
    public static RouteHandlerBuilder QueryIs(this RouteHandlerBuilder builder, string name, JsonSchemaType type, string? format = null) =>
        builder.WithMetadata(new TypedQueryParameter(name, type, format));

    /// <summary>An operation open to every caller, without an API key.</summary>
    public static RouteHandlerBuilder OpenToAll(this RouteHandlerBuilder builder) => builder.WithMetadata(new OpenOperation());

    // ---- The document ----

    public static void Configure(OpenApiOptions options)
    {
        options.CreateSchemaReferenceId = SchemaId;
        options.AddSchemaTransformer(DescribeTypes);
        options.AddOperationTransformer(CompleteOperation);
        options.AddDocumentTransformer(CompleteDocument);
    }

    /// <summary>Nested response types take their declaring type's name (<c>Adjustment.Response</c> → <c>AdjustmentResponse</c>).</summary>
    private static string? SchemaId(JsonTypeInfo type) =>
        OpenApiOptions.CreateDefaultSchemaReferenceId(type) is { } id && type.Type.IsNested && !type.Type.IsGenericType
            ? type.Type.DeclaringType!.Name + id
            : OpenApiOptions.CreateDefaultSchemaReferenceId(type); // null: inlined (primitives, lists)

    /// <summary>
    /// The domain's value types travel as plain JSON numbers and strings (their converters in JsonDefaults); and which
    /// properties are required (<see cref="MarkRequired"/>).
    /// </summary>
    private static Task DescribeTypes(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        MarkRequired(schema, context.JsonTypeInfo);
        var type = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type;
        if (type == typeof(Yen))
        {
            schema.Type = JsonSchemaType.Integer;
            schema.Format = "int64";
            schema.Minimum = "0";
            schema.Maximum = Yen.Max.ToString(System.Globalization.CultureInfo.InvariantCulture);
            schema.Description = "An amount of yen (an integer).";
        }
        else if (type == typeof(PointAmount))
        {
            schema.Type = JsonSchemaType.Integer;
            schema.Format = "int64";
            schema.Description = "A number of points (an integer).";
        }
        else if (type == typeof(MemberId))
        {
            schema.Type = JsonSchemaType.String;
            schema.Pattern = MemberIdPattern;
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The generator marks every constructor parameter of a record required, but a missing JSON property reads as null
    /// (or the default): so a property that may be null is optional, unless it carries <see cref="RequiredAttribute"/>
    /// because its handler refuses a request without it. Answers write every property, nulls included.
    /// </summary>
    private static void MarkRequired(OpenApiSchema schema, JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object || schema.Properties is not { Count: > 0 }) return;
        var required = new HashSet<string>(schema.Required ?? new HashSet<string>(), StringComparer.Ordinal);
        foreach (var property in type.Properties)
        {
            if (property.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: true) == true) required.Add(property.Name);
            else if (property.IsGetNullable) required.Remove(property.Name);
        }
        schema.Required = required.Count > 0 ? required : null;
    }

    private static Task CompleteOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document!;
        var scope = metadata.OfType<Auth.RequiredScope>().LastOrDefault()?.Scope;
        var idempotent = metadata.OfType<IdempotentOperation>().LastOrDefault();
        var problems = metadata.OfType<AnsweredProblems>().SelectMany(p => p.Problems).ToList();
        if (scope is not null) problems.AddRange([Problems.Unauthorized, Problems.Forbidden]);
        if (metadata.OfType<JsonRequestBody>().Any()) problems.Add(Problems.UnsupportedMediaType); // RequestReader refuses a body that is not JSON
        if (idempotent is { KeyInHeader: true }) problems.Add(Problems.IdempotencyKeyRequired);
        if (idempotent is not null) problems.Add(Problems.IdempotencyKeyReused);
        problems.Add(Problems.InternalError);
        problems.Add(Problems.ServiceUnavailable);

        if (scope is not null)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, document)] = [scope] }];
        }
        else if (metadata.OfType<OpenOperation>().Any())
        {
            // An empty requirement: no key needed (OpenAPI "optional security").
            operation.Security = [new OpenApiSecurityRequirement()];
        }

        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>().Where(p => p.Name == "memberId") ?? [])
        {
            // Every route takes the member id as a plain string and answers 400 invalid_request for a malformed one.
            parameter.Description = $"The partner's id of the member: 1–{MemberId.LengthMax} characters of A-Z a-z 0-9 . _ -";
            parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = MemberIdPattern };
        }

        foreach (var typed in metadata.OfType<TypedQueryParameter>())
        {
            foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Query && p.Name == typed.Name) ?? [])
                parameter.Schema = new OpenApiSchema { Type = typed.Type, Format = typed.Format };
        }

        if (idempotent is { KeyInHeader: true })
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameterReference(IdempotencyKeyParameter, document));
        }

        operation.Responses ??= [];
        if (idempotent is not null)
        {
            foreach (var (_, response) in operation.Responses.Where(r => r.Key.StartsWith('2')))
            {
                if (response is OpenApiResponse success)
                {
                    success.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    success.Headers[ReplayedHeader] = new OpenApiHeaderReference(ReplayedHeader, document);
                }
            }
        }

        foreach (var byStatus in problems.DistinctBy(p => p.Code).GroupBy(p => p.Status).OrderBy(g => g.Key))
        {
            var status = byStatus.Key.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // A status the operation answers with a body of its own (health's 503) keeps its documentation.
            if (operation.Responses.TryGetValue(status, out var own) && own.Content?.ContainsKey(Problems.ContentType) != true) continue;
            operation.Responses[status] = ProblemResponse([.. byStatus], document);
        }

        operation.Description = DescriptionWith(operation.Description, scope, idempotent, problems);
        return Task.CompletedTask;
    }

    /// <summary>One status of problems: the shared schema, its codes as an enum, and what each means.</summary>
    private static OpenApiResponse ProblemResponse(IReadOnlyList<ProblemType> problems, OpenApiDocument document) => new()
    {
        Description = string.Join(" ", problems.Select(p => $"`{p.Code}`: {p.Title}")),
        Content = new Dictionary<string, OpenApiMediaType>
        {
            [Problems.ContentType] = new()
            {
                Schema = new OpenApiSchema
                {
                    AllOf =
                    [
                        new OpenApiSchemaReference(ProblemSchema, document),
                        new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string> { "code" },
                            Properties = new Dictionary<string, IOpenApiSchema>
                            {
                                ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. problems.Select(p => (JsonNode)JsonValue.Create(p.Code))] },
                            },
                        },
                    ],
                },
            },
        },
    };

    /// <summary>The feature's words, then what the metadata says: the scope needed, the idempotency rule and the refusals.</summary>
    private static string DescriptionWith(string? description, string? scope, IdempotentOperation? idempotent, IReadOnlyList<ProblemType> problems)
    {
        var lines = new List<string> { description ?? "" };
        lines.Add(scope is null ? "Open: no API key needed." : $"Needs an API key (`{ApiKeyHeader}`) with the `{scope}` scope.");
        if (idempotent is { KeyInHeader: true })
            lines.Add($"Send an `{IdempotencyKeyHeader}`: a retry with the same key and body answers the first result again with `{ReplayedHeader}: true`; the same key with another body is refused.");
        else if (idempotent is { KeyField: { } field })
            lines.Add($"`{field}` is the idempotency key: a retry with the same `{field}` and body answers the first result again with `{ReplayedHeader}: true`; the same `{field}` with another body is refused.");
        var refusals = problems.Where(p => p.Status < 500).DistinctBy(p => p.Code).OrderBy(p => p.Status).Select(p => $"{p.Status} `{p.Code}`").ToList();
        if (refusals.Count > 0) lines.Add("Refusals: " + string.Join(", ", refusals) + ".");
        return string.Join("\n\n", lines.Where(l => l.Length > 0));
    }

    private static Task CompleteDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Points API";
        document.Info.Description = "Loyalty points ledger for partner sites. Authenticate with X-Api-Key; send Idempotency-Key on every state-changing POST. "
            + "Errors are application/problem+json with a stable `code`; each operation lists the codes it can answer. "
            + "Points and yen are integers; dates are yyyy-MM-dd in the program's time zone; unknown JSON fields are ignored.";
        // Relative to where the document is served: paths carry the /api prefix, and behind the Functions host the
        // handler does not know the public host name.
        document.Servers = [new OpenApiServer { Url = "/", Description = "The host serving this document." }];

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyHeader,
            Description = "A partner API key, `{keyId}.{secret}`. Each key carries scopes (`points:write`, `members:read`, `members:write`, `admin`); "
                + "each operation names the scope it needs. A missing or unknown key is 401 `unauthorized`, a key without the scope 403 `forbidden`.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = ProblemSchemaDefinition();
        document.Components.Parameters ??= new Dictionary<string, IOpenApiParameter>();
        document.Components.Parameters[IdempotencyKeyParameter] = new OpenApiParameter
        {
            Name = IdempotencyKeyHeader,
            In = ParameterLocation.Header,
            Required = true,
            Description = "Your id for this request, kept at least 7 days per member: a retry with the same key replays the first answer. "
                + "Missing or malformed: 400 `idempotency_key_required`; reused with a different body: 422 `idempotency_key_reused`.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = IdempotencyKeyPattern, MinLength = 1, MaxLength = RequestReader.IdempotencyKeyLengthMax },
        };
        document.Components.Headers ??= new Dictionary<string, IOpenApiHeader>();
        document.Components.Headers[ReplayedHeader] = new OpenApiHeader
        {
            Description = "`true` when this answer is the replay of an earlier request with the same idempotency key (absent otherwise).",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("true")] },
        };

        // Every tag in use, described (one that ApiTags does not know stays undescribed, and the contract test says so).
        var used = document.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).SelectMany(o => o.Tags?.Select(t => t.Name) ?? []).OfType<string>().ToHashSet();
        document.Tags = new HashSet<OpenApiTag>(
            ApiTags.All.Where(t => used.Contains(t.Name)).Select(t => new OpenApiTag { Name = t.Name, Description = t.Description })
                .Concat(used.Where(name => !ApiTags.All.Any(t => t.Name == name)).Order(StringComparer.Ordinal).Select(name => new OpenApiTag { Name = name })));
        return Task.CompletedTask;
    }

    /// <summary>What <see cref="Problems.For(ProblemType, string?, IDictionary{string, string[]}?)"/> writes (RFC 9457 plus <c>code</c> and <c>errors</c>).</summary>
    private static OpenApiSchema ProblemSchemaDefinition() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An error (RFC 9457 problem details). `code` is stable: program against it, not against `title` or `detail`.",
        Required = new HashSet<string> { "type", "title", "status", "code" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", Description = "`https://points.example/problems/{code}`." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A short summary of the kind of problem." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong with this request." },
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The stable snake_case code (api.md)." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Validation errors (`invalid_request`): the messages for each invalid field.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
    };
}

using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Points.Functions.Hosting;
using Points.Functions.Storage;

namespace Points.Tools.LocalTriggers;

/// <summary>
/// One <c>cosmosDBTrigger</c> declaration followed the way the Functions host's Cosmos DB trigger (extension 4.x) does
/// it: the monitored container's change feed in LatestVersion mode, each page POSTed to <c>/{FunctionName}</c>, the
/// continuation kept in the lease document <c>{FunctionName}</c> of the lease container and moved only after the
/// function answered 2xx. A refused page is read again from the same continuation, after a wait that doubles from the
/// poll interval, so nothing after it is delivered first: the real trigger with a retry policy behaves the same way.
/// Without a lease the feed starts now, like the trigger without <c>startFromBeginning</c> (not supported here).
/// </summary>
internal sealed partial class ChangeFeedTrigger
{
    /// <summary>The lease container's partition key, as the Cosmos DB trigger creates it.</summary>
    public const string LeasePartitionKeyPath = "/id";

    private readonly string _function;
    private readonly string _binding;
    private readonly Container _monitored;
    private readonly Container _leases;
    private readonly LocalTriggerOptions _options;
    private readonly HttpClient _http;
    private readonly ILogger _log;
    private string? _continuation;

    private ChangeFeedTrigger(string function, string binding, Container monitored, Container leases, LocalTriggerOptions options, HttpClient http,
        ILogger log) =>
        (_function, _binding, _monitored, _leases, _options, _http, _log) = (function, binding, monitored, leases, options, http, log);

    /// <summary>The trigger of <paramref name="declaration"/>, on the containers its binding names (app-setting references resolved).</summary>
    public static ChangeFeedTrigger For(FunctionDeclaration declaration, Func<string, CosmosClient> clientFor, IConfiguration configuration,
        LocalTriggerOptions options, HttpClient http, ILogger log)
    {
        var binding = declaration.Trigger!;
        string Required(string? value, string property) => ResolveAppSettings(configuration, value
            ?? throw new InvalidOperationException($"The cosmosDBTrigger of {declaration.Name} has no {property}."));
        var database = clientFor(Required(binding.Connection, "connection")).GetDatabase(Required(binding.DatabaseName, "databaseName"));
        return new ChangeFeedTrigger(declaration.Name, binding.Name, database.GetContainer(Required(binding.ContainerName, "containerName")),
            database.GetContainer(Required(binding.LeaseContainerName, "leaseContainerName")), options, http, log);
    }

    /// <summary>
    /// A client for the binding's <c>connection</c>: configuration section <c>{connection}</c> read as the app's own Cosmos
    /// settings and turned into a client the way <see cref="CosmosStorage"/> does (in Azure the host reads
    /// <c>{connection}__accountEndpoint</c> with the managed identity; this runner runs only outside Azure).
    /// </summary>
    public static CosmosClient CreateClient(IConfiguration configuration, string connection)
    {
        var settings = configuration.GetSection(connection).Get<CosmosOptions>() ?? new CosmosOptions();
        return CosmosStorage.Connect(settings, CosmosStorage.ClientOptions(settings), connection);
    }

    /// <summary>
    /// Fixes where the feed starts (the stored lease, else now), creating the lease container and the lease when missing.
    /// False when Cosmos refused (the monitored database or container missing, say): <see cref="RunAsync"/> tries again.
    /// </summary>
    public async Task<bool> TryStartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _continuation ??= await ReadOrCreateLeaseAsync(cancellationToken);
            return true;
        }
        catch (CosmosException e)
        {
            LogFeedFailed(_function, (int)e.StatusCode);
            return false;
        }
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromMilliseconds(_options.ChangeFeedPollMilliseconds);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (await TryStartAsync(stoppingToken))
            {
                try
                {
                    failures = await DeliverNewPagesAsync(stoppingToken) ? 0 : failures + 1;
                }
                catch (CosmosException e)
                {
                    LogFeedFailed(_function, (int)e.StatusCode);
                    failures++;
                }
            }
            else
            {
                failures++;
            }
            await Task.Delay(failures == 0 ? poll : RetryDelay(poll, failures), stoppingToken);
        }
    }

    private TimeSpan RetryDelay(TimeSpan poll, int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(_options.ChangeFeedRetryDelayMaxMilliseconds, poll.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30))));

    /// <summary>Delivers page after page until nothing is newer (true) or the function refuses one (false: the lease stays before it).</summary>
    private async Task<bool> DeliverNewPagesAsync(CancellationToken cancellationToken)
    {
        using var iterator = _monitored.GetChangeFeedIterator<JsonElement>(ChangeFeedStartFrom.ContinuationToken(_continuation), ChangeFeedMode.LatestVersion,
            new ChangeFeedRequestOptions { PageSizeHint = _options.ChangeFeedItemsPerInvocationMax });
        while (iterator.HasMoreResults)
        {
            var page = await iterator.ReadNextAsync(cancellationToken);
            if (page.StatusCode == HttpStatusCode.NotModified) return true;
            // A page once sent is seen through even when the app is stopping, as the host drains invocations in flight:
            // a delivery whose checkpoint is cut off would be delivered again by the next runner.
            if (!await InvokeAsync(page, CancellationToken.None)) return false;
            await _leases.UpsertItemAsync(new ChangeFeedLease(_function, page.ContinuationToken), new PartitionKey(_function), cancellationToken: CancellationToken.None);
            _continuation = page.ContinuationToken;
        }
        return true;
    }

    /// <summary>
    /// The custom-handler payload of a Cosmos DB trigger: <c>Data[binding]</c> is a JSON string whose text is itself a JSON
    /// string holding the documents array (double encoded), <c>Metadata</c> only <c>sys</c>.
    /// How sure: read in the sources, not observed on a running host (medium confidence). With no <c>dataType</c> in
    /// function.json the host asks for <c>object</c>, which the WebJobs SDK turns into <c>string</c> for a trigger
    /// (JobHostMetadataProvider.GetDefaultType: "common default"); the Cosmos DB extension's CosmosDBTriggerValueBinder
    /// then gives the array as JSON text (<c>JArray.ToString(Formatting.None)</c>); the host's
    /// ScriptInvocationContextExtensions.GetHttpScriptInvocationContextValue fails <c>JObject.FromObject</c> on a string and
    /// sends <c>JsonConvert.SerializeObject(text)</c>, which the formatter writes as a string once more; the trigger's
    /// binding data contract is empty, so no other metadata. Handlers should decode tolerantly (InvocationPayload.Unwrap
    /// takes one level off a string that holds a JSON string; one JSON parse more gives the array).
    /// </summary>
    private async Task<bool> InvokeAsync(FeedResponse<JsonElement> page, CancellationToken cancellationToken)
    {
        var documents = JsonSerializer.Serialize(page.Resource);
        var payload = new Dictionary<string, object>
        {
            ["Data"] = new Dictionary<string, object> { [_binding] = JsonSerializer.Serialize(documents) },
            ["Metadata"] = new Dictionary<string, object> { ["sys"] = LocalTriggerRunner.Sys(_function) },
        };
        try
        {
            using var response = await _http.PostAsync("/" + _function, new StringContent(JsonSerializer.Serialize(payload), Encoding.UTF8, "application/json"),
                cancellationToken);
            LogInvoked(_function, page.Count, (int)response.StatusCode);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false; // the app did not answer: a refused page, as for the host
        }
    }

    private async Task<string> ReadOrCreateLeaseAsync(CancellationToken cancellationToken)
    {
        await _leases.Database.CreateContainerIfNotExistsAsync(new ContainerProperties(_leases.Id, LeasePartitionKeyPath), cancellationToken: cancellationToken);
        var (lease, _) = await CosmosStorage.ReadOrNullAsync<ChangeFeedLease>(_leases, _function, _function, cancellationToken);
        if (lease is not null) return lease.Continuation;

        using var iterator = _monitored.GetChangeFeedIterator<JsonElement>(ChangeFeedStartFrom.Now(), ChangeFeedMode.LatestVersion);
        var now = (await iterator.ReadNextAsync(cancellationToken)).ContinuationToken;
        try
        {
            await _leases.CreateItemAsync(new ChangeFeedLease(_function, now), new PartitionKey(_function), cancellationToken: cancellationToken);
            return now;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Another runner on the same database created it first: follow from where it starts.
            return (await CosmosStorage.ReadOrNullAsync<ChangeFeedLease>(_leases, _function, _function, cancellationToken)).Item!.Continuation;
        }
    }

    /// <summary>Resolves <c>%Name%</c> app-setting references as the host does (setting <c>Cosmos__Database</c> is configuration key <c>Cosmos:Database</c>).</summary>
    internal static string ResolveAppSettings(IConfiguration configuration, string value) =>
        AppSettingReference().Replace(value, match => configuration[match.Groups[1].Value.Replace("__", ":", StringComparison.Ordinal)]
            ?? throw new InvalidOperationException($"The app setting {match.Groups[1].Value} is not set."));

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex AppSettingReference();

    [LoggerMessage(Level = LogLevel.Information, Message = "Local trigger: invoked {Function} with {Documents} changed documents → {Status}")]
    private partial void LogInvoked(string function, int documents, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local trigger: reading the change feed for {Function} failed with {Status}; trying again")]
    private partial void LogFeedFailed(string function, int status);
}

/// <summary>Where a Cosmos DB trigger's change feed continues: one document per function in the lease container.</summary>
internal sealed record ChangeFeedLease(string Id, string Continuation);

using Microsoft.Extensions.Configuration;
using Points.Functions.Hosting;

namespace Points.Tools.LocalTriggers;

/// <summary>The local trigger runner's settings, bound from configuration section <c>LocalTriggers</c>.</summary>
public sealed class LocalTriggerOptions
{
    public const string Section = "LocalTriggers";

    /// <summary>Off by default, and never on under the Functions host (which runs the triggers itself).</summary>
    public bool Enabled { get; set; }
    public bool IsActive => Enabled && !AzureHosting.IsUnderFunctionsHost;
    public int BlobPollMilliseconds { get; set; } = 1000;
    /// <summary>
    /// Names this runner in its blob receipts (<c>blobreceipts/{HostId}/…</c>, as the host's id does): runners of
    /// different ids each deliver a blob once. Tests whose apps share one Azurite give each app its own.
    /// </summary>
    public string HostId { get; set; } = "local";
    /// <summary>Deliver only blobs whose name (after the watched folder) begins with this; empty: every blob.</summary>
    public string BlobNamePrefix { get; set; } = "";
    /// <summary>The Functions host's default: five attempts per blob, then a poison message (facts §2).</summary>
    public int BlobAttemptsMax { get; set; } = 5;
    /// <summary>Where the function.json files are; default: the ones shipped with the app.</summary>
    public string? DeclarationsPath { get; set; }
    /// <summary>How often an empty trigger queue is polled again.</summary>
    public int QueuePollMilliseconds { get; set; } = 1000;
    /// <summary>The host's <c>maxDequeueCount</c> (host.json <c>extensions.queues</c>): five attempts, then <c>{queue}-poison</c>.</summary>
    public int QueueDequeueCountMax { get; set; } = 5;
    /// <summary>How long a failed message stays invisible before its next attempt: the host's <c>visibilityTimeout</c>, 0 by default.</summary>
    public int QueueRetryDelayMilliseconds { get; set; }
    /// <summary>How often a Cosmos DB trigger's change feed is read again once it has nothing new.</summary>
    public int ChangeFeedPollMilliseconds { get; set; } = 1000;
    /// <summary>Documents per invocation at most (the trigger's <c>maxItemsPerInvocation</c>; the change feed's page size).</summary>
    public int ChangeFeedItemsPerInvocationMax { get; set; } = 100;
    /// <summary>The longest wait between two attempts at a page the function refused (the wait doubles from the poll interval up to this).</summary>
    public int ChangeFeedRetryDelayMaxMilliseconds { get; set; } = 60_000;

    /// <summary>The options as configured, for the registration decisions taken before the container is built.</summary>
    public static LocalTriggerOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<LocalTriggerOptions>() ?? new LocalTriggerOptions();
}

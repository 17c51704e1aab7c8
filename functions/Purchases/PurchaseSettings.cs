using Points.Domain.Expiry;
using Points.Domain.Primitives;
using Points.Domain.Purchases;

namespace Points.Functions.Purchases;

/// <summary>
/// Buying points (admin settings API, section <c>purchases</c>): off by default. Prices in whole yen per point; limits in
/// points. Purchased points never expire unless <see cref="Expiry"/> is <c>regular</c> (product.md F15).
/// </summary>
public sealed record PurchaseSettings
{
    public const int YenPerPointMax = 10_000;
    public const int ReconcileAfterMinutesMax = 24 * 60;
    public const int UrlLengthMax = 2_000;

    public bool Enabled { get; init; }
    public int YenPerPoint { get; init; } = 1;
    public long MinimumPoints { get; init; } = 100;
    public long MaximumPoints { get; init; } = 100_000;
    /// <summary>Points one member may buy per program-zone day; null for no limit.</summary>
    public long? DailyPointsMax { get; init; } = 300_000;
    /// <summary><c>none</c> (purchased points keep) or <c>regular</c> (they expire as regular points do).</summary>
    public string Expiry { get; init; } = "none";
    /// <summary>A purchase still open this long after it was created is looked up at PayPal by the hourly reconciliation.</summary>
    public int ReconcileAfterMinutes { get; init; } = 15;
    /// <summary>Where PayPal sends the payer after approving, and after canceling (absolute URLs, https in production; both or neither).</summary>
    public string? ReturnUrl { get; init; }
    public string? CancelUrl { get; init; }

    public PurchasePolicy ToPolicy() => new()
    {
        Enabled = Enabled, YenPerPoint = YenPerPoint, MinimumPoints = MinimumPoints, MaximumPoints = MaximumPoints, DailyPointsMax = DailyPointsMax,
    };

    /// <summary>The expiry of purchased points, given the program's regular policy.</summary>
    public ExpiryPolicy ExpiryPolicy(ExpiryPolicy regular) => Expiry == "regular" ? regular : new ExpiryPolicy.None();

    /// <summary>Field errors, named under <c>purchases.</c>.</summary>
    public void Validate(Dictionary<string, string[]> errors)
    {
        const string at = "purchases.";
        if (YenPerPoint is < 1 or > YenPerPointMax) errors[at + "yenPerPoint"] = [$"1..{YenPerPointMax} yen."];
        if (MinimumPoints is < 1 or > PointAmount.PerRequestMax) errors[at + "minimumPoints"] = [$"1..{PointAmount.PerRequestMax}."];
        if (MaximumPoints < MinimumPoints || MaximumPoints > PointAmount.PerRequestMax)
            errors[at + "maximumPoints"] = [$"minimumPoints..{PointAmount.PerRequestMax}."];
        else if ((decimal)MaximumPoints * YenPerPoint > Yen.Max) errors[at + "maximumPoints"] = ["The largest purchase's price must fit in yen."];
        if (DailyPointsMax is { } daily && (daily < MaximumPoints || daily > PointAmount.MaxMagnitude))
            errors[at + "dailyPointsMax"] = ["At least maximumPoints, or null for no limit."];
        if (Expiry is not ("none" or "regular")) errors[at + "expiry"] = ["none or regular."];
        if (ReconcileAfterMinutes is < 1 or > ReconcileAfterMinutesMax) errors[at + "reconcileAfterMinutes"] = [$"1..{ReconcileAfterMinutesMax}."];
        if ((ReturnUrl is null) != (CancelUrl is null)) errors[at + "returnUrl"] = ["Both returnUrl and cancelUrl, or neither."];
        foreach (var (field, url) in new[] { ("returnUrl", ReturnUrl), ("cancelUrl", CancelUrl) })
        {
            if (url is not null && (url.Length > UrlLengthMax || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")))
                errors[at + field] = [$"An absolute http(s) URL of at most {UrlLengthMax} characters."];
        }
    }
}

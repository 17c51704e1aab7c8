using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Domain.Withdrawals;
using Points.Functions.Storage;

namespace Points.Functions.Withdrawals;

/// <summary>One withholding tier as admins write it: the part of the gross up to <see cref="UpToYen"/> (null: the rest) at <see cref="RateBasisPoints"/> (1 = 0.01%).</summary>
public sealed record TaxTierSettings(long? UpToYen, int RateBasisPoints);

/// <summary>The paying company's account for the Zengin header: the consignor code the bank assigned, names in half-width kana.</summary>
public sealed record ConsignorSettings(string? ConsignorCode, string? NameKana, string? BankCode, string? BankNameKana, string? BranchCode,
    string? BranchNameKana, string? AccountType, string? AccountNumber);

/// <summary>
/// Cash-out settings (admin settings API, section <c>withdrawals</c>): off by default. Rates are basis points (1 = 0.01%).
/// Each request stores the <see cref="Fingerprint"/> of the settings it was decided under.
/// </summary>
public sealed record WithdrawalSettings
{
    public const int BasisPointsMax = WithdrawalPolicy.BasisPointsScale;
    public const long MinimumPointsMax = PointAmount.PerRequestMax;
    public const int TaxTiersMax = 10;

    public bool Enabled { get; init; }
    public long MinimumPoints { get; init; } = 1_000;
    public int? AgeLimitYears { get; init; } = 18;
    public long FeeFixedYen { get; init; }
    public int FeeRateBasisPoints { get; init; }
    public long TaxThresholdYen { get; init; } = 120_000;
    public IReadOnlyList<TaxTierSettings> TaxTiers { get; init; } = [new(1_000_000, 1021), new(null, 2042)];
    public IReadOnlyList<LotKind> WithdrawableKinds { get; init; } = [LotKind.Regular, LotKind.Special];
    public int? MonthlyRequestsMax { get; init; }
    public ConsignorSettings? Consignor { get; init; }

    /// <summary>A short fingerprint of these settings: requests record it, so a change of settings is visible in every record.</summary>
    [JsonIgnore]
    public string Fingerprint => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(this, JsonDefaults.Options)))[..12];

    public WithdrawalPolicy ToPolicy() => new()
    {
        Enabled = Enabled,
        MinimumPoints = MinimumPoints,
        AgeLimitYears = AgeLimitYears,
        FeeFixedYen = FeeFixedYen,
        FeeRateBasisPoints = FeeRateBasisPoints,
        TaxThresholdYen = TaxThresholdYen,
        TaxTiers = [.. TaxTiers.Select(t => new TaxTier(t.UpToYen is { } up ? new Yen(up) : null, t.RateBasisPoints))],
        WithdrawableKinds = WithdrawableKinds,
        MonthlyRequestsMax = MonthlyRequestsMax,
        Version = Fingerprint,
    };

    public ZenginConsignor? ToConsignor() => Consignor is { ConsignorCode: { } code, NameKana: { } name, BankCode: { } bank, BranchCode: { } branch, AccountNumber: { } number }
        && Enum.TryParse<AccountType>(Consignor.AccountType, ignoreCase: true, out var type)
            ? new ZenginConsignor(code, name, bank, Consignor.BankNameKana ?? "", branch, Consignor.BranchNameKana ?? "", type, number)
            : null;

    /// <summary>Field errors, named under <c>withdrawals.</c>.</summary>
    public void Validate(Dictionary<string, string[]> errors)
    {
        const string at = "withdrawals.";
        if (MinimumPoints is < 1 or > MinimumPointsMax) errors[at + "minimumPoints"] = [$"1..{MinimumPointsMax}."];
        if (AgeLimitYears is < 0 or > 120) errors[at + "ageLimitYears"] = ["0..120, or null for none."];
        if (FeeFixedYen is < 0 or > 1_000_000) errors[at + "feeFixedYen"] = ["0..1000000 yen."];
        if (FeeRateBasisPoints is < 0 or > BasisPointsMax) errors[at + "feeRateBasisPoints"] = [$"0..{BasisPointsMax} (1 = 0.01%)."];
        if (TaxThresholdYen is < 0 or > Yen.Max) errors[at + "taxThresholdYen"] = ["0 or more yen."];
        if (!AreValidTiers(TaxTiers))
            errors[at + "taxTiers"] = [$"1–{TaxTiersMax} tiers with rising upToYen, the last without one (the rest), rates 0..{BasisPointsMax}."];
        if (WithdrawableKinds is null || WithdrawableKinds.Count == 0 || WithdrawableKinds.Contains(LotKind.Purchased))
            errors[at + "withdrawableKinds"] = ["regular and/or special (purchased points are never withdrawable)."];
        if (MonthlyRequestsMax is < 1 or > 1_000) errors[at + "monthlyRequestsMax"] = ["1..1000, or null for no limit."];
        if (Consignor is not null && ToConsignor() is not { } consignor)
            errors[at + "consignor"] = ["consignorCode, nameKana, bankCode, branchCode, accountType and accountNumber are all required."];
        else if (Consignor is not null && !IsValidConsignor(ToConsignor()!))
            errors[at + "consignor"] = ["consignorCode 10 digits, bankCode 4, branchCode 3, accountNumber 7; names in half-width kana (40/15/15)."];
    }

    /// <summary>Bounds rising from one tier to the next, the last one open (the rest of the gross).</summary>
    private static bool AreValidTiers(IReadOnlyList<TaxTierSettings>? tiers)
    {
        if (tiers is null || tiers.Count is 0 or > TaxTiersMax || tiers.Any(t => t is null || t.RateBasisPoints is < 0 or > BasisPointsMax)) return false;
        var bounds = tiers.Take(tiers.Count - 1).Select(t => t.UpToYen).ToList();
        return tiers[^1].UpToYen is null && bounds.All(b => b is > 0 and <= Yen.Max) && bounds.Zip(bounds.Skip(1)).All(p => p.Second > p.First);
    }

    private static bool IsValidConsignor(ZenginConsignor c)
    {
        static bool Digits(string s, int n) => s.Length == n && s.All(char.IsAsciiDigit);
        static bool Kana(string s, int n) { var k = ZenginText.ToHalfWidth(s); return k.Length <= n && ZenginText.IsAllowed(k); }
        return Digits(c.ConsignorCode, 10) && Digits(c.BankCode, 4) && Digits(c.BranchCode, 3) && Digits(c.AccountNumber, 7)
            && Kana(c.NameKana, 40) && Kana(c.BankNameKana, 15) && Kana(c.BranchNameKana, 15) && c.NameKana.Length > 0;
    }
}

using System.Globalization;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Domain.Ranks;
using Points.Functions.Api;
using Points.Functions.Imports;
using Points.Functions.Imports.Csv;
using Points.Functions.Ledger;
using Points.Functions.Settings;
using Points.Functions.Storage;

namespace Points.Functions.Members;

/// <summary>A data row of a members file, as read: valid when <see cref="Errors"/> is empty.</summary>
public sealed record MemberCsvRow(long Row, string MemberId, DateOnly? JoinedOn, DateOnly? BirthDate, IReadOnlyList<string>? Tags, string? StoreId,
    bool? Newsletter, string? ReferredByCode, string? Rank, IReadOnlyList<CsvRowError> Errors);

/// <summary>
/// Bulk members dropped at <c>imports/members/{name}</c> (issue 17, csv.md conventions): each row registers the member
/// or updates the profile it gives (empty cells keep what the member has), with the referrer's code when it registers,
/// and may carry a rank over from the old system. Imported members are moved, not newly recruited: no registration or
/// referral rules fire. The whole file is validated first (format, ranks the program defines, one row per member);
/// then rows apply one by one (an unknown referral code is that row's `rejected`). Applying a file again changes
/// nothing new. Result: <c>row, member_id, status, code, message</c> (code <c>created</c> or <c>updated</c> when applied).
/// </summary>
public sealed class MemberImport(BlobStorage blobs, CosmosStorage cosmos, MemberLedger ledger, LedgerStore store, ReferralCodes referralCodes,
    ProgramSettingsStore settingsStore, TimeProvider clock, ILogger<MemberImport> log) : MemberRowImport(blobs, cosmos, clock, log)
{
    public const string FunctionName = "ImportMembers";
    public const string Prefix = "members/";

    private const int MemberIdColumn = 0, JoinedOnColumn = 1, BirthDateColumn = 2, TagsColumn = 3, StoreColumn = 4, NewsletterColumn = 5, ReferralColumn = 6, RankColumn = 7;

    public static IReadOnlyList<CsvColumnName> Columns { get; } =
    [
        new("member_id", "会員ID", IsRequired: true),
        new("joined_on", "入会日", IsRequired: false),
        new("birth_date", "生年月日", IsRequired: false),
        new("tags", "タグ", IsRequired: false),
        new("store_id", "店舗", IsRequired: false),
        new("newsletter", "メルマガ", IsRequired: false),
        new("referred_by_code", "紹介コード", IsRequired: false),
        new("rank", "ランク", IsRequired: false),
    ];

    protected override string Folder => Prefix;

    protected override async Task ValidateAsync(Stream content, Tally tally, CsvResultWriter writer, CancellationToken cancellationToken)
    {
        var settings = await settingsStore.GetAsync(cancellationToken);
        var today = settings.DateOf(Clock.GetUtcNow());
        var ranks = settings.Ranks.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        // By a 64-bit hash of the id, not the id: a few bytes per member keep a million-row file's memory small (two
        // different ids sharing a hash, about one chance in 10^8 for a million rows, would be refused as a duplicate).
        var firstRowOf = new Dictionary<ulong, long>();
        await foreach (var row in ReadAsync(content, cancellationToken))
        {
            tally.Rows++;
            var errors = row.Errors.ToList();
            if (row.BirthDate > today) errors.Add(new("birth_date", CsvRowErrorCodes.InvalidDate, "birth_date must not be in the future."));
            if (row.JoinedOn > today) errors.Add(new("joined_on", CsvRowErrorCodes.InvalidDate, "joined_on must not be in the future."));
            if (row.Rank is { } rank && !ranks.Contains(rank)) errors.Add(new("rank", "invalid_rank", $"rank must be one the program defines: {string.Join(", ", ranks)}."));
            var key = System.IO.Hashing.XxHash3.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(row.MemberId));
            if (errors.Count == 0 && !firstRowOf.TryAdd(key, row.Row))
                errors.Add(new("member_id", "duplicate_member", $"row {firstRowOf[key]} has this member; give each member one row."));
            if (errors.Count == 0) continue;
            tally.Invalid++;
            await WriteInvalidAsync(writer, row.Row, row.MemberId, errors, cancellationToken);
        }
    }

    protected override Task<Summary> ApplyAsync(Stream content, ImportedFile file, long rows, CsvResultWriter writer, CancellationToken cancellationToken) =>
        ApplyRowsAsync(ReadAsync(content, cancellationToken), rows, row => ApplyRowAsync(row, file, cancellationToken),
            async (row, result) =>
            {
                await WriteAsync(writer, row.Row, row.MemberId, result, cancellationToken);
                return result.Status;
            },
            cancellationToken);

    private async Task<ImportRowResult> ApplyRowAsync(MemberCsvRow row, ImportedFile file, CancellationToken cancellationToken)
    {
        var id = MemberId.Parse(row.MemberId);
        var change = new ProfileChange(row.JoinedOn, row.BirthDate, row.Tags, row.StoreId, row.Newsletter);
        var (registration, refusal) = await MembersFeature.RegistrationAsync(id, change, row.ReferredByCode, store, referralCodes, $"import:{Prefix}{file.Name}", cancellationToken);
        if (refusal is { } refused) return new ImportRowResult(ImportRowStatus.Rejected, Problems.Of(refused.Reason).Code, refused.Detail);
        var result = await CommitRowAsync(ledger, id, registration! with
        {
            // The rank the member had in the old system, carried over as it is (the monthly evaluation takes over from there).
            Decide = input => registration.Decide(input) switch
            {
                MemberDecision.Accepted accepted when row.Rank is { } rank =>
                    accepted with { Member = accepted.Member with { Earning = accepted.Member.Earning with { Rank = rank } } },
                var decision => decision,
            },
        });
        return result is OperationResult.Applied { Result: RegistrationResponse registered }
            ? new ImportRowResult(ImportRowStatus.Applied, registered.Created ? "created" : "updated", "")
            : ImportRowResult.Of(result);
    }

    /// <summary>Reads the rows of <paramref name="content"/>, checked for format only.</summary>
    public static IAsyncEnumerable<MemberCsvRow> ReadAsync(Stream content, CancellationToken cancellationToken) =>
        CsvImportFile.ReadRowsAsync(content, Columns, CsvImportLimits.Default, Check, cancellationToken);

    private static MemberCsvRow Check(CsvImportFile file)
    {
        var errors = new List<CsvRowError>();
        void Add(int column, string code, string message) => errors.Add(new CsvRowError(Columns[column].Name, code, message));
        string? Optional(int column) => CsvRowChecks.Optional(file, column);
        DateOnly? Date(int column) => CsvRowChecks.Date(file, column, Columns[column].Name, errors);

        var memberId = file.Field(MemberIdColumn);
        if (CsvRowChecks.MemberId(memberId) is { } badMemberId) errors.Add(badMemberId);
        var joinedOn = Date(JoinedOnColumn);
        var birthDate = Date(BirthDateColumn);
        var tags = Optional(TagsColumn)?.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();
        if (tags is { } list && (list.Count > MembersFeature.TagsMax || list.Any(t => t.Length > MembersFeature.TagLengthMax || TextRules.Check(t) is not null)))
            Add(TagsColumn, "invalid_tags", $"tags: at most {MembersFeature.TagsMax}, separated by ';', of 1–{MembersFeature.TagLengthMax} characters.");
        var store = Optional(StoreColumn);
        if (store is not null && !RequestReader.IsWellFormedId(store)) Add(StoreColumn, "invalid_store", $"store_id must be 1–{RequestReader.IdLengthMax} characters [A-Za-z0-9._:-].");
        bool? newsletter = Optional(NewsletterColumn) switch
        {
            null => null,
            "true" or "1" or "yes" or "はい" or "希望" => true,
            "false" or "0" or "no" or "いいえ" or "不要" => false,
            _ => Invalid(),
        };
        bool? Invalid()
        {
            Add(NewsletterColumn, "invalid_newsletter", "newsletter must be true/false, 1/0, yes/no or はい/いいえ.");
            return null;
        }
        var referral = Optional(ReferralColumn)?.ToUpperInvariant();
        if (referral is { Length: > MembersFeature.ReferralCodeLengthMax }) Add(ReferralColumn, "invalid_referral_code", $"referred_by_code: at most {MembersFeature.ReferralCodeLengthMax} characters.");
        var rank = Optional(RankColumn);
        if (CsvRowChecks.ExtraFields(file) is { } extra) errors.Add(extra);
        return new MemberCsvRow(file.Row, memberId, joinedOn, birthDate, tags, store, newsletter, referral, rank, errors);
    }
}

namespace Points.Domain.Ranks;

/// <summary>
/// What the periodic jobs have already done for one member: the month whose rank evaluation is done, the month whose
/// rank points were granted, the year whose anniversary points were granted. Checked and updated in the same commit as
/// the change itself, so a rerun, a shard delivered twice or two instances at once change nothing more. Idempotency
/// records could not do this: they are kept only 7 days.
/// </summary>
/// <param name="RankEvaluatedFor">Month (<c>yyyy-MM</c>, program zone) of the last monthly rank evaluation.</param>
/// <param name="RankPointsGrantedFor">Month (<c>yyyy-MM</c>) whose monthly rank points were granted last.</param>
/// <param name="AnniversaryGrantedFor">Year whose anniversary points were granted last.</param>
public sealed record PeriodBookkeeping(string? RankEvaluatedFor, string? RankPointsGrantedFor, int? AnniversaryGrantedFor)
{
    public static readonly PeriodBookkeeping New = new(null, null, null);

    public bool IsRankEvaluatedFor(string month) => RankEvaluatedFor is { } done && string.CompareOrdinal(done, month) >= 0;

    public bool AreRankPointsGrantedFor(string month) => RankPointsGrantedFor is { } done && string.CompareOrdinal(done, month) >= 0;

    public bool IsAnniversaryGrantedFor(int year) => AnniversaryGrantedFor >= year;

    /// <summary>Year whose birthday points were granted last: once a year, even if the birth date changes after.</summary>
    public int? BirthdayGrantedFor { get; init; }

    /// <summary>Year whose birth-month points were granted last.</summary>
    public int? BirthMonthGrantedFor { get; init; }
}

using System.Net;
using Points.Functions.Ranks;
using Points.Functions.Tests.Infrastructure;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;
using static Points.Functions.Tests.Ranks.PeriodicJobsKit;

namespace Points.Functions.Tests.Ranks;

/// <summary>
/// Birthday points (rules with trigger <c>birthday</c>) and birth-month points (<c>birth_month</c>), through
/// GrantBirthdayPoints and the queue, once per member and year whatever reruns or birth date changes.
/// </summary>
public sealed class BirthdayPointsTests(RanksFixture app) : IClassFixture<RanksFixture>
{
    [Fact]
    public async Task Birthdays_GrantOncePerYear_WithPointsValidToTheEndOfTheBirthMonth_AndBirthMonthsOnTheFirst()
    {
        var client = app.Client();
        foreach (var (id, rule) in new (string, object)[]
        {
            ("birthday", new { trigger = "birthday", formula = new { type = "fixed", points = 500 }, grant = new { kind = "special", expiresAtEndOfMonth = 0 } }),
            ("birth-month", new { trigger = "birth_month", formula = new { type = "fixed", points = 100 } }),
        })
        {
            var put = await client.SendAsync(HttpMethod.Put, $"/api/v1/admin/rules/{id}", rule);
            Assert.True(put.Status == HttpStatusCode.OK, put.Text);
        }
        app.Time.Advance(TimeSpan.FromSeconds(6)); // past the rules cache
        var november25 = await client.NewMemberAsync(profile: new { birthDate = "1990-11-25" });
        var leapDay = await client.NewMemberAsync(profile: new { birthDate = "1992-02-29" });
        var december = await client.NewMemberAsync(profile: new { birthDate = "1985-12-10" });
        var noBirthDate = await client.NewMemberAsync();

        await RunAsync(app, GrantBirthdayPointsJob.FunctionName); // 2026-11-23: a first run does today only
        app.Time.SetUtcNow(JstAt(2026, 11, 25, 0, 25));
        await RunAsync(app, GrantBirthdayPointsJob.FunctionName, deliveries: 2);
        await RunAsync(app, GrantBirthdayPointsJob.FunctionName);

        Assert.Equal([("birthday:2026", 500L)], await GrantsAsync(client, november25, "birthday:"));
        var summary = await client.GetMemberAsync(november25);
        Assert.Equal(("2026-11-30", 500L), (summary.Body.GetProperty("nextExpiry").GetProperty("date").GetString(), summary.Body.GetProperty("nextExpiry").GetProperty("points").GetInt64()));

        // The birth date moves to the 28th, in the birth month: no second grant this year.
        Assert.Equal(HttpStatusCode.OK, (await client.PutMemberAsync(november25, new { birthDate = "1990-11-28" })).Status);
        app.Time.SetUtcNow(JstAt(2026, 11, 28, 0, 25));
        await RunAsync(app, GrantBirthdayPointsJob.FunctionName);
        Assert.Single(await GrantsAsync(client, november25, "birthday:"));

        app.Time.SetUtcNow(JstAt(2026, 12, 1, 0, 25));
        await RunAsync(app, GrantBirthdayPointsJob.FunctionName, deliveries: 2);
        Assert.Equal([("birth_month:2026", 100L)], await GrantsAsync(client, december, "birth_month:"));
        Assert.Empty(await GrantsAsync(client, november25, "birth_month:"));

        app.Time.SetUtcNow(JstAt(2027, 2, 28, 0, 25)); // a common year: Feb 29 birthdays on Feb 28
        await RunAsync(app, GrantBirthdayPointsJob.FunctionName);
        Assert.Equal([("birthday:2027", 500L)], await GrantsAsync(client, leapDay, "birthday:"));

        app.Time.SetUtcNow(JstAt(2027, 11, 28, 0, 25)); // the next year, on the new date (the member moved lists)
        await RunAsync(app, GrantBirthdayPointsJob.FunctionName);
        Assert.Equal([("birthday:2026", 500L), ("birthday:2027", 500L)], await GrantsAsync(client, november25, "birthday:"));
        Assert.Empty(await GrantsAsync(client, noBirthDate, "birth"));
        Assert.Empty(await GrantsAsync(client, december, "birthday:"));
    }

    [Fact]
    public void ListsDueOn_TheDaysBirthdays_Feb29OnFeb28InCommonYears_AndTheMonthOnTheFirst()
    {
        Assert.Equal(["birthday|02-28", "birthday|02-29"], BirthdayIndex.ListsDueOn(new DateOnly(2027, 2, 28)));
        Assert.Equal(["birthday|02-28"], BirthdayIndex.ListsDueOn(new DateOnly(2028, 2, 28)));
        Assert.Equal(["birthday|12-01", "birth-month|12"], BirthdayIndex.ListsDueOn(new DateOnly(2026, 12, 1)));
    }
}

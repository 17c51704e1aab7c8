using System.Diagnostics;
using Points.Domain.Ledger;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Tests.Infrastructure;
using Xunit.Abstractions;
using static Points.Functions.Tests.Ledger.WorkedExamplesApiTests;

namespace Points.Functions.Tests.Ledger;

/// <summary>architecture.md: the member document must stay small whatever the member does. A member with 100,000 operations.</summary>
public sealed class BusyMemberTests(AppFixture app, ITestOutputHelper output) : IClassFixture<AppFixture>
{
    [Fact]
    public async Task MemberWith100000Operations_KeepsASmallAccountDocument_AndACompleteHistory()
    {
        const int operations = 100_000;
        var client = app.Client();
        var member = MemberId.Parse(await client.NewMemberAsync(points: 1_000));
        var ledger = app.Service<MemberLedger>();
        var watch = Stopwatch.StartNew();

        // Alternate +3 and -2 (on a 1,000-point start the balance never runs short), all submitted at once: the
        // mailbox commits them in batches.
        var results = await Task.WhenAll(Enumerable.Range(0, operations).Select(i => ledger.ExecuteAsync(member, MemberOperation.ForCommand(
            "test", null, "",
            i % 2 == 0
                ? new LedgerCommand.Credit(EntryType.Adjust, 3, LotKind.Regular, null)
                : new LedgerCommand.Debit(EntryType.Adjust, 2),
            accepted => new { accepted.State.Balance }))));
        output.WriteLine($"{operations} operations on one member in {watch.Elapsed.TotalSeconds:F1} s");

        Assert.All(results, r => Assert.IsType<OperationResult.Applied>(r));
        var summary = await client.GetMemberAsync(member.Value);
        Assert.Equal(1_000 + operations / 2 * 3 - operations / 2 * 2, summary.Long("balance"));

        var bytes = (await RawAccountAsync(app, member.Value)).Length;
        output.WriteLine($"account document: {bytes} bytes");
        Assert.True(bytes < 32 * 1024, $"The account document is {bytes} bytes.");

        var newest = await client.TransactionsAsync(member.Value, limit: 200);
        var seqs = newest.Body.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)(operations + 1 - i)), seqs);
        var oldest = await client.TransactionsAsync(member.Value, limit: 3, before: 4);
        Assert.Equal([3L, 2L, 1L], oldest.Body.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
    }
}

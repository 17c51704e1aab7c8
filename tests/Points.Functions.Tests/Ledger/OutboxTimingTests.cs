using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Ledger;
using Points.Functions.Ledger.Outbox;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Ledger;

/// <summary>
/// <see cref="OutboxTiming"/>: after a commit, <see cref="OutboxDispatcher.DispatchAfterCommitAsync"/> completes when the
/// items the answer waits for are done, lets the others go on after it (at most
/// <see cref="OutboxDispatcher.AfterTheAnswerInFlightMax"/> commits' worth), and
/// <see cref="OutboxDispatcher.ItemsInFlightDoneAsync"/> lets a reader wait for those. The dispatcher is the app's; the
/// two item types are the test's, with handlers that finish when the test says (the app's own listings go through the
/// same path in every expiry and reminder test, which read the lists right after an answer).
/// </summary>
public sealed class OutboxTimingTests
{
    private sealed record Waited(string Id) : OutboxItem
    {
        public override string Id { get; } = Id;
    }

    private sealed record Later(string Id) : OutboxItem
    {
        public override string Id { get; } = Id;
    }

    /// <summary>Each item's handling finishes when the test releases it; until then it is in flight.</summary>
    private sealed class Gates
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _gates = new();

        public TaskCompletionSource Of(string itemId) => _gates.GetOrAdd(itemId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public void ReleaseAll()
        {
            foreach (var gate in _gates.Values) gate.TrySetResult();
        }
    }

    private sealed class GatedHandler(Gates gates) : IOutboxHandler<Waited>, IOutboxHandler<Later>
    {
        public Task HandleAsync(MemberId memberId, Waited item, CancellationToken cancellationToken) => gates.Of(item.Id).Task;
        public Task HandleAsync(MemberId memberId, Later item, CancellationToken cancellationToken) => gates.Of(item.Id).Task;
    }

    private static readonly MemberId Member = MemberId.Parse("timing-1");
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    private readonly Gates _gates = new();
    private readonly OutboxDispatcher _dispatcher;
    private readonly OutboxItemTypes _types;

    public OutboxTimingTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton(_gates);
        services.AddOutboxHandler<Waited, GatedHandler>("test-waited");
        services.AddOutboxHandler<Later, GatedHandler>("test-later", OutboxTiming.AfterTheAnswer);
        var provider = services.BuildServiceProvider();
        _types = new OutboxItemTypes(provider.GetServices<OutboxItemType>());
        _dispatcher = new OutboxDispatcher(_types, provider, [], NullLogger<OutboxDispatcher>.Instance);
    }

    private OutboxRecord Record(OutboxItem item) => _types.Record(item, DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task ACommitWithItemsOfBothTimings_IsAnsweredWhenTheWaitedOneIsDone_TheOtherGoesOnAndAReaderWaitsForIt()
    {
        var dispatched = _dispatcher.DispatchAfterCommitAsync(Member, [Record(new Waited("w1")), Record(new Later("l1"))]);

        await Task.Delay(Settle);
        Assert.False(dispatched.IsCompleted); // the waited item is in flight
        _gates.Of("w1").SetResult();
        await dispatched.WaitAsync(TimeSpan.FromSeconds(10));

        var reader = _dispatcher.ItemsInFlightDoneAsync(CancellationToken.None);
        await Task.Delay(Settle);
        Assert.False(reader.IsCompleted); // the later item is still in flight after the answer
        Assert.False(_dispatcher.IsDone(Member, "l1"));
        _gates.Of("l1").SetResult();
        await reader.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(_dispatcher.IsDone(Member, "l1"));
    }

    [Fact]
    public async Task ACommitWithOnlyLaterItems_IsAnsweredAtOnce()
    {
        var dispatched = _dispatcher.DispatchAfterCommitAsync(Member, [Record(new Later("l1")), Record(new Later("l2"))]);

        Assert.True(dispatched.IsCompletedSuccessfully);
        Assert.False(_dispatcher.ItemsInFlightDoneAsync(CancellationToken.None).IsCompleted);
        _gates.ReleaseAll();
        await _dispatcher.ItemsInFlightDoneAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task PastTheLimitOfCommitsGoingOnAfterTheirAnswers_AnAnswerWaitsForItsItems()
    {
        var answers = Enumerable.Range(0, OutboxDispatcher.AfterTheAnswerInFlightMax + 1)
            .Select(i => _dispatcher.DispatchAfterCommitAsync(Member, [Record(new Later($"l{i}"))]))
            .ToList();

        Assert.All(answers[..^1], answer => Assert.True(answer.IsCompletedSuccessfully));
        Assert.False(answers[^1].IsCompleted);
        _gates.ReleaseAll();
        await answers[^1].WaitAsync(TimeSpan.FromSeconds(10));
        // Once those are done, a commit goes on after its answer again.
        await _dispatcher.ItemsInFlightDoneAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        // The in-flight count drops in a continuation that runs just after each item finishes.
        var attempt = 0;
        await Eventually.WaitForAsync(() => Task.FromResult(_dispatcher.DispatchAfterCommitAsync(Member, [Record(new Later($"again{attempt++}"))]).IsCompletedSuccessfully),
            "a commit answered before its later items again", TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(20));
        _gates.ReleaseAll();
    }

    [Fact]
    public void AReaderWithNothingInFlight_DoesNotWait() =>
        Assert.True(_dispatcher.ItemsInFlightDoneAsync(CancellationToken.None).IsCompletedSuccessfully);
}

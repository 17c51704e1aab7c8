using System.Text.Json;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Storage;

namespace Points.Functions.Ledger.Outbox;

/// <summary>
/// How one kind of outbox item is stored and carried out: its stable type name in the document, and its handler.
/// Features register theirs with <see cref="OutboxServiceCollectionExtensions.AddOutboxHandler{TItem,THandler}"/>.
/// </summary>
public sealed record OutboxItemType(string Name, Type ItemType, Func<IServiceProvider, MemberId, OutboxItem, CancellationToken, Task> Handle,
    OutboxTiming Timing = OutboxTiming.BeforeTheAnswer);

/// <summary>Whether the caller's answer waits for an item of the commit to be carried out by the instance that committed.</summary>
public enum OutboxTiming
{
    /// <summary>
    /// The answer waits: what the item writes is there when the caller looks next (a purchase or withdrawal document, a
    /// settled stock hold, a directory listing), and a member's partners' events are written in commit order.
    /// </summary>
    BeforeTheAnswer,
    /// <summary>
    /// The answer does not wait: the item only feeds a list that jobs read, whose readers in this process first wait
    /// for the items in flight (<see cref="OutboxDispatcher.ItemsInFlightDoneAsync"/>), and whose jobs tolerate a
    /// late item anyway (the change feed may carry one out long after). A due-date listing waits for the chunk create
    /// in flight and then its own: with 4 ms to Cosmos DB a member's first event took 18.7 ms instead of 11.3 (bench 1).
    /// </summary>
    AfterTheAnswer,
}

/// <summary>Carries out one kind of outbox item. Must be idempotent for the same member and item id (the item may come again).</summary>
public interface IOutboxHandler<in TItem> where TItem : OutboxItem
{
    Task HandleAsync(MemberId memberId, TItem item, CancellationToken cancellationToken);
}

/// <summary>The registered item types: item ↔ stored record, and the call of the item's handler.</summary>
public sealed class OutboxItemTypes
{
    private readonly Dictionary<Type, OutboxItemType> _byItem;
    private readonly Dictionary<string, OutboxItemType> _byName;

    public OutboxItemTypes(IEnumerable<OutboxItemType> types)
    {
        var all = types.ToList();
        _byItem = all.ToDictionary(t => t.ItemType);
        _byName = all.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>False for items of an <see cref="OutboxTiming.AfterTheAnswer"/> type; true for the rest, unknown types included.</summary>
    public bool AnswerWaitsFor(OutboxRecord record) =>
        !_byName.TryGetValue(record.Type, out var type) || type.Timing == OutboxTiming.BeforeTheAnswer;

    public OutboxRecord Record(OutboxItem item, DateTimeOffset at) =>
        _byItem.TryGetValue(item.GetType(), out var type)
            ? new OutboxRecord(item.Id, type.Name, JsonSerializer.SerializeToElement(item, item.GetType(), JsonDefaults.Options), at)
            : throw new InvalidOperationException($"Outbox item {item.GetType().Name} has no registered handler.");

    /// <summary>Carries out a stored item with its handler from <paramref name="services"/>.</summary>
    public Task HandleAsync(IServiceProvider services, MemberId memberId, OutboxRecord record, CancellationToken cancellationToken)
    {
        if (!_byName.TryGetValue(record.Type, out var type))
        {
            throw new InvalidOperationException($"Outbox item type '{record.Type}' is not registered (an older or newer version wrote it).");
        }
        var item = (OutboxItem)(record.Item.Deserialize(type.ItemType, JsonDefaults.Options)
            ?? throw new InvalidOperationException($"Outbox item {record.Id} is empty."));
        return type.Handle(services, memberId, item, cancellationToken);
    }
}

public static class OutboxServiceCollectionExtensions
{
    /// <summary>
    /// Registers the handler of <typeparamref name="TItem"/>, stored under <paramref name="name"/> (never rename a name in
    /// use); <paramref name="timing"/>: whether the caller's answer waits for the item.
    /// </summary>
    public static IServiceCollection AddOutboxHandler<TItem, THandler>(this IServiceCollection services, string name,
        OutboxTiming timing = OutboxTiming.BeforeTheAnswer)
        where TItem : OutboxItem where THandler : class, IOutboxHandler<TItem>
    {
        services.AddSingleton<THandler>();
        services.AddSingleton(new OutboxItemType(name, typeof(TItem),
            (provider, memberId, item, cancellationToken) => provider.GetRequiredService<THandler>().HandleAsync(memberId, (TItem)item, cancellationToken),
            timing));
        return services;
    }
}

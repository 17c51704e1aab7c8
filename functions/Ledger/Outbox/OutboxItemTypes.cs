using System.Text.Json;
using Points.Domain.Members;
using Points.Domain.Primitives;
using Points.Functions.Storage;

namespace Points.Functions.Ledger.Outbox;

/// <summary>
/// How one kind of outbox item is stored and carried out: its stable type name in the document, and its handler.
/// Features register theirs with <see cref="OutboxServiceCollectionExtensions.AddOutboxHandler{TItem,THandler}"/>.
/// </summary>
public sealed record OutboxItemType(string Name, Type ItemType, Func<IServiceProvider, MemberId, OutboxItem, CancellationToken, Task> Handle);

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
    /// <summary>Registers the handler of <typeparamref name="TItem"/>, stored under <paramref name="name"/> (never rename a name in use).</summary>
    public static IServiceCollection AddOutboxHandler<TItem, THandler>(this IServiceCollection services, string name)
        where TItem : OutboxItem where THandler : class, IOutboxHandler<TItem>
    {
        services.AddSingleton<THandler>();
        services.AddSingleton(new OutboxItemType(name, typeof(TItem),
            (provider, memberId, item, cancellationToken) => provider.GetRequiredService<THandler>().HandleAsync(memberId, (TItem)item, cancellationToken)));
        return services;
    }
}

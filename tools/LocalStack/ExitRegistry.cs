namespace Points.Tools.LocalStack;

/// <summary>
/// Objects still alive, each handed to <c>onExit</c> once when the process exits normally
/// (AppDomain.ProcessExit). The handler is hooked up on the first <see cref="Track"/>. Thread-safe.
/// </summary>
internal sealed class ExitRegistry<T>(Action<T> onExit)
    where T : class
{
    private readonly Lock _gate = new();
    private readonly HashSet<T> _live = [];
    private bool _registered;

    public void Track(T item)
    {
        lock (_gate)
        {
            if (!_registered)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => RunOnExit();
                _registered = true;
            }

            _live.Add(item);
        }
    }

    public void Untrack(T item)
    {
        lock (_gate)
        {
            _live.Remove(item);
        }
    }

    private void RunOnExit()
    {
        T[] live;
        lock (_gate)
        {
            live = [.. _live];
            _live.Clear();
        }

        foreach (var item in live)
        {
            onExit(item);
        }
    }
}

using Points.Tools.LocalStack;

namespace Points.Functions.Tests.Infrastructure;

/// <summary>
/// One set of emulators (Azurite + the Cosmos server, on free loopback ports) for the whole test run, started on first
/// use and stopped when the test process exits. Test classes isolate themselves by database and blob names.
/// </summary>
public static class SharedEmulators
{
    private static readonly Lazy<Task<LocalStack>> Stack = new(() => LocalStack.StartAsync(LocalStackOptions.ForTests()));

    public static Task<LocalStack> GetAsync() => Stack.Value;
}

using System.Net;
using System.Net.Sockets;

namespace Points.Tools.LocalStack;

/// <summary>Picks free TCP ports on 127.0.0.1 (the emulators; the benchmarks' and tests' started packages).</summary>
public static class LoopbackPorts
{
    /// <summary>
    /// Asks the operating system for a free port by binding port 0, then releases it for the emulator.
    /// Another process can take it in between; callers retry when the emulator then fails to bind.
    /// </summary>
    public static int PickFree()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Returns <paramref name="requested"/>, or a free port if it is <see cref="LocalStackOptions.AnyFreePort"/>.</summary>
    public static int Resolve(int requested) => requested == LocalStackOptions.AnyFreePort ? PickFree() : requested;
}

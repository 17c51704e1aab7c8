namespace Points.Tools.LocalStack;

/// <summary>The local emulators could not be installed or started. The message says why and what they printed.</summary>
public sealed class LocalStackException : Exception
{
    public LocalStackException(string message)
        : base(message)
    {
    }

    public LocalStackException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

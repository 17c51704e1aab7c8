namespace Points.Functions.Storage;

/// <summary>
/// Other writers kept changing one document during every retry of a conditional write: an outage-like condition that
/// the API answers with 503 <c>service_unavailable</c> (one mapping, in the app's exception handler), not a business outcome.
/// </summary>
public abstract class ContentionException(string message) : Exception(message);

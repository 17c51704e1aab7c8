using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Points.Functions.PayPal;

/// <summary>Registers the PayPal client and webhook verifier (the purchase feature calls <see cref="AddPayPal"/>).</summary>
public static class PayPalServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="PayPalOptions"/> from section <c>PayPal</c> and registers <see cref="PayPalClient"/> and
    /// <see cref="PayPalWebhookVerifier"/> (singletons) with their HTTP clients: <c>PayPal</c> (REST: total timeout →
    /// retries with exponential backoff and jitter on 5xx, 429 and timeouts → attempt timeout) and
    /// <c>PayPal.Certificates</c> (webhook certificates: no retries, no redirects, stand-in trust only when configured).
    /// Needs a <see cref="TimeProvider"/> registered (the app registers <see cref="TimeProvider.System"/>).
    /// Settings are checked when first used, so registering needs none.
    /// </summary>
    public static IServiceCollection AddPayPal(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<PayPalOptions>(configuration.GetSection(PayPalOptions.Section));

        services.AddHttpClient(PayPalHttp.HttpClientName, (provider, http) =>
            {
                http.BaseAddress = provider.GetRequiredService<IOptions<PayPalOptions>>().Value.BaseUri;
                http.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline's timeouts decide
            })
            .RedactLoggedHeaders(_ => true) // Authorization carries the secret or the token
            .AddResilienceHandler("paypal", (pipeline, context) =>
            {
                var settings = context.ServiceProvider.GetRequiredService<IOptions<PayPalOptions>>().Value;
                // Backoff and timeouts wait on the network, in real time: never on the business clock (a test's fake
                // TimeProvider registered for the app would otherwise stop every retry until the test moves it).
                pipeline.TimeProvider = TimeProvider.System;
                pipeline.AddTimeout(settings.TotalTimeout);
                if (settings.RetryAttempts > 0)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = settings.RetryAttempts,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        Delay = settings.RetryBaseDelay,
                        ShouldHandle = attempt => ValueTask.FromResult(PayPalHttp.IsTransient(attempt.Outcome.Result, attempt.Outcome.Exception)),
                    });
                }
                pipeline.AddTimeout(settings.AttemptTimeout);
            });

        services.AddHttpClient(PayPalWebhookCertificates.HttpClientName, http => http.Timeout = PayPalWebhookCertificates.DownloadTimeout)
            .RedactLoggedHeaders(_ => true)
            .ConfigurePrimaryHttpMessageHandler(provider => PayPalWebhookCertificates.CreateHandler(provider.GetRequiredService<IOptions<PayPalOptions>>().Value));

        services.AddSingleton<PayPalAccessTokens>();
        services.AddSingleton(provider => new PayPalClient(
            provider.GetRequiredService<IHttpClientFactory>(),
            provider.GetRequiredService<PayPalAccessTokens>(),
            provider.GetRequiredService<IOptions<PayPalOptions>>(),
            provider.GetRequiredService<ILogger<PayPalClient>>()));
        services.AddSingleton<PayPalWebhookCertificates>();
        services.AddSingleton(provider => new PayPalWebhookVerifier(
            provider.GetRequiredService<PayPalWebhookCertificates>(),
            provider.GetRequiredService<IOptions<PayPalOptions>>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<PayPalWebhookVerifier>>()));
        return services;
    }
}

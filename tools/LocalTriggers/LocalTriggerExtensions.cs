using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Points.Tools.LocalTriggers;

/// <summary>
/// How a development host (the run command, the tests, the benchmarks) adds the local trigger runner to the app. Both
/// do nothing unless <c>LocalTriggers:Enabled</c> is true and the app is not under the Functions host, so a host can
/// call them unconditionally.
/// </summary>
public static class LocalTriggerExtensions
{
    /// <summary>Registers the runner (a hosted service) with its options from configuration section <c>LocalTriggers</c>.</summary>
    public static WebApplicationBuilder AddLocalTriggers(this WebApplicationBuilder builder)
    {
        if (!LocalTriggerOptions.From(builder.Configuration).IsActive) return builder;
        builder.Services.Configure<LocalTriggerOptions>(builder.Configuration.GetSection(LocalTriggerOptions.Section));
        builder.Services.AddSingleton<LocalTriggerRunner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LocalTriggerRunner>());
        return builder;
    }

    /// <summary>Maps <c>POST /admin/functions/{name}</c>, the Functions host's admin endpoint that runs a timer function now.</summary>
    public static WebApplication MapLocalTriggerEndpoints(this WebApplication app)
    {
        if (!LocalTriggerOptions.From(app.Configuration).IsActive) return app;
        app.MapPost("/admin/functions/{name}", async (string name, LocalTriggerRunner runner, HttpContext http) =>
        {
            using var response = await runner.RunTimerNowAsync(name, http.RequestAborted);
            return Results.Text(await response.Content.ReadAsStringAsync(http.RequestAborted), "application/json", statusCode: (int)response.StatusCode);
        }).ExcludeFromDescription();
        return app;
    }
}

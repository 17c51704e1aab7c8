using Points.Functions.Api;

namespace Points.Functions.Hosting;

/// <summary>
/// A feature of the app, registered by its folder: its services (and with them its outbox handlers, commit steps and
/// ledger jobs), its HTTP routes under <c>/api</c>, its non-HTTP functions at <c>POST /{FunctionName}</c>, and the
/// problems its business refusals are answered with. The app is the list of features (<see cref="PointsApp.Features"/>).
/// </summary>
public abstract class Feature
{
    public virtual void AddServices(IServiceCollection services, IConfiguration configuration) { }

    /// <summary>Routes under <c>/api</c>.</summary>
    public virtual void MapRoutes(IEndpointRouteBuilder api) { }

    /// <summary>Functions the Functions host invokes (each also declared in <c>declarations/{Name}/function.json</c>).</summary>
    public virtual void MapFunctions(WebApplication app) { }

    /// <summary>Middleware and endpoints outside <c>/api</c> (the admin console's pages), set up before any route is mapped.</summary>
    public virtual void MapPages(WebApplication app) { }

    /// <summary>The feature's refusals (its closed rejection enums) and their problems.</summary>
    public virtual IEnumerable<RejectionProblem> Rejections => [];

    /// <summary>Problems the feature answers that are not refusals of a decider (e.g. a rate limit).</summary>
    public virtual IEnumerable<ProblemType> AlsoAnswers => [];
}

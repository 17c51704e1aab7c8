using System.Text;
using Points.Functions.Ledger;

namespace Points.Functions.Api;

public static class LedgerResults
{
    /// <summary>Maps an operation's outcome to HTTP. A replay gets the first response verbatim plus <c>Idempotent-Replayed: true</c>.</summary>
    public static IResult ToHttp(this OperationResult result, HttpContext http) => result switch
    {
        OperationResult.Applied a => Results.Text(a.Body, "application/json", Encoding.UTF8, a.Status),
        OperationResult.Replayed r => Replay(http, r),
        OperationResult.Rejected r => Problems.For(r.Code, r.Detail),
        OperationResult.KeyReused => Problems.For("idempotency_key_reused", "This Idempotency-Key was first used with a different request."),
        OperationResult.MemberNotFound => Problems.For("member_not_found"),
        _ => throw new ArgumentOutOfRangeException(nameof(result), result.GetType().Name, null),
    };

    private static IResult Replay(HttpContext http, OperationResult.Replayed replayed)
    {
        http.Response.Headers["Idempotent-Replayed"] = "true";
        return Results.Text(replayed.Body, "application/json", Encoding.UTF8, replayed.Status);
    }
}

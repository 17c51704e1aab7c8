using System.Text;
using System.Text.Json;
using Points.Functions.Ledger;
using Points.Functions.Storage;

namespace Points.Functions.Api;

public static class LedgerResults
{
    /// <summary>
    /// Maps an operation's outcome to HTTP: an applied result is <paramref name="successStatus"/> with the result as JSON;
    /// a replay the same status with the first result verbatim plus <c>Idempotent-Replayed: true</c>.
    /// </summary>
    public static IResult ToHttp(this OperationResult result, HttpContext http, int successStatus) => result switch
    {
        OperationResult.Applied a => Json(JsonSerializer.Serialize(a.Result, a.Result.GetType(), JsonDefaults.Options), successStatus),
        OperationResult.Replayed r => Replay(http, r, successStatus),
        OperationResult.Rejected r => Problems.For(r.Reason, r.Detail),
        OperationResult.KeyReused => Problems.For(Problems.IdempotencyKeyReused, "This Idempotency-Key was first used with a different request."),
        OperationResult.MemberNotFound => Problems.For(Problems.MemberNotFound),
        _ => throw new ArgumentOutOfRangeException(nameof(result), result.GetType().Name, null),
    };

    private static IResult Json(string body, int status) => Results.Text(body, "application/json", Encoding.UTF8, status);

    private static IResult Replay(HttpContext http, OperationResult.Replayed replayed, int status)
    {
        http.Response.Headers["Idempotent-Replayed"] = "true";
        return Json(replayed.Result, status);
    }
}

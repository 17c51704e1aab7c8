using System.Globalization;
using Points.Functions.Ledger;

namespace Points.Functions.AdminConsole;

/// <summary>What the console's forms share: their once-only keys, number fields, and the words for a ledger outcome.</summary>
public static class ConsoleForms
{
    /// <summary>
    /// A form's idempotency key, rendered into the form as a hidden field: a double-click or a resent form carries the
    /// same key, so the ledger applies it once and answers the repeat with the first result (the API's Idempotency-Key).
    /// Every rendered form gets a new one, so a corrected form is a new request.
    /// </summary>
    public static string NewKey() => "console:" + Guid.NewGuid().ToString("N");

    public static bool IsFormKey(string? key) => key is { Length: 40 } && key.StartsWith("console:", StringComparison.Ordinal) && Api.RequestReader.IsWellFormedKey(key);

    /// <summary>An integer typed by a person: digits with optional separators and sign (full-width digits too), or null.</summary>
    public static long? Integer(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var normalized = text.Trim().Normalize(System.Text.NormalizationForm.FormKC).Replace(",", "", StringComparison.Ordinal).Replace(" pt", "", StringComparison.Ordinal);
        return long.TryParse(normalized, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    public static DateOnly? Date(string? text) => Points.Domain.Primitives.CalendarText.TryParseDay(text?.Trim());

    /// <summary>The words the pages share for what goes wrong with a form.</summary>
    public static string StaleForm(ConsoleUi ui) => ui.T("フォームが古くなっています。ページを開き直してください。", "The form is stale; reload the page.");
    public static string SentWithOtherValues(ConsoleUi ui) =>
        ui.T("このフォームは別の内容で送信済みです。ページを開き直してください。", "This form was sent with other values already; reload the page.");
    public static string ChangedMeanwhile(ConsoleUi ui) => ui.T("他の人が先に変更しました。ページを開き直してください。", "Someone changed it meanwhile; reload the page.");
    public static string IdRule(ConsoleUi ui) =>
        ui.T($"1〜{Api.RequestReader.IdLengthMax} 文字の英数字と . _ : -", $"1–{Api.RequestReader.IdLengthMax} characters [A-Za-z0-9._:-].");
    public static string NotADate(ConsoleUi ui) => ui.T("日付を入力してください。", "A date.");

    /// <summary>A date field that may be left empty: null when empty, an error under <paramref name="key"/> when not a date.</summary>
    public static DateOnly? OptionalDate(string? text, string key, Dictionary<string, string[]> errors, ConsoleUi ui)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (Date(text) is { } day) return day;
        errors[key] = [NotADate(ui)];
        return null;
    }

    /// <summary>A refused or failed ledger operation in the operator's words (null when it went through).</summary>
    public static string? Refusal(OperationResult result, ConsoleUi ui) => result switch
    {
        OperationResult.Applied or OperationResult.Replayed => null,
        // The documented code (api.md) names the refusal in both languages; the detail gives the numbers.
        OperationResult.Rejected rejected => $"{ui.T("受け付けられませんでした", "Refused")} ({Api.Problems.Of(rejected.Reason).Code}): {rejected.Detail}",
        OperationResult.MemberNotFound => ui.T("その会員はいません。", "No such member."),
        OperationResult.KeyReused => SentWithOtherValues(ui),
        _ => throw new ArgumentOutOfRangeException(nameof(result), result.GetType().Name, null),
    };
}

using Microsoft.AspNetCore.Components;

namespace Points.Functions.AdminConsole;

/// <summary>
/// What every console page renders with: the request's <see cref="ConsoleUi"/> and its <see cref="HttpContext"/>.
/// A page reads what it shows in its initialization for a form's POST too: Blazor finds the posted form's handler in
/// the page as rendered, so the forms (and the data they show) must be there before the handler runs.
/// </summary>
public abstract class ConsolePage : ComponentBase
{
    [CascadingParameter] public ConsoleUi Ui { get; set; } = default!;
    [CascadingParameter] public HttpContext Http { get; set; } = default!;
}

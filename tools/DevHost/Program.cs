using System.Text.Json;
using Points.Functions;
using Points.Tools.Demo;
using Points.Tools.LocalStack;
using Points.Tools.LocalTriggers;
using Points.Tools.PayPalStandIn;

// The local run (F34): emulators, the app on 127.0.0.1:7071 and the trigger runner, and on an empty database the demo
// program (tools/Demo) seeded through the API, unless `--empty` is given. Ctrl-C stops the app and every emulator process.
const string Url = "http://127.0.0.1:7071";
const string EmptyFlag = "--empty";
var empty = args.Contains(EmptyFlag);
args = [.. args.Where(a => a != EmptyFlag)];

var root = FindRepositoryRoot();
var settingsFile = File.Exists(Path.Combine(root, "local.settings.json"))
    ? Path.Combine(root, "local.settings.json")
    : Path.Combine(root, "local.settings.sample.json");

Console.WriteLine("Starting the emulators (the first run installs them from tools/local-stack/package-lock.json)...");
await using var emulators = await LocalStack.StartAsync(LocalStackOptions.ForDevelopment() with
{
    // Under this root, which LocalStack's own root (POINTS_LOCAL_STACK_DIR, or found from the binary first) may not be.
    DataDirectory = Path.Combine(root, LocalStackOptions.DevelopmentDataDirectory),
});

var settings = ReadValues(settingsFile);
settings["Cosmos:ConnectionString"] = emulators.CosmosConnectionString;
settings["Storage:ConnectionString"] = emulators.StorageConnectionString;

// PayPal: the local stand-in (tools/PayPalStandIn), unless local.settings.json points PayPal:BaseUrl elsewhere.
await using var payPal = settings.ContainsKey("PayPal:BaseUrl")
    ? null
    : await PayPalStandIn.StartAsync(new PayPalStandInOptions { WebhookUrl = new Uri($"{Url}/api/v1/webhooks/paypal") });
foreach (var (name, value) in payPal?.AppSettings ?? new Dictionary<string, string?>()) settings[name] = value;

var builder = PointsApp.CreateBuilder(["--urls", Url, "--environment", "Development", .. args]);
builder.Configuration.AddInMemoryCollection(settings);
builder.AddLocalTriggers();
var app = PointsApp.Build(builder);
app.MapLocalTriggerEndpoints();
await app.EnsureStorageAsync(CancellationToken.None);
await app.StartAsync();

var key = settings.GetValueOrDefault("ApiKeys:DevelopmentAdminKey") ?? "(none configured)";
var demo = "none (--empty)";
if (!empty && settings.ContainsKey("ApiKeys:DevelopmentAdminKey"))
{
    using var api = new HttpClient { BaseAddress = new Uri(Url) };
    api.DefaultRequestHeaders.Add("X-Api-Key", key);
    demo = await DemoProgram.SeedIfEmptyAsync(api, DateTimeOffset.UtcNow, CancellationToken.None)
        ? $"seeded: members {string.Join(", ", DemoProgram.Members)}; rules {string.Join(", ", DemoProgram.Rules)}; campaign {DemoProgram.Campaign}; catalog {string.Join(", ", DemoProgram.CatalogItems)}; stores hq → tokyo, osaka → shibuya, shinjuku, umeda"
        : "already there (the database was not empty)";
}
Console.WriteLine($"""

    Points is running (settings from {Path.GetFileName(settingsFile)}).
      Admin console  {Url}/console   (sign in with the admin key below)
      API            {Url}/api/v1/...
      OpenAPI        {Url}/api/openapi.json
      Health         {Url}/api/health
      Run a timer    curl -X POST {Url}/admin/functions/ExpirePoints
      Blob storage   {emulators.BlobServiceUri}   (drop files into imports/adjustments/, withdrawals/, members/, migration/, purchases/, exports/)
      Cosmos DB      {emulators.CosmosEndpoint}
      Admin key      {key}   (development only; refused when running in Azure)
      PayPal         {(payPal is null ? settings["PayPal:BaseUrl"] : $"stand-in {payPal.BaseUrl} (approve pages at the orders' links; orders and events: {payPal.BaseUrl}stand-in)")}

    Demo program    {demo}

    Try:
      curl {Url}/api/v1/members/demo-01 -H 'X-Api-Key: {key}'
      curl {Url}/api/v1/members/demo-01/transactions -H 'X-Api-Key: {key}'
      curl '{Url}/api/v1/admin/members?tag=vip' -H 'X-Api-Key: {key}'
      curl -X POST {Url}/api/v1/events -H 'X-Api-Key: {key}' -H 'Content-Type: application/json' -d '{"{"}"eventId":"try-1","memberId":"demo-02","type":"purchase","amount":5000{"}"}'
      curl -X POST {Url}/api/v1/admin/members/demo-01/adjustments -H 'X-Api-Key: {key}' -H 'Idempotency-Key: demo-grant-1' -H 'Content-Type: application/json' -d '{"{"}"points":500,"reason":"welcome"{"}"}'

    Buy points with PayPal{(payPal is null ? "" : " (the stand-in plays PayPal)")}:
      curl -X POST {Url}/api/v1/members/demo-01/purchases -H 'X-Api-Key: {key}' -H 'Idempotency-Key: demo-buy-1' -H 'Content-Type: application/json' -d '{"{"}"points":1000{"}"}'
      open the answer's approveUrl in a browser and approve: PayPal's webhook captures and credits the points; or capture yourself:
      curl -X POST {Url}/api/v1/members/demo-01/purchases/<purchaseId>/capture -H 'X-Api-Key: {key}'
      curl {Url}/api/v1/members/demo-01 -H 'X-Api-Key: {key}'   (the balance shows them)

    Special points and exports (jobs over every member; each step runs off the ledger-jobs queue):
      curl -X POST {Url}/api/v1/admin/special-grants/preview -H 'X-Api-Key: {key}' -H 'Content-Type: application/json' -d '{"{"}"segment":{"{"}"type":"all"{"}"}{"}"}'
      curl -X POST {Url}/api/v1/admin/exports -H 'X-Api-Key: {key}' -H 'Content-Type: application/json' -d '{"{"}"kind":"balances"{"}"}'
      curl {Url}/api/v1/admin/exports/<exportId> -H 'X-Api-Key: {key}'   (the file lands in exports/ of the blob storage)

    Press Ctrl-C to stop everything.
    """);
await app.WaitForShutdownAsync();

// local.settings.json style: {"Values": {"Section__Key": "value"}} → configuration keys "Section:Key".
static Dictionary<string, string?> ReadValues(string file)
{
    using var document = JsonDocument.Parse(File.ReadAllText(file));
    return document.RootElement.GetProperty("Values").EnumerateObject()
        .ToDictionary(p => p.Name.Replace("__", ":", StringComparison.Ordinal), p => (string?)p.Value.GetString());
}

static string FindRepositoryRoot()
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PointsFunctions.sln"))) return dir.FullName;
        }
    }
    throw new InvalidOperationException("Run from inside the Points repository (PointsFunctions.sln not found).");
}

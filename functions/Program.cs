using Points.Functions;

var app = PointsApp.Build(PointsApp.CreateBuilder(args));
await app.EnsureStorageAsync(CancellationToken.None); // Only where configured (local runs); in Azure the Bicep template creates everything.
await app.RunAsync();

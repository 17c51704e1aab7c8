using Points.Functions;

var app = PointsApp.Build(PointsApp.CreateBuilder(args));
await app.RunAsync();

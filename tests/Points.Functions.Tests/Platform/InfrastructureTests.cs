using System.Diagnostics;
using System.Text.Json;
using Points.Functions.Storage;
using Points.Functions.Tests.Infrastructure;

namespace Points.Functions.Tests.Platform;

/// <summary>The Bicep template and the code name the same containers, partition keys, blob containers and queues.</summary>
public sealed class InfrastructureTests
{
    private static readonly Lazy<JsonElement> Variables = new(() => LoadCompiledTemplate().GetProperty("variables"));

    [Fact]
    public void CosmosContainers_InBicep_MatchTheContainersTheAppUses()
    {
        var inBicep = Variables.Value.GetProperty("cosmosContainers").EnumerateArray()
            .Select(c => (c.GetProperty("name").GetString()!, c.GetProperty("partitionKeyPath").GetString()!))
            .Order().ToList();
        Assert.Equal(Containers.All.Order().ToList(), inBicep);
    }

    [Fact]
    public void BlobContainersAndQueues_TheAppUses_ExistInBicep()
    {
        var containers = Variables.Value.GetProperty("blobContainerNames").EnumerateArray().Select(c => c.GetString()).ToHashSet();
        var queues = Variables.Value.GetProperty("queueNames").EnumerateArray().Select(c => c.GetString()).ToHashSet();
        Assert.All(BlobContainers.All, name => Assert.Contains(name, containers));
        Assert.Contains(BlobContainers.BlobPoisonQueue, queues);
    }

    [Fact]
    public void EveryBlobTriggeredImport_HasAnEventGridSubscriptionForItsFolder_InBicep()
    {
        var inBicep = Variables.Value.GetProperty("importFunctions").EnumerateArray()
            .Select(f => (f.GetProperty("name").GetString()!, $"imports/{f.GetProperty("folder").GetString()}/{{name}}")).Order().ToList();
        var declared = Points.Functions.Hosting.FunctionDeclarations.Load(Points.Functions.Hosting.FunctionDeclarations.DefaultDirectory)
            .Where(d => d.Trigger?.Type == "blobTrigger").Select(d => (d.Name, d.Trigger!.Path!)).Order().ToList();
        Assert.NotEmpty(declared);
        Assert.Equal(declared, inBicep);
    }

    [Fact]
    public void TheConsolesEntraSignIn_LetsApiCallersThrough_AndNamesTheSettingsTheAppReads()
    {
        LoadCompiledTemplate(); // compiles the modules too when stale
        var auth = File.ReadAllText(Path.Combine(Repository.Root, "artifacts/bicep/modules/console-auth.json"));
        var settings = File.ReadAllText(Path.Combine(Repository.Root, "artifacts/bicep/modules/appsettings.json"));

        // Partners call /api with keys and PayPal posts webhooks: a platform-wide sign-in requirement would lock them out.
        Assert.Contains("\"unauthenticatedClientAction\": \"AllowAnonymous\"", auth, StringComparison.Ordinal);
        Assert.Contains("\"requireAuthentication\": false", auth, StringComparison.Ordinal);
        foreach (var key in new[] { "Console:AdminObjectIds", "Console:AdminRole" })
            Assert.Contains($"'{key.Replace(":", "__", StringComparison.Ordinal)}'", settings, StringComparison.Ordinal); // the compiled union() names its keys in quotes
    }

    /// <summary>The ARM JSON that tools/bicep/check.sh compiles (./points test runs it first); compiled here when missing or stale.</summary>
    private static JsonElement LoadCompiledTemplate()
    {
        var repo = Repository.Root;
        var compiled = new FileInfo(Path.Combine(repo, "artifacts/bicep/main.json"));
        var newestSource = Directory.GetFiles(Path.Combine(repo, "infra-bicep"), "*.bicep", SearchOption.AllDirectories).Max(File.GetLastWriteTimeUtc);
        if (!compiled.Exists || compiled.LastWriteTimeUtc < newestSource)
        {
            using var check = Process.Start(new ProcessStartInfo("bash", ["tools/bicep/check.sh"]) { WorkingDirectory = repo, RedirectStandardOutput = true })!;
            var output = check.StandardOutput.ReadToEnd();
            check.WaitForExit();
            Assert.True(check.ExitCode == 0, output);
        }
        using var document = JsonDocument.Parse(File.ReadAllText(compiled.FullName));
        return document.RootElement.Clone();
    }
}

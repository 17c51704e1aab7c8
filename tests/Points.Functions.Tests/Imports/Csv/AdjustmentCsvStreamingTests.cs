using Points.Functions.Imports.Csv;

namespace Points.Functions.Tests.Imports.Csv;

[CollectionDefinition(nameof(AdjustmentCsvStreamingTests), DisableParallelization = true)]
public class AdjustmentCsvStreamingCollection;

/// <summary>Alone in its collection so that the memory it measures is its own.</summary>
[Collection(nameof(AdjustmentCsvStreamingTests))]
public class AdjustmentCsvStreamingTests
{
    private const int Rows = 200_000;

    [Fact]
    public async Task Read_200000RowsGeneratedOnTheFly_StaysAFewBuffersAheadWithBoundedMemory()
    {
        var source = new GeneratedAdjustmentsStream(Rows);
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        long rowsAheadMax = 0, memoryGrowthMax = 0, valid = 0;

        await foreach (var outcome in new AdjustmentCsvReader().ReadAsync(source))
        {
            valid += outcome is AdjustmentCsvRow ? 1 : 0;
            rowsAheadMax = Math.Max(rowsAheadMax, source.RowsGenerated - outcome.Row);
            if (outcome.Row % 50_000 == 0)
            {
                memoryGrowthMax = Math.Max(memoryGrowthMax, GC.GetTotalMemory(forceFullCollection: true) - memoryBefore);
            }
        }

        Assert.Equal(Rows, valid);
        // The probe and two 64 KiB buffers hold a few thousand ~40-byte rows; the file holds 200,000 (8 MiB).
        Assert.InRange(rowsAheadMax, 0, 10_000);
        Assert.InRange(memoryGrowthMax, long.MinValue, 4 * 1024 * 1024);
    }
}

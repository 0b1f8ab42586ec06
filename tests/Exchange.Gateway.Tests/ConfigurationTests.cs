using Exchange.Core.Pipeline;
using Exchange.Gateway.Configuration;

namespace Exchange.Gateway.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void EmbeddedDefault_LimitsAndPipeline_AreTheDocumentedDefaults()
    {
        var config = ConfigLoader.Default();

        Assert.Equal(new GatewayLimits(), config.Limits);
        Assert.Equal(new PipelineConfig(), config.Pipeline);
        Assert.Equal(64 * 1024, config.Limits.SocketSendBufferBytes);
        Assert.Equal((128, 16, 256, 32), (config.Limits.MaxConnectionsPerAddress, config.Limits.MaxUnauthenticatedPerAddress,
            config.Limits.MaxUnauthenticatedConnections, config.Limits.MaxPendingPasswordChecks));
    }

    [Fact]
    public void PipelineConfig_JournalKeys_ReachTheJournalOptions()
    {
        var options = new PipelineConfig { JournalSegmentBytes = 1 << 20, JournalArchive = "/archive" }.ToOptions("j");

        Assert.Equal(1 << 20, options.Journal!.MaxFileBytes);
        Assert.Equal("/archive", options.Journal.ArchiveDirectory);
        Assert.Null(new PipelineConfig().ToOptions("j").Journal!.ArchiveDirectory);
        Assert.Throws<InvalidDataException>(() => new PipelineConfig { JournalSegmentBytes = 100 }.Validate());
    }

    [Fact]
    public void PipelineConfig_PinCpus_ReachThePipelineOptions_AndAreCheckedAgainstThisMachine()
    {
        Assert.Equal([0], new PipelineConfig { PinCpus = [0] }.ToOptions("").PinnedCpus);
        Assert.Empty(new PipelineConfig().ToOptions("").PinnedCpus);
        Assert.Throws<InvalidDataException>(() => new PipelineConfig { PinCpus = [Environment.ProcessorCount] }.Validate());
        Assert.Throws<InvalidDataException>(() => new PipelineConfig { PinCpus = [-1] }.Validate());
    }

    [Fact]
    public void PipelineConfig_YieldMicros_DefaultsToZero_ReachesThePipelineOptions_AndIsRangeChecked()
    {
        Assert.Equal(TimeSpan.FromMicroseconds(200), new PipelineConfig { YieldMicros = 200 }.ToOptions("").YieldBeforeSleep);
        Assert.Equal(TimeSpan.Zero, new PipelineConfig { YieldMicros = 0 }.ToOptions("").YieldBeforeSleep);
        // The shipped default (the embedded configuration says the same: EmbeddedDefault_LimitsAndPipeline_AreTheDocumentedDefaults).
        Assert.Equal(TimeSpan.Zero, ConfigLoader.Default().Pipeline.ToOptions("").YieldBeforeSleep);
        Assert.Throws<InvalidDataException>(() => new PipelineConfig { YieldMicros = -1 }.Validate());
        Assert.Throws<InvalidDataException>(() => new PipelineConfig { YieldMicros = 1_000_001 }.Validate());
    }

    [Fact]
    public void PipelineConfig_SpinMicros_DefaultsToTen_ReachesThePipelineOptions_AndIsRangeChecked()
    {
        Assert.Equal(TimeSpan.Zero, new PipelineConfig { SpinMicros = 0 }.ToOptions("").SpinBeforeSleep);
        Assert.Equal(TimeSpan.FromMicroseconds(50), new PipelineConfig { SpinMicros = 50 }.ToOptions("").SpinBeforeSleep);
        // The shipped default is the spin the single-thread pipeline always had (the embedded configuration says the same).
        Assert.Equal(TimeSpan.FromMicroseconds(10), ConfigLoader.Default().Pipeline.ToOptions("").SpinBeforeSleep);
        Assert.Equal(TimeSpan.FromMicroseconds(10), new PipelineOptions().SpinBeforeSleep);
        Assert.Throws<InvalidDataException>(() => new PipelineConfig { SpinMicros = -1 }.Validate());
        Assert.Throws<InvalidDataException>(() => new PipelineConfig { SpinMicros = 1_001 }.Validate());
    }
}

using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Gateway.Metrics;

namespace Exchange.Gateway.Tests.Metrics;

/// <summary>Each commit of the real file journal is timed, and filed by whether it fsynced.</summary>
public sealed class TimedJournalTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "exchange-gateway-tests", Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(FsyncPolicy.EveryBatch, 3, 0)]
    [InlineData(FsyncPolicy.Never, 0, 3)]
    public void Commit_FilesItsDurationByWhetherItFsynced(FsyncPolicy policy, int syncs, int writes)
    {
        using (var journal = new TimedJournal(new JournalWriter(new JournalOptions { Directory = _directory, Fsync = policy }), 16))
        {
            for (var batch = 0; batch < 3; batch++)
            {
                journal.Append(new Command { Type = CommandType.Deposit, AccountId = 1, Amount = 5, Sequence = batch + 1 });
                journal.Commit();
            }
            Assert.Equal(3, journal.LastSequence);
            var sink = new NonNegative();
            Assert.Equal(syncs, journal.Syncs.Drain(ref sink));
            Assert.Equal(writes, journal.Writes.Drain(ref sink));
        }
        using var reopened = new JournalWriter(new JournalOptions { Directory = _directory });
        Assert.Equal(3, reopened.LastSequence);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private struct NonNegative : ISampleSink
    {
        public void Take(long sample) => Assert.True(sample >= 0);
    }
}

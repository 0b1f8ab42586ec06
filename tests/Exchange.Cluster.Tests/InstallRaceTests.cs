using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace Exchange.Cluster.Tests;

/// <summary>
/// The node's log installing snapshots beyond its tail right after an append, or an append and its commit, round after
/// round: what made DotNext.Net.Cluster 6.12.2's background flusher stop the log with <c>MissingPageException</c>
/// (the library's own log faults within a few rounds so: <c>Exchange.ClusterBench install-race</c>; docs/cluster.md,
/// "The write-ahead log's flusher and an installed snapshot"). <see cref="NodeLog"/> lets an install wait until the
/// flusher has nothing pending.
/// </summary>
public sealed class InstallRaceTests
{
    [Theory]
    [InlineData(WalMemory.Shared)]
    [InlineData(WalMemory.Private)]
    public async Task SnapshotsInstalledBeyondTheTail_RightAfterAppendsAndCommits_LeaveTheLogWorking(WalMemory memory)
    {
        var directory = Path.Combine(Path.GetTempPath(), "exchange-install-race-" + Guid.NewGuid().ToString("N"));
        var machine = new Machine();
        try
        {
            await using (var log = new NodeLog(new WriteAheadLog.Options
                         {
                             Location = directory,
                             ChunkSize = 1024 * 1024,
                             HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash3,
                             MemoryManagement = memory == WalMemory.Private
                                 ? WriteAheadLog.MemoryManagementStrategy.PrivateMemory
                                 : WriteAheadLog.MemoryManagementStrategy.SharedMemory,
                         }, machine))
            {
                await log.InitializeAsync();
                var payload = new byte[288];
                for (int round = 1; round <= 150; round++)
                {
                    long index = await log.AppendAsync(new BinaryLogEntry { Term = 1, Content = payload });
                    if (round % 2 == 0)
                        await log.CommitAsync(index);
                    // A gap of 200 entries: every snapshot lands on a metadata page (64 entries) this log never wrote.
                    long snapshot = index + 200;
                    await ((IAuditTrail<IRaftLogEntry>)log).AppendAsync(new Snapshot(snapshot, 1), snapshot);
                    await log.FlushAsync();
                    Assert.Equal(snapshot, log.LastCommittedEntryIndex);
                }

                long last = await log.AppendAsync(new BinaryLogEntry { Term = 2, Content = payload });
                await log.CommitAsync(last);
                await log.FlushAsync();
                using var read = await log.ReadAsync(last, last);
                Assert.Single(read);
            }
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    private sealed class Machine : IStateMachine
    {
        private volatile Snapshot? _snapshot;

        public ISnapshot? Snapshot => _snapshot;

        public ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
        {
            if (entry.IsSnapshot)
                _snapshot = new Snapshot(entry.Index, entry.Term);
            return ValueTask.FromResult(entry.Index);
        }

        public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token) => ValueTask.CompletedTask;
    }

    private sealed class Snapshot(long index, long term) : ISnapshot
    {
        public long Index => index;

        public long Term => term;

        long? IDataTransferObject.Length => 0;

        bool IDataTransferObject.IsReusable => true;

        ValueTask IDataTransferObject.WriteToAsync<TWriter>(TWriter writer, CancellationToken token) => ValueTask.CompletedTask;
    }
}

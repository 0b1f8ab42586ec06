using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Exchange.Cluster;

namespace Exchange.ClusterBench;

/// <summary>
/// The library's write-ahead log alone (DotNext.Net.Cluster 6.12.2, no Raft, no exchange): an entry appended (and, with
/// <c>--commit</c>, committed), then a snapshot installed beyond the log's tail, as a follower's InstallSnapshot does
/// (<c>AppendAsync(snapshot, index)</c>), round after round. The background flusher, woken by the append or the commit,
/// reads the snapshot index before it takes its read lock and does not read it again under the lock; when the install
/// holds the log's overwrite lock in between, the flusher then flushes from its old unflushed index up to the installed
/// snapshot's index, and the metadata page of that index, never written on this log, is missing:
/// <c>MissingPageException</c> from <c>WriteAheadLog.FlushAsync(Int64, Int64, CancellationToken)</c>, and the log is
/// stopped for good (every later call throws <c>InternalException</c>). docs/cluster.md, "The write-ahead log's flusher
/// and an installed snapshot".
/// </summary>
/// <remarks>
/// usage: Exchange.ClusterBench install-race [--rounds 2000] [--gap 200] [--install-ms 0] [--wal shared|private]
/// [--commit] [--flush-first]. <c>--gap</c> is how far beyond the appended entry the snapshot is (a metadata page holds
/// 64 entries: a gap that stays on the page written does not fault); <c>--install-ms</c> how long the state machine's
/// install takes; <c>--flush-first</c> awaits the log's <c>FlushAsync</c> before each install (enough against the append's
/// wake, not against the commit's: the flusher's checkpoint of the new commit index is not awaitable).
/// Exits 1 with the library's exception once a round faults (after opening the stopped log again from its directory,
/// as a restarted node would, and appending, committing and reading entries after the snapshot), 0 if none did.
/// </remarks>
internal static class InstallRace
{
    public static async Task<int> RunAsync(string directory, int rounds, int gap, int installMs, WalMemory wal, bool commit, bool flushFirst)
    {
        var machine = new Machine(installMs);
        var log = Open(directory, wal, machine);
        await log.InitializeAsync();
        try
        {
            return await RunAsync(log, directory, rounds, gap, commit, flushFirst, wal, machine);
        }
        finally
        {
            await log.DisposeAsync();
        }
    }

    private static WriteAheadLog Open(string directory, WalMemory wal, IStateMachine machine) => new(new WriteAheadLog.Options
    {
        Location = directory,
        ChunkSize = 1024 * 1024,
        HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash3,
        MemoryManagement = wal == WalMemory.Private
            ? WriteAheadLog.MemoryManagementStrategy.PrivateMemory
            : WriteAheadLog.MemoryManagementStrategy.SharedMemory,
    }, machine);

    private static async Task<int> RunAsync(WriteAheadLog log, string directory, int rounds, int gap, bool commit, bool flushFirst,
        WalMemory wal, Machine machine)
    {
        var payload = new byte[288];
        for (int round = 1; round <= rounds; round++)
        {
            long index = 0, snapshot = 0;
            try
            {
                index = await log.AppendAsync(new BinaryLogEntry { Term = 1, Content = payload });
                if (commit)
                    await log.CommitAsync(index);
                if (flushFirst)
                    await log.FlushAsync();
                snapshot = index + gap;
                await log.AppendAsync(new Snapshot(snapshot, 1), snapshot);
                await log.FlushAsync();
            }
            catch (Exception e)
            {
                Console.WriteLine($"round {round}: entry {index} appended{(commit ? " and committed" : "")}, snapshot installed at {snapshot}:");
                Console.WriteLine(e);
                await log.DisposeAsync();
                await ReopenAsync(directory, wal, machine, payload);
                return 1;
            }
        }

        Console.WriteLine($"no fault in {rounds} rounds (last index {log.LastEntryIndex})");
        return 0;
    }

    // The stopped log opened again from its directory (as a restarted node would): entries appended after the installed
    // snapshot, committed and read back.
    private static async Task ReopenAsync(string directory, WalMemory wal, Machine machine, byte[] payload)
    {
        try
        {
            await using var log = Open(directory, wal, machine);
            await log.InitializeAsync();
            long first = 0, last = 0;
            for (int i = 0; i < 100; i++)
            {
                last = await log.AppendAsync(new BinaryLogEntry { Term = 2, Content = payload });
                if (first == 0)
                    first = last;
            }
            await log.CommitAsync(last);
            await log.FlushAsync();
            using var read = await log.ReadAsync(first, last);
            Console.WriteLine($"reopened: snapshot at {machine.Snapshot?.Index}, entries {first}-{last} appended, committed and read back ({read.Count}); commit index {log.LastCommittedEntryIndex}");
        }
        catch (Exception e)
        {
            Console.WriteLine("reopened: failed: " + e);
        }
    }

    private sealed class Machine(int installMs) : IStateMachine
    {
        private volatile Snapshot? _snapshot;

        public ISnapshot? Snapshot => _snapshot;

        public async ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
        {
            if (entry.IsSnapshot)
            {
                if (installMs > 0)
                    await Task.Delay(installMs, token); // the install's own work: read, load and write the snapshot
                _snapshot = new Snapshot(entry.Index, entry.Term);
            }

            return entry.Index;
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

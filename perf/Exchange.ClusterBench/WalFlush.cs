using System.Diagnostics;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Exchange.Core.Commands;
using Exchange.Core.Journal;

namespace Exchange.ClusterBench;

/// <summary>
/// The durable-write part of a commit alone, no network: the single-node journal's append + commit (fsync per batch)
/// against the Raft library's write-ahead log, whose commit returns once the entry is flushed (DotNext 6.12.2 flushes on
/// every commit: data, metadata and its checkpoint file), with each of its memory strategies, interleaved round by round.
/// </summary>
internal static class WalFlush
{
    public static async Task RunAsync(string root, int entries, int rounds, int[]? only = null)
    {
        string[] modes = ["file journal, fsync per batch", "raft WAL, shared memory (msync)", "raft WAL, private memory (O_DSYNC writes)",
            "raft WAL, private memory, no buffering (O_DIRECT)"];
        var results = modes.ToDictionary(m => m, _ => new List<double>());
        var command = Command.DepositTo(1, 1_000);
        var record = new byte[JournalBatch.RecordSize];
        for (var round = 0; round < rounds; round++)
        {
            for (var m = 0; m < modes.Length; m++)
            {
                if (only is not null && !only.Contains(m)) continue;
                var directory = Path.Combine(root, $"wal-{round}-{m}");
                var times = new double[entries];
                if (m == 0)
                {
                    using var journal = new JournalWriter(new JournalOptions { Directory = directory, Fsync = FsyncPolicy.EveryBatch });
                    for (var i = 0; i < entries; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        journal.Append(command with { Sequence = i + 1 });
                        journal.Commit();
                        times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    }
                }
                else
                {
                    await using var log = new WriteAheadLog(new WriteAheadLog.Options
                    {
                        Location = directory, ChunkSize = 8 * 1024 * 1024,
                        HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash3,
                        MemoryManagement = m == 1 ? WriteAheadLog.MemoryManagementStrategy.SharedMemory : WriteAheadLog.MemoryManagementStrategy.PrivateMemory,
                        NoBuffering = m == 3,
                    }, IStateMachine.CreateNoOp(1_000_000));
                    await log.InitializeAsync();
                    for (var i = 0; i < entries; i++)
                    {
                        JournalBatch.Write(record, command with { Sequence = i + 1 });
                        var start = Stopwatch.GetTimestamp();
                        var index = await log.AppendAsync(new BinaryLogEntry { Term = 1, Content = record });
                        await log.CommitAsync(index);
                        times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    }
                }
                Array.Sort(times);
                results[modes[m]].Add(times[entries / 2]);
                Console.WriteLine($"round {round + 1}, {modes[m]}: p50 {times[entries / 2]:F0} µs, p90 {times[entries * 9 / 10]:F0} µs");
            }
        }
        Console.WriteLine("| durable write of one 1-record batch | p50 of each round's p50 (µs) | rounds' p50s (µs) |");
        Console.WriteLine("|---|---:|---|");
        foreach (var mode in modes)
        {
            var r = results[mode];
            if (r.Count == 0) continue;
            var sorted = r.Order().ToList();
            Console.WriteLine($"| {mode} | {sorted[sorted.Count / 2]:F0} | {string.Join(", ", r.Select(x => x.ToString("F0")))} |");
        }
    }
}

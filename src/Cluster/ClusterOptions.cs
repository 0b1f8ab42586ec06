namespace Exchange.Cluster;

/// <summary>
/// How one node of a Raft cluster runs: who the members are, which one this is, where its Raft log and
/// snapshots live, and the timings of the election. Every node of a cluster must be given the same members.
/// </summary>
public sealed record ClusterOptions
{
    /// <summary>This node's id: one of <see cref="Members"/>.</summary>
    public required int NodeId { get; init; }

    /// <summary>Every node of the cluster, this one included: three (or five) for a cluster that survives the loss of
    /// one (or two).</summary>
    public required IReadOnlyList<ClusterMember> Members { get; init; }

    /// <summary>This node's directory: the write-ahead log under <c>wal/</c>, the snapshots under <c>snapshots/</c>.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>
    /// The shortest time (ms) a follower waits without hearing from a leader before it stands for election; the
    /// longest is <see cref="UpperElectionTimeoutMs"/>, each wait drawn at random in between. Too short on a loaded
    /// machine and a leader that was merely slow is deposed; 500-1000 ms or more suits shared machines.
    /// </summary>
    public int LowerElectionTimeoutMs { get; init; } = 500;

    /// <summary>The longest election timeout (ms); see <see cref="LowerElectionTimeoutMs"/>.</summary>
    public int UpperElectionTimeoutMs { get; init; } = 1000;

    /// <summary>How long (ms) a Raft request to a peer may take before the peer counts as unreachable for that round;
    /// 0 takes the lower election timeout.</summary>
    public int RequestTimeoutMs { get; init; }

    /// <summary>
    /// The size of one write-ahead-log chunk file, in bytes. The library's default (one memory page) makes a file per
    /// page of log and soon exhausts the process's memory-map limit; MiB-scale chunks keep the file count small.
    /// </summary>
    public int WalChunkBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// How the write-ahead log holds its pages, which decides how a node's log survives a crash of its process (the
    /// library flushes the log before it commits an entry either way: docs/cluster.md, "Durability").
    /// </summary>
    public WalMemory WalMemory { get; init; } = WalMemory.Shared;

    /// <summary>
    /// A snapshot of the exchange is taken once this many commands were applied since the last one; the log below a
    /// snapshot is then deleted, and a node too far behind is sent the snapshot instead of the log.
    /// </summary>
    public long SnapshotEveryCommands { get; init; } = 1_000_000;

    /// <summary>
    /// The fewest thread-pool worker threads the process keeps ready (<see cref="ThreadPool.SetMinThreads"/>, raised,
    /// never lowered; 0 leaves the pool alone). The library runs its log's flusher on pool threads, and a flush blocks
    /// its thread in synchronous disk writes (msync, the checkpoint's O_DSYNC write) for about a millisecond; with the
    /// pool's default minimum (one thread per CPU) those writes hold every worker of a 2-CPU machine, and the library's
    /// own hand-offs (the wake of its loop that sends the log to the followers after an append, each follower's send
    /// task, the applier) queue behind them: that wake's p90 was 0.6-3.3 ms instead of 0.2-0.3 ms (docs/benchmarks.md,
    /// "The send loop's wake after an append: the pool's workers").
    /// </summary>
    public int MinPoolThreads { get; init; } = 16;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first thing wrong.</summary>
    public void Validate()
    {
        if (Members is null || Members.Count == 0)
            throw new ArgumentException("The cluster has no members.", nameof(Members));
        var ids = new HashSet<int>();
        var raft = new HashSet<string>();
        foreach (var member in Members)
        {
            if (member is null || member.RaftEndPoint is null)
                throw new ArgumentException("A cluster member has no Raft address.", nameof(Members));
            if (member.Id <= 0)
                throw new ArgumentException($"Cluster member ids are positive; {member.Id} is not.", nameof(Members));
            if (!ids.Add(member.Id))
                throw new ArgumentException($"Cluster member id {member.Id} appears twice.", nameof(Members));
            if (!raft.Add(member.RaftEndPoint.ToString()))
                throw new ArgumentException($"Raft address {member.RaftEndPoint} appears twice.", nameof(Members));
        }

        if (!ids.Contains(NodeId))
            throw new ArgumentException($"Node id {NodeId} is not one of the cluster's members.", nameof(NodeId));
        if (string.IsNullOrWhiteSpace(DataDirectory))
            throw new ArgumentException("The cluster needs a data directory.", nameof(DataDirectory));
        if (LowerElectionTimeoutMs < 10 || UpperElectionTimeoutMs <= LowerElectionTimeoutMs)
            throw new ArgumentException(
                $"Election timeouts must satisfy 10 <= lower < upper; got {LowerElectionTimeoutMs}..{UpperElectionTimeoutMs} ms.",
                nameof(LowerElectionTimeoutMs));
        if (RequestTimeoutMs < 0)
            throw new ArgumentException("The request timeout cannot be negative.", nameof(RequestTimeoutMs));
        if (WalChunkBytes < 64 * 1024)
            throw new ArgumentException($"WAL chunks of {WalChunkBytes} bytes are too small: use MiB-scale chunks.", nameof(WalChunkBytes));
        if (SnapshotEveryCommands <= 0)
            throw new ArgumentException("SnapshotEveryCommands must be positive.", nameof(SnapshotEveryCommands));
        if (MinPoolThreads is < 0 or > 1024)
            throw new ArgumentException($"MinPoolThreads must be 0-1024; got {MinPoolThreads}.", nameof(MinPoolThreads));
    }

    /// <summary>This node's own entry in <see cref="Members"/>.</summary>
    public ClusterMember Self
    {
        get
        {
            foreach (var member in Members)
                if (member.Id == NodeId)
                    return member;
            throw new InvalidOperationException($"Node id {NodeId} is not one of the cluster's members.");
        }
    }
}

/// <summary>How a node's write-ahead log holds its pages (<see cref="ClusterOptions.WalMemory"/>).</summary>
public enum WalMemory
{
    /// <summary>
    /// Memory-mapped chunk files (the library's default): an appended entry is in the OS page cache at once, so it
    /// survives a crash of the process; a flush is an msync of the metadata page, then of the data chunk, then a
    /// synchronous write of the checkpoint file.
    /// </summary>
    Shared,

    /// <summary>
    /// Pages in the process's own memory, written to the chunk files by a flush (synchronous writes of only the
    /// changed range, the metadata and the data at the same time, then the checkpoint): fewer disk round trips per
    /// commit, but an entry a follower acknowledged is lost with its process until that node's flush (about a
    /// millisecond) has written it.
    /// </summary>
    Private,
}

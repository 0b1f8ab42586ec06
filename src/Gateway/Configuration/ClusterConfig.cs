using System.Net;
using Exchange.Cluster;
using WalMemoryKind = Exchange.Cluster.WalMemory;

namespace Exchange.Gateway.Configuration;

/// <summary>
/// The <c>cluster</c> section: present, <c>exchange serve</c> runs one node of a Raft cluster (docs/cluster.md)
/// instead of a single server. Every node is given the same section; <c>--node ID</c> (or <see cref="NodeId"/>) says
/// which one this is, and the node listens for clients on its member's <see cref="ClusterMemberConfig.Client"/>.
/// </summary>
public sealed record ClusterConfig
{
    /// <summary>This node's id (overridden by <c>--node</c>).</summary>
    public int NodeId { get; init; }

    public List<ClusterMemberConfig> Members { get; init; } = [];

    /// <summary>Each node keeps its write-ahead log and snapshots in <c>DATA/node-ID</c>.</summary>
    public string DataDirectory { get; init; } = "cluster";

    /// <summary>Election timeouts (ms): 0.5-1 s or more on shared machines (a slow leader must not be deposed).</summary>
    public int LowerElectionTimeoutMs { get; init; } = 500;

    public int UpperElectionTimeoutMs { get; init; } = 1000;

    /// <summary>How long a Raft request to a peer may take (ms); 0 = the lower election timeout.</summary>
    public int RequestTimeoutMs { get; init; }

    /// <summary>Size of a write-ahead-log chunk file (MiB scale).</summary>
    public int WalChunkBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// "shared" (memory-mapped log: what a node acknowledged survives a crash of its process) or "private" (the log's
    /// pages in the process's memory: fewer disk round trips per commit; docs/cluster.md, "Durability").
    /// </summary>
    public string WalMemory { get; init; } = "shared";

    /// <summary>A snapshot after this many commands; the log below it is deleted.</summary>
    public long SnapshotEveryCommands { get; init; } = 1_000_000;

    /// <summary>The fewest thread-pool workers the process keeps ready (0: the runtime's default, one per CPU): the Raft
    /// library's log flushes block pool threads in disk writes, and its hand-offs must not queue behind them.</summary>
    public int MinPoolThreads { get; init; } = 16;

    /// <summary>The largest Raft log entry the leader makes from one input batch (a larger batch takes several).</summary>
    public int MaxEntryBytes { get; init; } = RaftJournal.DefaultMaxEntryBytes;

    /// <summary>
    /// How many times in a row the node is re-opened from its disk, within its process, after its write-ahead log stopped
    /// (the log's flusher or applier failed; docs/cluster.md, "A node whose log has stopped restarts itself"); then it
    /// stops with the cause. The count starts afresh once a re-opened node has run for a minute. 0: never, stop at once.
    /// </summary>
    public int RestartAttempts { get; init; } = 5;

    /// <summary>The wait (ms) before the first restart in a row; doubled at each next one (at most a minute).</summary>
    public int RestartDelayMs { get; init; } = 500;

    /// <summary>The library's options for this node; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public ClusterOptions ToOptions()
    {
        var members = new List<ClusterMember>(Members.Count);
        foreach (var m in Members)
        {
            if (!IPEndPoint.TryParse(m.Raft, out var raft) || raft.Port == 0)
                Fail($"member {m.Id}: raft '{m.Raft}' is not an IP address with a port");
            if (!IPEndPoint.TryParse(m.Client, out var client) || client.Port == 0)
                Fail($"member {m.Id}: client '{m.Client}' is not an IP address with a port");
            if (m.Streams.Length > 0) m.StreamsEndPoint();
            members.Add(new ClusterMember(m.Id, raft!, client));
        }
        var walMemory = WalMemory switch
        {
            "shared" => WalMemoryKind.Shared,
            "private" => WalMemoryKind.Private,
            _ => Fail<WalMemoryKind>($"walMemory '{WalMemory}' is neither \"shared\" nor \"private\""),
        };
        var options = new ClusterOptions
        {
            NodeId = NodeId,
            Members = members,
            DataDirectory = Path.Combine(DataDirectory, $"node-{NodeId}"),
            LowerElectionTimeoutMs = LowerElectionTimeoutMs,
            UpperElectionTimeoutMs = UpperElectionTimeoutMs,
            RequestTimeoutMs = RequestTimeoutMs,
            WalChunkBytes = WalChunkBytes,
            WalMemory = walMemory,
            SnapshotEveryCommands = SnapshotEveryCommands,
            MinPoolThreads = MinPoolThreads,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            Fail(e.Message);
        }
        if (MaxEntryBytes < 1024) Fail("maxEntryBytes must be at least 1024");
        if (RestartAttempts is < 0 or > 1000) Fail($"restartAttempts must be 0-1000; got {RestartAttempts}");
        if (RestartDelayMs is < 0 or > 60_000) Fail($"restartDelayMs must be 0-60000; got {RestartDelayMs}");
        return options;
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming the first thing wrong.</summary>
    public void Validate() => ToOptions();

    private static void Fail(string message) => throw new InvalidDataException("cluster: " + message);

    private static T Fail<T>(string message) => throw new InvalidDataException("cluster: " + message);
}

using System.Net;
using System.Net.Sockets;
using Exchange.Core.Commands;
using Exchange.Core.Journal;
using Exchange.Testing;

namespace Exchange.Cluster.Tests;

/// <summary>
/// Three (or more) nodes in this process on 127.0.0.1, each with its own directory, log, snapshots and exchange;
/// nodes can be stopped and started again from their directories. Election timeouts are generous: a loaded 2-core
/// machine must not depose a leader that was merely slow.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _root;
    private readonly ClusterOptions[] _options;
    private readonly ClusterNode?[] _nodes;
    private long _timestamp = 1_700_000_000_000_000_000;

    private TestCluster(string root, ClusterOptions[] options)
    {
        _root = root;
        _options = options;
        _nodes = new ClusterNode?[options.Length];
        Probes = new NodeProbe[options.Length];
        for (int i = 0; i < Probes.Length; i++)
            Probes[i] = new NodeProbe();
    }

    public NodeProbe[] Probes { get; }

    public int Count => _options.Length;

    public ClusterNode? this[int i] => _nodes[i];

    /// <param name="running">How many nodes to start (the first ones; the others with <see cref="StartNodeAsync"/>).</param>
    /// <param name="wal">How every node's write-ahead log holds its pages.</param>
    /// <param name="electionTimeoutMs">Every node's lower election timeout (the upper is twice it; the leader's heartbeat
    /// half of it).</param>
    /// <param name="requestTimeoutMs">How long a Raft request may take (0: the lower election timeout).</param>
    public static async Task<TestCluster> StartAsync(int count = 3, long snapshotEveryCommands = 1_000_000, int running = -1,
        WalMemory wal = WalMemory.Shared, int electionTimeoutMs = 1000, int requestTimeoutMs = 0)
    {
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "exchange-cluster-" + Guid.NewGuid().ToString("N"))).FullName;
        var members = new ClusterMember[count];
        var ports = FreePorts(count);
        for (int i = 0; i < count; i++)
            members[i] = new ClusterMember(i + 1, new IPEndPoint(IPAddress.Loopback, ports[i]));
        var options = new ClusterOptions[count];
        for (int i = 0; i < count; i++)
        {
            options[i] = new ClusterOptions
            {
                NodeId = i + 1,
                Members = members,
                DataDirectory = Path.Combine(root, $"node{i + 1}"),
                LowerElectionTimeoutMs = electionTimeoutMs,
                UpperElectionTimeoutMs = 2 * electionTimeoutMs,
                RequestTimeoutMs = requestTimeoutMs,
                WalChunkBytes = 1024 * 1024,
                SnapshotEveryCommands = snapshotEveryCommands,
                WalMemory = wal,
            };
        }

        var cluster = new TestCluster(root, options);
        await Task.WhenAll(Enumerable.Range(0, running < 0 ? count : running).Select(i => cluster.StartNodeAsync(i)));
        return cluster;
    }

    /// <summary>The options node <paramref name="i"/> starts with.</summary>
    public ClusterOptions Options(int i) => _options[i];

    /// <param name="i">The node's slot.</param>
    /// <param name="fresh">Its exchange's configuration (the cluster's by default).</param>
    /// <param name="options">Its options (the cluster's by default).</param>
    /// <param name="output">What the node makes of the committed commands besides its state (none by default).</param>
    public async Task StartNodeAsync(int i, Func<Exchange.Core.Exchange>? fresh = null, ClusterOptions? options = null,
        ICommittedOutput? output = null)
    {
        if (_nodes[i] is not null)
            throw new InvalidOperationException($"Node {i + 1} is running.");
        _nodes[i] = await ClusterNode.StartAsync(options ?? _options[i], fresh ?? Workload.Fresh, FileLog.For(i + 1),
            applied: Probes[i].OnApplied, output: output);
    }

    public async Task StopNodeAsync(int i)
    {
        var node = _nodes[i] ?? throw new InvalidOperationException($"Node {i + 1} is not running.");
        _nodes[i] = null;
        await node.DisposeAsync();
    }

    /// <summary>The running node every running node agrees leads (the one that says it leads, once the others know).</summary>
    public async Task<ClusterNode> LeaderAsync()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var node in _nodes)
            {
                if (node is { IsLeader: true } && _nodes.All(n => n is null || n.Leader?.Id == node.Options.NodeId))
                    return node;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("No leader that every running node agrees on.");
    }

    /// <summary>
    /// Stamps <paramref name="commands"/> with the sequences after the leader's last and replicates them as one batch;
    /// returns when a majority holds it and the leader applied it. The first batch of a leadership is preceded by an
    /// empty entry, whose application guarantees every earlier entry is applied and the last sequence final.
    /// </summary>
    public async Task CommitAsync(ClusterNode leader, IReadOnlyList<Command> commands)
    {
        await leader.CommitBatchAsync(ReadOnlyMemory<byte>.Empty);
        var bytes = new byte[commands.Count * JournalBatch.RecordSize];
        long sequence = leader.StateMachine.LastSequence;
        for (int i = 0; i < commands.Count; i++)
        {
            var command = commands[i];
            command.Sequence = ++sequence;
            command.Timestamp = _timestamp += 1000;
            JournalBatch.Write(bytes.AsSpan(i * JournalBatch.RecordSize), command);
        }

        await leader.CommitBatchAsync(bytes);
    }

    /// <summary>Waits until every running node (that has not stopped on a fault) has applied up to <paramref name="index"/>.</summary>
    public async Task WaitAppliedAsync(long index)
    {
        var deadline = DateTime.UtcNow + Timeout;
        // The node's applied index: a new leader's empty entry is applied without the state machine seeing it.
        while (_nodes.Any(n => n is { Fault: null } && n.AppliedIndex < index))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Not every node applied index {index}: " +
                    string.Join(", ", _nodes.Where(n => n is not null).Select(n =>
                        $"node {n!.Options.NodeId} at {n.AppliedIndex} (state machine at {n.StateMachine.AppliedIndex}, commit index {n.CommitIndex}, " +
                        $"log to {n.LastLogIndex}, snapshot at {n.StateMachine.Snapshot?.Index ?? 0}, installed {n.StateMachine.SnapshotsInstalled}, " +
                        $"resent {n.StateMachine.SnapshotsResent}, term {n.Term}, {(n.IsLeader ? "leading" : "following")}{(n.StateMachine.SharesState ? ", state shared" : "")})")));
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// The cluster's promise: at every log index two nodes both applied, they hold the same state, and a restarted node
    /// arrives at the same states again; every node's state satisfies the rulebook's invariants.
    /// </summary>
    public void AssertConsistent(long upToIndex)
    {
        for (int i = 0; i < Probes.Length; i++)
            Assert.True(Probes[i].Mismatches.Count == 0, $"node {i + 1}: " + string.Join("; ", Probes[i].Mismatches));
        int compared = 0;
        for (long index = 1; index <= upToIndex; index++)
        {
            ulong? first = null;
            foreach (var probe in Probes)
            {
                if (!probe.Hashes.TryGetValue(index, out ulong hash))
                    continue;
                first ??= hash;
                Assert.True(first == hash, $"nodes disagree at log index {index}");
                compared++;
            }
        }

        Assert.True(compared >= upToIndex, $"only {compared} hashes compared up to index {upToIndex}");
        for (int i = 0; i < _nodes.Length; i++)
        {
            if (_nodes[i] is { Fault: null })
                InvariantChecker.Check(Probes[i].Exchange!);
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 0; i < _nodes.Length; i++)
        {
            if (_nodes[i] is not null)
                await StopNodeAsync(i);
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file the library still closes; the temp directory is the OS's to clean then.
        }
    }

    private static int[] FreePorts(int count)
    {
        var listeners = new TcpListener[count];
        for (int i = 0; i < count; i++)
        {
            listeners[i] = new TcpListener(IPAddress.Loopback, 0);
            listeners[i].Start();
        }

        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var listener in listeners)
            listener.Stop();
        return ports;
    }
}

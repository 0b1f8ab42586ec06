using System.Net;
using System.Net.Sockets;
using Exchange.Client;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;

namespace Exchange.Gateway.Tests.Support;

/// <summary>
/// Three <c>exchange serve</c> nodes of one cluster in this process, on 127.0.0.1 ports picked free, each with its own
/// data directory, election timeouts of 1-2 s (a loaded machine must not depose a slow leader). Market data and drop
/// copy are off unless asked for (then on ports picked free, with the drop-copy group "desk" of accounts 1 and 2, read
/// by the admin).
/// </summary>
internal sealed class TestNodes : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _root;
    private readonly GatewayConfig[] _configs;
    private readonly ClusterHost?[] _hosts;
    private readonly Action<int, long, Exchange.Core.Exchange>? _applied;

    private TestNodes(string root, GatewayConfig[] configs, Action<int, long, Exchange.Core.Exchange>? applied)
    {
        _root = root;
        _configs = configs;
        _applied = applied;
        _hosts = new ClusterHost?[configs.Length];
    }

    public int Count => _configs.Length;

    public ClusterHost? this[int i] => _hosts[i];

    /// <summary>Every node's order-entry address, as a client is given them.</summary>
    public IReadOnlyList<(string Host, int Port)> Addresses =>
        _configs.Select(c => ("127.0.0.1", IPEndPoint.Parse(c.Cluster!.Members[c.Cluster.NodeId - 1].Client).Port)).ToList();

    /// <summary>Node <paramref name="i"/>'s data directory (its streams are under <c>streams/</c>).</summary>
    public string DataDirectory(int i) => Path.Combine(_root, $"node-{i + 1}");

    /// <summary>Node <paramref name="i"/>'s configuration.</summary>
    public GatewayConfig Config(int i) => _configs[i];

    /// <param name="count">How many nodes.</param>
    /// <param name="streamPorts">Market data and drop copy on.</param>
    /// <param name="snapshotEveryCommands">Every node's <c>snapshotEveryCommands</c>.</param>
    /// <param name="applied">Each node's <c>applied</c> hook (<see cref="ClusterHost"/>), given the node's index (0-based).</param>
    /// <param name="cluster">Changes every node's cluster section.</param>
    public static async Task<TestNodes> StartAsync(int count = 3, bool streamPorts = false, long snapshotEveryCommands = 1_000_000,
        Action<int, long, Exchange.Core.Exchange>? applied = null, Func<ClusterConfig, ClusterConfig>? cluster = null)
    {
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "exchange-nodes-" + Guid.NewGuid().ToString("N"))).FullName;
        var ports = FreePorts(5 * count);
        var members = Enumerable.Range(0, count).Select(i => new ClusterMemberConfig
        {
            Id = i + 1, Raft = $"127.0.0.1:{ports[2 * i]}", Client = $"127.0.0.1:{ports[2 * i + 1]}",
            Streams = $"127.0.0.1:{ports[4 * count + i]}",
        }).ToList();
        var configs = Enumerable.Range(0, count).Select(i => TestServer.Config() with
        {
            MarketDataPort = streamPorts ? ports[2 * count + 2 * i] : -1,
            DropCopyPort = streamPorts ? ports[2 * count + 2 * i + 1] : -1,
            SnapshotPort = -1,
            DropCopy = streamPorts ? [new DropCopyGroupConfig { Name = "desk", Accounts = [1, 2], Users = ["admin"] }] : [],
            Cluster = new ClusterConfig
            {
                NodeId = i + 1,
                Members = members,
                DataDirectory = root,
                LowerElectionTimeoutMs = 1000,
                UpperElectionTimeoutMs = 2000,
                WalChunkBytes = 1024 * 1024,
                SnapshotEveryCommands = snapshotEveryCommands,
            },
        }).ToArray();
        if (cluster is not null)
            configs = configs.Select(c => c with { Cluster = cluster(c.Cluster!) }).ToArray();
        var nodes = new TestNodes(root, configs, applied);
        for (var i = 0; i < count; i++) await nodes.StartNodeAsync(i);
        return nodes;
    }

    public async Task StartNodeAsync(int i)
    {
        var applied = _applied;
        var host = new ClusterHost(_configs[i], applied: applied is null ? null : (index, exchange) => applied(i, index, exchange));
        await host.StartAsync();
        _hosts[i] = host;
    }

    public async Task StopNodeAsync(int i)
    {
        var host = _hosts[i] ?? throw new InvalidOperationException($"node {i + 1} is not running");
        _hosts[i] = null;
        await host.DisposeAsync();
    }

    /// <summary>The running node that takes orders, once there is one.</summary>
    public async Task<int> LeaderAsync()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            for (var i = 0; i < _hosts.Length; i++)
                if (_hosts[i]?.Server is not null) return i;
            await Task.Delay(50);
        }
        throw new TimeoutException("no node took orders");
    }

    /// <summary>Logs in to the leader from the node list, as a client does after a failover.</summary>
    public Task<ExchangeClient> LoginAsync(string user, long sequence = 0) =>
        ExchangeClient.LoginToLeaderAsync(Addresses, user, TestServer.Password(user), sequence, "", Timeout);

    /// <summary>Waits until every running node has applied what the leader has.</summary>
    public async Task WaitAppliedAsync(long index)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (_hosts.Any(h => h is not null && h.Node.StateMachine.AppliedIndex < index))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not every node applied index {index}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _hosts.Length; i++)
            if (_hosts[i] is not null) await StopNodeAsync(i);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Ports free on 127.0.0.1 a moment ago (each listened on once, then let go).</summary>
    internal static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        foreach (var l in listeners) l.Start();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners) l.Stop();
        return ports;
    }
}

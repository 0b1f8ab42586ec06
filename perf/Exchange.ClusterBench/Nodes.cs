using System.Net;
using System.Net.Sockets;
using Exchange.Cluster;
using Exchange.Core;
using Exchange.Core.Instruments;

namespace Exchange.ClusterBench;

/// <summary>Three Raft nodes in this process on 127.0.0.1 ports picked free, with 1-2 s election timeouts.</summary>
internal sealed class Nodes : IAsyncDisposable
{
    private readonly ClusterNode[] _nodes;

    private int _leader;

    private Nodes(ClusterNode[] nodes) => _nodes = nodes;

    /// <param name="followers">Null: every node's directory is under <paramref name="directory"/>. Otherwise nodes 2 and
    /// 3 keep theirs under this one (a tmpfs: their flushes stay off the leader's disk, as on three machines), and
    /// node 1, with short election timeouts, is made the leader (<see cref="TakeOverAsync"/> waits for it).</param>
    public static async Task<Nodes> StartAsync(string directory, Microsoft.Extensions.Logging.ILoggerFactory? logging = null,
        WalMemory wal = WalMemory.Shared, string? followers = null)
    {
        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        foreach (var l in listeners) l.Start();
        var members = listeners.Select((l, i) => new ClusterMember(i + 1, (IPEndPoint)l.LocalEndpoint)).ToArray();
        foreach (var l in listeners) l.Stop();
        var nodes = await Task.WhenAll(members.Select(m => ClusterNode.StartAsync(new ClusterOptions
        {
            NodeId = m.Id, Members = members,
            DataDirectory = Path.Combine(followers is not null && m.Id != 1 ? followers : directory, $"node-{m.Id}"),
            LowerElectionTimeoutMs = followers is not null && m.Id == 1 ? 200 : 1000,
            UpperElectionTimeoutMs = followers is not null && m.Id == 1 ? 400 : 2000, WalMemory = wal,
        }, Fresh, logging)));
        return new Nodes(nodes) { _leader = followers is null ? 0 : 1 };
    }

    /// <summary>The id of the node <see cref="TakeOverAsync"/> took over on.</summary>
    public int LeaderId { get; private set; }

    /// <summary>Waits for a leader and takes over on it, its pipeline sharing the state machine's exchange as
    /// `exchange serve --cluster` runs it (applied once on the leader: docs/cluster.md).</summary>
    public async Task<Leadership> TakeOverAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var node in _nodes)
                if (node.IsLeader && (_leader == 0 || node.Options.NodeId == _leader) && await node.TakeOverAsync(shareState: true) is { } lead)
                {
                    LeaderId = node.Options.NodeId;
                    return lead;
                }
            await Task.Delay(50);
        }
        throw new TimeoutException("no leader");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
    }

    /// <summary>The benchmark's exchange: one perpetual, default options.</summary>
    public static Exchange.Core.Exchange Fresh()
    {
        var exchange = new Exchange.Core.Exchange(new ExchangeOptions());
        exchange.AddInstrument(new InstrumentSpec
        {
            Name = "BTC-PERP", TickValue = 500, ImrPpm = 100_000, MmrPpm = 50_000, MakerFeePpm = -100, TakerFeePpm = 500,
            LiquidationFeePpm = 10_000, BandPpm = 100_000, LiquidationBandPpm = 75_000,
            MaxPrice = 10_000_000, MaxOrderLots = 1_000_000, MaxPositionLots = 10_000_000,
        });
        return exchange;
    }
}

using Exchange.Gateway.Configuration;
using Exchange.Gateway.Routing;
using Exchange.Gateway.Security;
using Exchange.Gateway.Streams;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// The sequenced streams of one server or cluster node and the router that writes them: each user's stream, the
/// market-data order log, each drop-copy group's stream, the users, and the <see cref="OutboundRouter"/> over them.
/// A single server builds its own; a cluster node builds one for its life and every one of its leadership terms'
/// servers writes it, as its state machine does while it follows (<see cref="ClusterStreams"/>).
/// </summary>
internal sealed class GatewayStreams
{
    public GatewayStreams(GatewayConfig config, StreamStore store)
    {
        Store = store;
        Users = new UserDirectory(config.Users, config.Limits.MaxPendingPasswordChecks);
        var traders = new Dictionary<int, UserStream>();
        foreach (var u in Users.All)
        {
            Streams[u] = new UserStream(u, store.Open(StreamStore.UserStreamName(u.Name)));
            Logs.Add(Streams[u].Log);
            if (u.Role == Role.Trader) traders[u.Account] = Streams[u];
            if (u.Origin != 0) Senders[u.Origin] = Streams[u];
        }
        // In flight = the input ring plus the output ring's backlog: room for both, so a claim rarely finds a busy slot.
        Pending = new PendingTable(Math.Max(config.Limits.MaxInFlight, 2 * config.Pipeline.RingSize));
        Router = new OutboundRouter(Pending, traders);
        MarketData = new Gateway.MarketData.OrderLog(new UserStream(Gateway.MarketData.MarketDataUser.Instance, store.Open(StreamStore.MarketDataStreamName)));
        Logs.Add(MarketData.Feed.Log);
        Router.MarketData = MarketData;
        var dropCopyAccounts = new Dictionary<int, UserStream>();
        foreach (var g in config.DropCopy)
        {
            var group = new UserStream(Gateway.MarketData.MarketDataUser.Instance, store.Open(StreamStore.DropCopyStreamName(g.Name)));
            Logs.Add(group.Log);
            Groups.Add(group);
            foreach (var a in g.Accounts) dropCopyAccounts[a] = group;
            foreach (var u in g.Users) DropCopyReaders[Users.All.First(x => string.Equals(x.Name, u, StringComparison.OrdinalIgnoreCase))] = group;
        }
        Router.DropCopy = new DropCopyFeed(dropCopyAccounts);
    }

    public StreamStore Store { get; }
    public UserDirectory Users { get; }
    /// <summary>Each user's stream.</summary>
    public Dictionary<User, UserStream> Streams { get; } = [];
    /// <summary>Each user's stream by its token space (a trader's is its account id): whose a journaled command is.</summary>
    public Dictionary<uint, UserStream> Senders { get; } = [];
    /// <summary>Every stream the router writes to.</summary>
    public List<MessageLog> Logs { get; } = [];
    public PendingTable Pending { get; }
    public OutboundRouter Router { get; }
    public Gateway.MarketData.OrderLog MarketData { get; }
    /// <summary>Each drop-copy group's stream.</summary>
    public List<UserStream> Groups { get; } = [];
    /// <summary>Each drop-copy reader's group stream.</summary>
    public Dictionary<User, UserStream> DropCopyReaders { get; } = [];

    /// <summary>Every stream with its connections: the users', the order log, the drop-copy groups'.</summary>
    public IEnumerable<UserStream> All => Streams.Values.Append(MarketData.Feed).Concat(Groups);
}

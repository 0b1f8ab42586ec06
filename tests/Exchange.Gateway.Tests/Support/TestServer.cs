using Exchange.Client;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Security;
using Exchange.Testing;

namespace Exchange.Gateway.Tests.Support;

/// <summary>
/// A gateway on 127.0.0.1, on a port the OS picks, with short timeouts, the default instruments, traders t1..t4
/// (accounts 1..4), a price feed and an admin. Runs the real pipeline with a journal in a temporary directory unless
/// asked otherwise (in memory). Unless a test names a topology, servers alternate between the single-thread and the
/// parallel pipeline, so the suite runs the same gateway code behind both on any machine. Ends with <see cref="StopAndCheckAsync"/>: the invariants and conservation on the core's state.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    public const int Btc = 0;
    public const int Eth = 1;

    private static readonly Lazy<List<UserConfig>> Users = new(() =>
    [
        .. new[] { "t1", "t2", "t3", "t4" }.Select((name, i) => new UserConfig
        {
            Username = name, Role = UserConfig.Trader, Account = i + 1, Password = PasswordHash.Create(Password(name)),
        }),
        new UserConfig { Username = "feed", Role = UserConfig.Feed, Password = PasswordHash.Create(Password("feed")) },
        new UserConfig { Username = "admin", Role = UserConfig.Admin, Password = PasswordHash.Create(Password("admin")) },
    ]);

    private static int _started;
    private readonly string? _journal;
    private readonly string _topology;

    private TestServer(GatewayServer server, string? journal, string topology)
    {
        Server = server;
        _journal = journal;
        _topology = topology;
    }

    /// <summary>The next default topology: single and parallel in turn, or the one EXCHANGE_TEST_TOPOLOGY names
    /// (`single` or `parallel`), to run the whole suite against each topology in turn.</summary>
    private static string NextTopology() =>
        Environment.GetEnvironmentVariable("EXCHANGE_TEST_TOPOLOGY") is "single" or "parallel"
            ? Environment.GetEnvironmentVariable("EXCHANGE_TEST_TOPOLOGY")!
            : Interlocked.Increment(ref _started) % 2 == 0 ? "parallel" : "single";

    public GatewayServer Server { get; }

    public int Port => Server.Port;

    /// <summary>The journal directory; null for an in-process server.</summary>
    public string? Journal => _journal;

    public static string Password(string user) => "pw-" + user;

    public static GatewayConfig Config(Func<GatewayLimits, GatewayLimits>? limits = null, string journal = "",
        string topology = "auto", bool inlineIo = true, bool metrics = false, Func<GatewayConfig, GatewayConfig>? configure = null)
    {
        var defaults = ConfigLoader.Default();
        var testLimits = new GatewayLimits
        {
            // Long enough for a loaded machine (a 2 s timeout closed logins waiting on a busy pipeline at load 30);
            // the tests of the timeout set their own.
            LoginTimeoutMs = 10_000,
            IdleTimeoutMs = 4_000,
            TimerResolutionMs = 50,
            MaxFailedLogins = 1_000,
            RatePerSecond = 5_000,
            RateBurst = 1_000,
            FloodRejects = 1_000,
            MaxRateLimitedPerSecond = 100_000,
        };
        var config = defaults with
        {
            Port = 0,
            Journal = journal,
            Limits = limits is null ? testLimits : limits(testLimits),
            Pipeline = new PipelineConfig { RingSize = 1024, Fsync = "never", SnapshotEveryCommands = 0, Topology = topology },
            InlineIo = inlineIo,
            // Off unless a test is about them: each server with metrics keeps a meter and a drain thread.
            Metrics = defaults.Metrics with { Enabled = metrics },
            Users = Users.Value,
            DropCopy = [],
        };
        return configure is null ? config : configure(config);
    }

    /// <param name="topology">The pipeline's topology: auto (single-thread below 4 CPUs), single or parallel; by default
    /// single and parallel in turn.</param>
    /// <param name="inlineIo">Socket continuations on the I/O threads (the default) or on the thread pool.</param>
    public static async Task<TestServer> StartAsync(Func<GatewayLimits, GatewayLimits>? limits = null, bool inProcess = false,
        string? journal = null, string? topology = null, bool inlineIo = true, bool metrics = false,
        Func<GatewayConfig, GatewayConfig>? configure = null)
    {
        journal ??= inProcess ? "" : Path.Combine(Path.GetTempPath(), "exchange-gateway-tests", Guid.NewGuid().ToString("N"));
        topology ??= NextTopology();
        var server = new GatewayServer(Config(limits, journal, topology, inlineIo, metrics, configure), null, null, inProcess);
        await server.StartAsync();
        return new TestServer(server, journal.Length == 0 ? null : journal, topology);
    }

    /// <summary>A restarted server on this one's journal (this one must be stopped first).</summary>
    public async Task<TestServer> RestartAsync(bool metrics = false, Func<GatewayConfig, GatewayConfig>? configure = null)
    {
        var server = new GatewayServer(Config(null, _journal!, topology: _topology, metrics: metrics, configure: configure), null, null,
            inProcess: false);
        await server.StartAsync();
        return new TestServer(server, _journal, _topology);
    }

    /// <summary>
    /// Logs in, by default with sequence 0 (only messages generated from now on), and learns the user's next token
    /// with an account-0 query (its answer is consumed here).
    /// </summary>
    public async Task<ExchangeClient> LoginAsync(string user, long sequence = 0)
    {
        var client = await ExchangeClient.LoginAsync("127.0.0.1", Port, user, Password(user), sequence, Wait);
        if (sequence != 0) return client;
        await client.QueryAsync(0);
        client.NextToken = (await client.WaitForAsync(m => m.Type == 'Q' && m.Account == 0, Wait)).NextToken;
        return client;
    }

    /// <summary>Deposits (as admin) and sets marks (as the feed), waiting for each outcome.</summary>
    public async Task SetUpAsync(long deposit, params (int Instrument, long Price)[] marks)
    {
        await using var admin = await LoginAsync("admin");
        for (var account = 1; account <= 4; account++)
        {
            var token = await admin.DepositAsync(account, deposit);
            Assert.Equal('T', (await admin.WaitForAsync(m => m.Token == token, Wait)).Type);
        }
        await using var feed = await LoginAsync("feed");
        foreach (var (instrument, price) in marks)
        {
            var token = await feed.MarkAsync(instrument, price);
            Assert.Equal('M', (await feed.WaitForAsync(m => m.Token == token, Wait)).Type);
        }
    }

    /// <summary>Stops the server, then checks RULEBOOK section 9 on the core (conservation to the unit included).</summary>
    public async Task StopAndCheckAsync()
    {
        await Server.StopAsync();
        Assert.Null(Server.Fault);
        AssertConserved(Server.Exchange);
    }

    /// <summary>RULEBOOK section 9 on a stopped server's core: conservation to the unit, zero net positions, the invariants.</summary>
    public static void AssertConserved(Core.Exchange core)
    {
        Int128 left = core.Insurance + core.Fees + core.ExchangeLedger;
        var net = new long[core.InstrumentCount];
        for (var a = 1; a <= core.MaxAccountId; a++)
        {
            if (!core.AccountExists(a)) continue;
            left += core.Balance(a);
            for (var i = 0; i < core.InstrumentCount; i++)
            {
                left -= core.PositionCost(a, i);
                net[i] += core.PositionQty(a, i);
            }
        }
        Assert.Equal((Int128)core.Deposits - core.Withdrawals, left);
        Assert.All(net, q => Assert.Equal(0, q));
        InvariantChecker.AssertHolds(core);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync();
        if (_journal is not null && Directory.Exists(_journal))
        {
            try
            {
                Directory.Delete(_journal, recursive: true);
            }
            catch (IOException)
            {
                // A restarted server may still hold it; the temp directory is cleaned eventually.
            }
        }
    }
}

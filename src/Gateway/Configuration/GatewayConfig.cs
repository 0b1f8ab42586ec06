using Exchange.Core;

namespace Exchange.Gateway.Configuration;

/// <summary>
/// Everything <c>exchange serve</c> needs: where to listen, the instruments, the users and the limits. Read from JSON
/// (the embedded default, or a <c>--config</c> file that replaces it as a whole); see docs/protocol.md section 10.
/// </summary>
public sealed record GatewayConfig
{
    /// <summary>The address to listen on. Loopback by default; anything else is an explicit opt-in.</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 9000;

    /// <summary>
    /// TCP port of the read-only market-data sessions (docs/protocol.md section 12): unset = <see cref="Port"/> + 1 (a free
    /// one when Port is 0), 0 picks a free one, −1 disables.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? MarketDataPort { get; init; }

    /// <summary>The market-data port to listen on (−1: none).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int MarketDataListenPort => MarketDataPort ?? (Port == 0 ? 0 : Port + 1);

    /// <summary>TCP port of the drop-copy sessions (section 13): unset = Port + 2 (a free one when Port is 0), −1 disables.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? DropCopyPort { get; init; }

    /// <summary>The drop-copy port to listen on (−1: none).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int DropCopyListenPort => DropCopyPort ?? (Port == 0 ? 0 : Port + 2);

    /// <summary>
    /// TCP port of the snapshot sessions (docs/protocol.md section 12, GLIMPSE-style): unset = Port + 4 (a free one when
    /// Port is 0), −1 disables.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? SnapshotPort { get; init; }

    /// <summary>The snapshot port to listen on (−1: none).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int SnapshotListenPort => SnapshotPort ?? (Port == 0 ? 0 : Port + 4);

    /// <summary>The metrics endpoint (docs/operations.md).</summary>
    public MetricsConfig Metrics { get; init; } = new();

    /// <summary>The metrics HTTP port to listen on (−1: metrics off).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int MetricsListenPort => !Metrics.Enabled ? -1 : Metrics.Port ?? (Port == 0 ? 0 : Port + 3);

    /// <summary>Drop-copy groups (section 13); none by default.</summary>
    public List<DropCopyGroupConfig> DropCopy { get; init; } = [];

    /// <summary>The SoupBinTCP session id (at most 10 characters); blank = generated from the start time.</summary>
    public string Session { get; init; } = "";

    /// <summary>The journal directory of the exchange pipeline (created if missing); empty = no journal.</summary>
    public string Journal { get; init; } = "journal";

    public PipelineConfig Pipeline { get; init; } = new();

    /// <summary>What each sequenced stream keeps for replay (docs/protocol.md section 8).</summary>
    public StreamsConfig Streams { get; init; } = new();

    /// <summary>Present: this server is one node of a Raft cluster (docs/cluster.md); absent: a single server.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ClusterConfig? Cluster { get; init; }

    /// <summary>
    /// Run the connections' receive loops and socket sends on the socket engine's threads instead of queuing each to
    /// the thread pool (Kestrel's <c>UnsafePreferInlineScheduling</c> with inline socket completions): one hand-off
    /// less in each direction. Safe because session code never blocks there (password hashing goes to the pool).
    /// </summary>
    public bool InlineIo { get; init; } = true;

    /// <summary>
    /// Threads of the runtime's socket engine, the epoll loops where the receive loops run with <see cref="InlineIo"/>
    /// (<c>serve</c> only: it is read once per process, before the first socket). 0 = one below 4 logical CPUs, as the
    /// single-thread topology's <c>auto</c>, else the runtime's default (one per CPU). One thread takes every readable
    /// connection in one wake-up and leaves the other CPU to the pipeline thread; docs/operations.md.
    /// </summary>
    public int SocketThreads { get; init; }

    /// <summary>What <see cref="SocketThreads"/> means on this machine: 0 = the runtime's default.</summary>
    public int EffectiveSocketThreads => SocketThreads > 0 ? SocketThreads : Environment.ProcessorCount < 4 ? 1 : 0;

    /// <summary>Decimals of the collateral: money is counted in 10^-decimals units.</summary>
    public int Decimals { get; init; } = 6;

    /// <summary>
    /// The largest account id the exchange accepts (a deposit to a higher one is ACCOUNT_LIMIT). The core keeps its
    /// accounts in arrays dense up to the highest id used, about 0.9 KB per id with 16 instrument slots, so this bounds
    /// that memory: a deposit to account 16,777,215 (the core's own limit) would take some 15 GiB. It also bounds the
    /// metrics' position table (8 bytes per account id per instrument, up to the highest id that traded).
    /// </summary>
    public int MaxAccountId { get; init; } = 1_000_000;

    /// <summary>Resting orders one account may have (more are TOO_MANY_OPEN_ORDERS): with <see cref="MaxAccountId"/>, the
    /// bound of the order store and its maps.</summary>
    public int MaxOpenOrdersPerAccount { get; init; } = 1_000;

    /// <summary><c>adl</c> or <c>socialize</c> (RULEBOOK section 8).</summary>
    public string LossPolicy { get; init; } = "adl";

    public GatewayLimits Limits { get; init; } = new();

    /// <summary>Outcomes the core keeps per token space: a client may resend its last this many messages and get their
    /// original outcomes (docs/protocol.md section 7).</summary>
    public int TokenWindow { get; init; } = 64;

    /// <summary>Token spaces the core keeps: at least the users configured (each has one).</summary>
    public int MaxTokenSpaces { get; init; } = 16_384;

    public List<InstrumentConfig> Instruments { get; init; } = [];

    public List<UserConfig> Users { get; init; } = [];

    /// <summary>The core's options for this configuration.</summary>
    public ExchangeOptions ToExchangeOptions() => new()
    {
        Policy = LossPolicy == "socialize" ? Core.LossPolicy.Socialize : Core.LossPolicy.Adl,
        MaxInstruments = Math.Max(16, Instruments.Count),
        CollateralDecimals = Decimals,
        MaxAccountId = MaxAccountId,
        MaxOpenOrdersPerAccount = MaxOpenOrdersPerAccount,
        TokenWindow = TokenWindow,
        MaxTokenSpaces = MaxTokenSpaces,
        // Each configured user has one space: the table never grows while the server runs.
        InitialTokenSpaces = Math.Clamp(Users.Count, 1, Math.Max(1, MaxTokenSpaces)),
    };

    /// <summary>Throws <see cref="InvalidDataException"/> naming the first thing wrong.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535) Fail($"port {Port} out of range");
        if (MarketDataListenPort is < -1 or > 65535) Fail($"marketDataPort {MarketDataListenPort} out of range");
        if (MarketDataListenPort == Port && Port != 0) Fail("marketDataPort must differ from port");
        if (DropCopyListenPort is < -1 or > 65535) Fail($"dropCopyPort {DropCopyListenPort} out of range");
        if (DropCopyListenPort > 0 && (DropCopyListenPort == Port || DropCopyListenPort == MarketDataListenPort))
            Fail("dropCopyPort must differ from port and marketDataPort");
        Metrics.Validate();
        if (MetricsListenPort > 0 && (MetricsListenPort == Port || MetricsListenPort == MarketDataListenPort || MetricsListenPort == DropCopyListenPort))
            Fail("metrics.port must differ from port, marketDataPort and dropCopyPort");
        if (MetricsListenPort > 65535) Fail($"metrics port {MetricsListenPort} out of range");
        if (SnapshotListenPort is < -1 or > 65535) Fail($"snapshotPort {SnapshotListenPort} out of range");
        if (SnapshotListenPort > 0 && (SnapshotListenPort == Port || SnapshotListenPort == MarketDataListenPort
                || SnapshotListenPort == DropCopyListenPort || SnapshotListenPort == MetricsListenPort))
            Fail("snapshotPort must differ from port, marketDataPort, dropCopyPort and the metrics port");
        var readers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var g in DropCopy)
        {
            g.Validate(Users);
            foreach (var u in g.Users)
                if (!readers.Add(u)) Fail($"user '{u}' is in two drop-copy groups");
        }
        if (!System.Net.IPAddress.TryParse(Address, out _)) Fail($"address '{Address}' is not an IP address");
        if (Session.Length > 10 || !Ascii.IsPrintable(Session)) Fail("session: at most 10 printable ASCII characters");
        try
        {
            ToExchangeOptions().Validate();
        }
        catch (ArgumentException e)
        {
            Fail(e.Message);
        }
        if (LossPolicy is not ("adl" or "socialize")) Fail("lossPolicy must be 'adl' or 'socialize'");
        if (MaxAccountId is < 1 or > 16_777_215) Fail("maxAccountId must be in 1..16777215");
        if (SocketThreads is < 0 or > 64) Fail("socketThreads must be in 0..64 (0 = automatic)");
        if (MaxOpenOrdersPerAccount < 1) Fail("maxOpenOrdersPerAccount must be positive");
        if (Instruments.Count == 0) Fail("at least one instrument is needed");
        if (Instruments.Count > 64) Fail("at most 64 instruments");
        Limits.Validate();
        Pipeline.Validate();
        Streams.Validate();
        Cluster?.Validate();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in Instruments)
        {
            if (!names.Add(i.Name)) Fail($"instrument '{i.Name}' declared twice");
            try
            {
                i.ToSpec(Decimals).Validate();
            }
            catch (ArgumentException e)
            {
                Fail($"instrument '{i.Name}': {e.Message}");
            }
        }
        var users = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var accounts = new HashSet<int>();
        var origins = new Dictionary<uint, string>();
        foreach (var u in Users)
        {
            u.Validate();
            if (!users.Add(u.Username)) Fail($"user '{u.Username}' declared twice");
            if (u.Role == UserConfig.Trader && !accounts.Add(u.Account)) Fail($"account {u.Account} has two traders");
            // Traders' spaces are their accounts (checked above); the others' may collide by name hash.
            if (u.Role != UserConfig.Trader && !origins.TryAdd(u.TokenOrigin(), u.Username))
                Fail($"users '{origins[u.TokenOrigin()]}' and '{u.Username}' would share token space {u.TokenOrigin()}: " +
                    "give one of them an 'origin' (1..2147483647) of its own");
        }
        if (Users.Count > MaxTokenSpaces) Fail($"{Users.Count} users need more token spaces than maxTokenSpaces ({MaxTokenSpaces})");
    }

    private static void Fail(string message) => throw new InvalidDataException(message);
}

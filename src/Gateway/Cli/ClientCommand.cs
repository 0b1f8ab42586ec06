using System.Globalization;
using System.Threading.Channels;
using Exchange.Client.Protocol;
using Exchange.Client;
using Exchange.Gateway.Configuration;

namespace Exchange.Gateway.Cli;

/// <summary>
/// <c>exchange client</c>: one command per run from a shell. It logs in with sequence 0 (live messages only), learns
/// the next token with an account-0 query, sends, prints what comes back in human units, and logs out.
/// </summary>
internal static class ClientCommand
{
    public const string Usage = """
        usage: exchange client [--host H] [--port N] --user U --password P [--config FILE] [--account N] [--wait MS] COMMAND
          login                                   log in and out; print the session and next sequence number
          place INSTR buy|sell QTY [PRICE]        limit order (market without PRICE); options: --type limit|market
                [--tif gtc|ioc|fok] [--post-only] [--reduce-only] [--stp taker|maker|both]
          replace INSTR --order ID [--price P] [--qty Q]
          cancel --order ID | --token T
          cancel-all [INSTR]
          query [ACCOUNT]                         balance, equity, margin, positions, ADL quintile, next token
          watch [--from N]                        print the user's messages from sequence N (default: new ones) until Ctrl-C
          book INSTR [--depth N] [--for MS]       live depth ladder from the market-data port (--md-port, default port + 1)
          mark INSTR PRICE                        (price feed)
          funding INSTR PPM                       (price feed)
          deposit ACCOUNT AMOUNT | withdraw ACCOUNT AMOUNT | insurance AMOUNT   (admin)
        Prices, sizes and amounts are decimals in the configuration's units (default: the embedded configuration).
        """;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            return RunAsync(args, stdout, stderr).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException
                                      or InvalidDataException or ChannelClosedException)
        {
            stderr.WriteLine($"exchange client: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length < 2 || args.Contains("--help") || args.Contains("-h"))
        {
            (args.Length < 2 ? stderr : stdout).Write(Usage);
            return args.Length < 2 ? 2 : 0;
        }
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var words = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] is "--post-only" or "--reduce-only") options[args[i]] = "";
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length) options[args[i]] = args[++i];
            else if (args[i].StartsWith("--", StringComparison.Ordinal)) return Fail(stderr, $"option {args[i]} needs a value");
            else words.Add(args[i]);
        }
        if (words.Count == 0 || !options.TryGetValue("--user", out var user) || !options.TryGetValue("--password", out var password))
            return Fail(stderr, "--user, --password and a command are required");
        var config = options.TryGetValue("--config", out var path) ? ConfigLoader.Load(path) : ConfigLoader.Default();
        var units = new Units(config);
        var host = options.GetValueOrDefault("--host", "127.0.0.1");
        var port = options.TryGetValue("--port", out var p) ? Int(p) : config.Port;
        var account = options.TryGetValue("--account", out var a) ? Int(a)
            : config.Users.Find(u => string.Equals(u.Username, user, StringComparison.OrdinalIgnoreCase))?.Account ?? 0;
        var wait = TimeSpan.FromMilliseconds(options.TryGetValue("--wait", out var w) ? Int(w) : 300);
        var format = new MessageFormatter(units);
        var command = words[0];
        var rest = words.Skip(1).ToArray();

        if (command == "watch")
            return await WatchAsync(host, port, user, password, options.TryGetValue("--from", out var from) ? Int(from) : 0, format, stdout, stderr);
        if (command == "book")
        {
            if (rest.Length < 1 || !units.TryInstrument(rest[0], out var bookInstrument)) return Fail(stderr, "book: instrument expected");
            var mdPort = options.TryGetValue("--md-port", out var mp) ? Int(mp)
                : options.ContainsKey("--port") ? port + 1 : config.MarketDataListenPort;
            return await BookLadder.RunAsync(host, mdPort, user, password, bookInstrument,
                options.TryGetValue("--depth", out var d) ? Int(d) : 10, options.TryGetValue("--for", out var f) ? Int(f) : 0, units,
                stdout, stderr);
        }
        if (command == "login")
        {
            var (c, login, at) = await LoginAsync(host, port, user, password, 0);
            await using var _ = c;
            if (!login.Accepted) return Fail(stderr, $"login rejected ({login.RejectReason}): {login.Debug}");
            stdout.WriteLine($"logged in at {at}: session {login.Session}, next sequence {login.NextSequence}");
            await c.LogoutAsync();
            return 0;
        }
        if (!TryBuild(command, rest, options, units, (uint)account, out var build, out var error)) return Fail(stderr, error);
        return await SendAsync(host, port, user, password, build, wait, format, stdout, stderr);
    }

    /// <summary>Builds the message for a command, given the token it will carry.</summary>
    private static bool TryBuild(string command, string[] rest, Dictionary<string, string> options, Units units, uint account,
        out Func<uint, byte[]> build, out string error)
    {
        build = _ => [];
        var instrument = -1;
        error = $"{command}: instrument expected";
        bool Instrument(int at) => rest.Length > at && units.TryInstrument(rest[at], out instrument);
        switch (command)
        {
            case "place":
                if (!Instrument(0)) return false;
                if (rest.Length < 3 || rest[1] is not ("buy" or "sell")) return Bad(out error, "place INSTR buy|sell QTY [PRICE]");
                if (!units.TryLots(instrument, rest[2], out var qty)) return Bad(out error, $"quantity {rest[2]} is not a whole number of lots");
                long price = 0;
                if (rest.Length > 3 && !units.TryTicks(instrument, rest[3], out price)) return Bad(out error, $"price {rest[3]} is not a whole number of ticks");
                var type = (byte)(options.GetValueOrDefault("--type", rest.Length > 3 ? "limit" : "market") == "market" ? 1 : 0);
                var tif = (byte)Array.IndexOf(["gtc", "ioc", "fok"], options.GetValueOrDefault("--tif", type == 1 ? "ioc" : "gtc"));
                var stp = (byte)Array.IndexOf(["taker", "maker", "both"], options.GetValueOrDefault("--stp", "taker"));
                if (tif > 2 || stp > 2) return Bad(out error, "--tif gtc|ioc|fok, --stp taker|maker|both");
                var flags = (byte)((options.ContainsKey("--post-only") ? Inbound.PostOnly : 0) | (options.ContainsKey("--reduce-only") ? Inbound.ReduceOnly : 0));
                var side = (byte)(rest[1] == "buy" ? 0 : 1);
                build = t => Inbound.NewOrder(t, account, instrument, side, type, tif, flags, stp, price, qty);
                return true;
            case "replace":
                if (!Instrument(0)) return false;
                if (!options.TryGetValue("--order", out var order)) return Bad(out error, "replace INSTR --order ID [--price P] [--qty Q]");
                long newPrice = 0, newQty = 0;
                if (options.TryGetValue("--price", out var np) && !units.TryTicks(instrument, np, out newPrice)) return Bad(out error, "bad --price");
                if (options.TryGetValue("--qty", out var nq) && !units.TryLots(instrument, nq, out newQty)) return Bad(out error, "bad --qty");
                var id = Long(order);
                build = t => Inbound.Replace(t, account, id, 0, newPrice, newQty);
                return true;
            case "cancel":
                var orderId = options.TryGetValue("--order", out var o) ? Long(o) : 0;
                var token = options.TryGetValue("--token", out var tk) ? (uint)Long(tk) : 0;
                if (orderId == 0 && token == 0) return Bad(out error, "cancel --order ID | --token T");
                build = t => Inbound.Cancel(t, account, orderId, token);
                return true;
            case "cancel-all":
                if (rest.Length > 0 && !Instrument(0)) return false;
                build = t => Inbound.CancelAllOrders(t, account, instrument);
                return true;
            case "query":
                var whom = rest.Length > 0 ? (uint)Long(rest[0]) : account;
                build = _ => Inbound.Query(0, whom);
                return true;
            case "mark":
            case "funding":
                if (!Instrument(0)) return false;
                if (rest.Length < 2) return Bad(out error, $"{command} INSTR VALUE");
                if (command == "funding")
                {
                    var rate = Long(rest[1]);
                    build = t => Inbound.FundingRate(t, instrument, rate);
                    return true;
                }
                if (!units.TryTicks(instrument, rest[1], out var mark)) return Bad(out error, $"price {rest[1]} is not a whole number of ticks");
                build = t => Inbound.Mark(t, instrument, mark);
                return true;
            case "deposit":
            case "withdraw":
                if (rest.Length < 2 || !units.TryMoney(rest[1], out var amount)) return Bad(out error, $"{command} ACCOUNT AMOUNT");
                var to = (uint)Long(rest[0]);
                build = command == "deposit" ? t => Inbound.DepositTo(t, to, amount) : t => Inbound.WithdrawFrom(t, to, amount);
                return true;
            case "insurance":
                if (rest.Length < 1 || !units.TryMoney(rest[0], out var fund)) return Bad(out error, "insurance AMOUNT");
                build = t => Inbound.Insurance(t, fund);
                return true;
            default:
                return Bad(out error, $"unknown command '{command}'");
        }
    }

    /// <summary>
    /// Connects and logs in; a cluster follower's refusal (docs/protocol.md section 1) is followed to the leader it
    /// names, and while it names none (an election) the login is tried again, until the client's timeout.
    /// </summary>
    private static async Task<(ExchangeClient Client, LoginResult Login, string At)> LoginAsync(string host, int port, string user,
        string password, long from)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var client = await ExchangeClient.ConnectAsync(host, port);
            var login = await client.LoginAsync(user, password, from, "", Timeout);
            if (!login.NotLeader || DateTime.UtcNow > deadline) return (client, login, $"{host}:{port}");
            await client.DisposeAsync();
            if (login.Leader is { } leader) (host, port) = (leader.Address.ToString(), leader.Port);
            else await Task.Delay(200);
        }
    }

    private static async Task<int> SendAsync(string host, int port, string user, string password, Func<uint, byte[]> build,
        TimeSpan wait, MessageFormatter format, TextWriter stdout, TextWriter stderr)
    {
        var (client, login, _) = await LoginAsync(host, port, user, password, 0);
        await using var _ = client;
        if (!login.Accepted) return Fail(stderr, $"login rejected ({login.RejectReason}): {login.Debug}");
        // An account-0 query answers with this user's next expected token (and is itself not subject to tokens).
        await client.SendAsync(Inbound.Query(0, 0));
        var next = await client.WaitForAsync(m => m.Type == 'Q' && m.Account == 0, Timeout);
        var message = build(next.NextToken);
        var isQuery = message[0] == Inbound.AccountQuery;
        await client.SendAsync(message);
        var outcome = await client.WaitForAsync(m => isQuery ? m.Type is 'Q' or 'J' : m.Token == next.NextToken, Timeout);
        stdout.WriteLine(format.Format(outcome));
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                stdout.WriteLine(format.Format(await client.ReceiveAsync(deadline - DateTime.UtcNow)));
            }
            catch (TimeoutException)
            {
                break;
            }
        }
        await client.LogoutAsync();
        return outcome.Type == 'J' ? 1 : 0;
    }

    private static async Task<int> WatchAsync(string host, int port, string user, string password, long from,
        MessageFormatter format, TextWriter stdout, TextWriter stderr)
    {
        var (client, login, _) = await LoginAsync(host, port, user, password, from);
        await using var _ = client;
        if (!login.Accepted) return Fail(stderr, $"login rejected ({login.RejectReason}): {login.Debug}");
        stdout.WriteLine($"watching {user}: session {login.Session} from sequence {login.NextSequence} (Ctrl-C stops)");
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var read = client.ReceiveAsync(TimeSpan.FromMilliseconds(500));
                try
                {
                    stdout.WriteLine(format.Format(await read));
                    stdout.Flush();
                }
                catch (TimeoutException)
                {
                    // Nothing new: keep waiting.
                }
            }
            await client.LogoutAsync();
        }
        catch (ChannelClosedException)
        {
            stdout.WriteLine(client.EndOfSession ? "end of session" : $"connection closed{(client.Debug is { } d ? ": " + d : "")}");
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        return 0;
    }

    private static bool Bad(out string error, string message)
    {
        error = message;
        return false;
    }

    private static int Int(string s) => int.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static long Long(string s) => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"exchange client: {message}");
        if (message.Contains("required", StringComparison.Ordinal)) stderr.Write(Usage);
        return 2;
    }
}

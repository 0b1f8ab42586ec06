using Exchange.Gateway.Configuration;

namespace Exchange.Gateway.Cli.Client;

/// <summary>
/// One <c>exchange client</c> run: where the server is, who logs in, and the configuration's units. Turning the
/// command line's values into protocol values fails with a usage error that names the value (and the valid choices)
/// before anything is sent.
/// </summary>
internal sealed class ClientContext(GatewayConfig config, string host, int? port, string user, string password, uint account,
    TimeSpan wait, TextWriter output, string command)
{
    public GatewayConfig Config { get; } = config;
    public Units Units { get; } = new(config);
    public string Host { get; } = host;

    /// <summary>The order-entry port: <c>--port</c>, or the configuration's.</summary>
    public int Port { get; } = port ?? config.Port;

    /// <summary>The market-data port: the configuration's, or <c>--port</c> + 1 when a port was given.</summary>
    public int MarketDataPort { get; } = port is { } p ? p + 1 : config.MarketDataListenPort;

    /// <summary>The snapshot port: the configuration's, or <c>--port</c> + 4 when a port was given.</summary>
    public int SnapshotPort { get; } = port is { } s ? s + 4 : config.SnapshotListenPort;

    /// <summary>The drop-copy port: the configuration's, or <c>--port</c> + 2 when a port was given.</summary>
    public int DropCopyPort { get; } = port is { } q ? q + 2 : config.DropCopyListenPort;

    public string User { get; } = user;
    public string Password { get; } = password;
    public uint Account { get; } = account;
    public TimeSpan Wait { get; } = wait;
    public TextWriter Output { get; } = output;

    /// <summary><c>exchange client place</c>: for messages.</summary>
    public string Command { get; } = command;

    public int Instrument(string text)
    {
        if (Units.TryInstrument(text, out var id)) return id;
        var names = string.Join(", ", Config.Instruments.Select(i => i.Name));
        throw CommandLineException.Usage($"unknown instrument '{text}' (instruments: {names}; or an id 0 to {Config.Instruments.Count - 1})");
    }

    public long Lots(int instrument, string text, string what = "quantity")
    {
        if (Units.TryLots(instrument, text, out var lots) && lots > 0) return lots;
        throw CommandLineException.Usage(
            $"{what} '{text}' is not a positive whole number of lots ({Units.Name(instrument)}: lot {Units.Size(instrument, 1)})");
    }

    public long Ticks(int instrument, string text, string what = "price")
    {
        if (Units.TryTicks(instrument, text, out var ticks) && ticks > 0) return ticks;
        throw CommandLineException.Usage(
            $"{what} '{text}' is not a positive whole number of ticks ({Units.Name(instrument)}: tick {Units.Price(instrument, 1)})");
    }

    public long Money(string text, string what = "amount")
    {
        if (Units.TryMoney(text, out var amount) && amount > 0) return amount;
        throw CommandLineException.Usage($"{what} '{text}' is not a positive amount in units of {Units.Money(1)}");
    }
}

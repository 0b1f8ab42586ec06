using System.Text.RegularExpressions;
using Exchange.Gateway.Cli;
using Exchange.Gateway.Configuration;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// Runs a <see cref="GatewayServer"/> (or a cluster node's <see cref="ClusterHost"/>) for <c>exchange serve</c> until
/// SIGINT or SIGTERM, then shuts it down cleanly.
/// The banner on stdout names every port; log entries go where <c>configureLogging</c> sends them.
/// </summary>
internal static partial class ServerRunner
{
    public static int Run(GatewayConfig config, Action<ILoggingBuilder> configureLogging, TextWriter stdout) =>
        (config.Cluster is null ? RunAsync(config, configureLogging, stdout) : RunNodeAsync(config, configureLogging, stdout))
        .GetAwaiter().GetResult();

    /// <summary>One node of a cluster (docs/cluster.md): the leader takes orders, followers send clients to it.</summary>
    private static async Task<int> RunNodeAsync(GatewayConfig config, Action<ILoggingBuilder> configureLogging, TextWriter stdout)
    {
        if (config.InlineIo) Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        using var logging = LoggerFactory.Create(configureLogging);
        var host = new ClusterHost(config, logging, configureLogging);
        using var stop = new SignalWait();
        try
        {
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidDataException)
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw new CommandLineException(e is InvalidDataException ? ExitCode.NeedsRepair : ExitCode.Unavailable,
                $"node {host.Self.Id} cannot start: {e.Message}");
        }
        stdout.WriteLine($"exchange: node {host.Self.Id} of {config.Cluster!.Members.Count}, Raft on {host.Self.RaftEndPoint}, " +
                         $"order entry on {host.Self.ClientEndPoint} (the leader takes orders, followers name it)" +
                         (host.MarketDataPort >= 0 ? $", market data on {host.MarketDataPort}" : "") +
                         (host.DropCopyPort >= 0 ? $", drop copy on {host.DropCopyPort}" : "") +
                         $" (every node). Session {(host.SessionId.Length > 0 ? host.SessionId : "(from the cluster's log)")}. Ctrl-C stops.");
        stdout.Flush();
        while (!stop.Task.IsCompleted && host.Fault is null)
            await Task.WhenAny(stop.Task, Task.Delay(1000)).ConfigureAwait(false);
        var fault = host.Fault;
        stdout.WriteLine("exchange: shutting down");
        await host.DisposeAsync().ConfigureAwait(false);
        stdout.WriteLine("exchange: stopped");
        // A node whose log stopped was re-opened in this process up to cluster.restartAttempts times (ClusterHost); what
        // ends it here either needs an operator (damaged, misconfigured) or may be cured by a process restart.
        if (fault is not null)
            throw new CommandLineException(host.FaultNeedsRepair ? ExitCode.NeedsRepair : ExitCode.Failed, $"node {host.Self.Id} failed: {fault.Message}");
        return ExitCode.Ok;
    }

    /// <summary>
    /// Read once by the socket engine when it starts, so set before the first socket: completions run on the engine's
    /// threads instead of a pool thread (the runtime half of <see cref="GatewayConfig.InlineIo"/>), and there are
    /// <see cref="GatewayConfig.SocketThreads"/> of them (a single server; a cluster node keeps the runtime's count for its
    /// Raft connections too). An operator's own environment variable wins.
    /// </summary>
    private static void ConfigureSocketEngine(GatewayConfig config)
    {
        if (config.InlineIo) Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        if (config.EffectiveSocketThreads > 0 && Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT") is null)
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT",
                config.EffectiveSocketThreads.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task<int> RunAsync(GatewayConfig config, Action<ILoggingBuilder> configureLogging, TextWriter stdout)
    {
        ConfigureSocketEngine(config);
        using var logging = LoggerFactory.Create(configureLogging);
        var log = logging.CreateLogger("Exchange.Gateway.Hosting");
        GatewayServer server;
        try
        {
            server = new GatewayServer(config, logging, configureLogging);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CommandLineException.Unavailable($"cannot use the journal directory '{config.Journal}': {e.Message}");
        }
        catch (InvalidDataException e)
        {
            throw new CommandLineException(ExitCode.Failed, $"cannot recover from the journal in '{config.Journal}': {e.Message}");
        }
        using var stop = new SignalWait();
        try
        {
            await server.StartAsync().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await server.StopAsync().ConfigureAwait(false);
            throw CommandLineException.Unavailable($"cannot listen on {Failed(config, e)}: {Reason(e)}");
        }
        foreach (var line in Banner(server, config)) stdout.WriteLine(line);
        stdout.Flush();
        log.LogInformation("Session {Session} started: order entry on {Address}:{Port}", server.SessionId, config.Address, server.Port);
        // A failed pipeline stage (say, the journal's disk) stops all progress: better to stop than to refuse forever.
        while (!stop.Task.IsCompleted && server.Fault is null)
            await Task.WhenAny(stop.Task, Task.Delay(1000)).ConfigureAwait(false);
        var fault = server.Fault;
        if (fault is not null) log.LogCritical(fault, "The exchange pipeline failed: {Reason}", fault.Message);
        stdout.WriteLine("exchange: shutting down");
        await server.StopAsync().ConfigureAwait(false);
        stdout.WriteLine("exchange: stopped");
        if (fault is not null) throw new CommandLineException(ExitCode.Failed, $"the exchange pipeline failed: {fault.Message}");
        return ExitCode.Ok;
    }

    /// <summary>What runs where: one line per port (the first names the order-entry port, which scripts read).</summary>
    private static IEnumerable<string> Banner(GatewayServer server, GatewayConfig config)
    {
        yield return $"exchange: order entry listening on {config.Address}:{server.Port}  (SoupBinTCP, docs/protocol.md sections 1-11)";
        yield return server.MarketDataPort >= 0
            ? $"exchange: market data listening on {config.Address}:{server.MarketDataPort}  (order log, section 12)"
            : "exchange: market data off";
        yield return server.SnapshotPort >= 0
            ? $"exchange: snapshots   listening on {config.Address}:{server.SnapshotPort}  (the books as of now, then the order log's next number; section 12)"
            : "exchange: snapshots off";
        yield return server.DropCopyPort >= 0
            ? $"exchange: drop copy   listening on {config.Address}:{server.DropCopyPort}  (section 13; {config.DropCopy.Count} group(s))"
            : "exchange: drop copy off";
        yield return server.MetricsUrl is { } metrics
            ? $"exchange: metrics     at {metrics}  (Prometheus text; docs/operations.md)"
            : "exchange: metrics off";
        yield return $"exchange: session {server.SessionId}; {config.Instruments.Count} instruments, {config.Users.Count} users, " +
                     $"journal {(config.Journal.Length == 0 ? "off" : Path.GetFullPath(config.Journal))}. Ctrl-C stops.";
    }

    /// <summary>Which of the ports could not be bound, from the transport's message (it names the address).</summary>
    private static string Failed(GatewayConfig config, IOException e)
    {
        var m = BoundPort().Match(e.Message);
        if (!m.Success) return $"{config.Address}:{config.Port} (or the market-data, snapshot, drop-copy or metrics port)";
        var port = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var role = port == config.Port ? "order entry"
            : port == config.MarketDataListenPort ? "market data"
            : port == config.SnapshotListenPort ? "snapshots"
            : port == config.DropCopyListenPort ? "drop copy"
            : port == config.MetricsListenPort ? "metrics" : "";
        return role.Length == 0 ? $"{config.Address}:{port}" : $"{config.Address}:{port} ({role})";
    }

    private static string Reason(IOException e) =>
        (e.InnerException?.Message ?? e.Message).TrimEnd('.').ToLowerInvariant();

    [GeneratedRegex(@":(\d+)\b")]
    private static partial Regex BoundPort();
}

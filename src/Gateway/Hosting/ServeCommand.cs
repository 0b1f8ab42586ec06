using System.Globalization;
using System.Runtime.InteropServices;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Security;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Hosting;

/// <summary><c>exchange serve</c>: runs the server until SIGINT or SIGTERM, then shuts down cleanly.</summary>
internal static class ServeCommand
{
    public const string Usage = """
        usage: exchange serve [--config FILE] [--port N] [--address IP] [--journal DIR] [--verbose]
               exchange serve [--config FILE] [--cluster FILE] --node ID [--verbose]
                                                     one node of a cluster (the config's cluster section, or FILE)
               exchange serve --print-config [--config FILE]     print the (default) configuration as JSON
               exchange serve --hash-password PASSWORD           print a PBKDF2 hash for a configuration file
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        string? configPath = null, clusterPath = null, address = null, journal = null, password = null;
        int? port = null, node = null;
        bool print = false, verbose = false;
        for (var i = 1; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--config" when value is not null: configPath = value; i++; break;
                case "--cluster" when value is not null: clusterPath = value; i++; break;
                case "--address" when value is not null: address = value; i++; break;
                case "--journal" when value is not null: journal = value; i++; break;
                case "--hash-password" when value is not null: password = value; i++; break;
                case "--port" when value is not null && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p):
                    port = p;
                    i++;
                    break;
                case "--node" when value is not null && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n):
                    node = n;
                    i++;
                    break;
                case "--print-config": print = true; break;
                case "--help" or "-h":
                    stdout.Write(Usage);
                    return 0;
                case "--verbose": verbose = true; break;
                default:
                    stderr.WriteLine($"exchange serve: unexpected argument '{args[i]}'");
                    stderr.Write(Usage);
                    return 2;
            }
        }
        if (password is not null)
        {
            stdout.WriteLine(PasswordHash.Create(password));
            return 0;
        }
        GatewayConfig config;
        try
        {
            config = configPath is null ? ConfigLoader.Default() : ConfigLoader.Load(configPath);
            config = config with
            {
                Port = port ?? config.Port,
                Address = address ?? config.Address,
                Journal = journal ?? config.Journal,
            };
            if (clusterPath is not null) config = config with { Cluster = ConfigLoader.LoadCluster(clusterPath) };
            if (node is not null)
                config = config with
                {
                    Cluster = (config.Cluster ?? throw new InvalidDataException("--node needs a cluster section (--cluster FILE)"))
                        with { NodeId = node.Value },
                };
            config.Validate();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"exchange serve: {e.Message}");
            return 2;
        }
        if (print)
        {
            stdout.WriteLine(ConfigLoader.ToJson(config));
            return 0;
        }
        return (config.Cluster is null ? Serve(config, verbose, stdout, stderr) : ServeNode(config, verbose, stdout, stderr))
            .GetAwaiter().GetResult();
    }

    private static async Task<int> ServeNode(GatewayConfig config, bool verbose, TextWriter stdout, TextWriter stderr)
    {
        var level = verbose ? LogLevel.Information : LogLevel.Warning;
        if (config.InlineIo) Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        // The Raft library reports every unreachable peer with a stack trace: only with --verbose.
        using var logging = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(level)
            .AddFilter("DotNext", verbose ? LogLevel.Information : LogLevel.Error));
        var host = new ClusterHost(config, logging, b => b.AddSimpleConsole().SetMinimumLevel(level));
        using var stop = new SignalWait();
        try
        {
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Net.Sockets.SocketException)
        {
            stderr.WriteLine($"exchange serve: node {host.Self.Id} cannot start: {e.Message}");
            await host.DisposeAsync().ConfigureAwait(false);
            return 1;
        }
        stdout.WriteLine($"exchange: node {host.Self.Id} of {config.Cluster!.Members.Count}, Raft on {host.Self.RaftEndPoint}, " +
                         $"order entry on {host.Self.ClientEndPoint} (the leader takes orders, followers name it). Ctrl-C stops.");
        stdout.Flush();
        while (!stop.Task.IsCompleted && host.Fault is null)
            await Task.WhenAny(stop.Task, Task.Delay(1000)).ConfigureAwait(false);
        var fault = host.Fault;
        if (fault is not null) stderr.WriteLine($"exchange: node {host.Self.Id} failed: {fault.Message}");
        stdout.WriteLine("exchange: shutting down");
        await host.DisposeAsync().ConfigureAwait(false);
        stdout.WriteLine("exchange: stopped");
        return fault is null ? 0 : 1;
    }

    private static async Task<int> Serve(GatewayConfig config, bool verbose, TextWriter stdout, TextWriter stderr)
    {
        var level = verbose ? LogLevel.Information : LogLevel.Warning;
        // Read once by the socket engine when it starts, so set before the first socket: completions then run on the
        // engine's thread instead of a pool thread (the runtime half of GatewayConfig.InlineIo).
        if (config.InlineIo) Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        using var logging = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(level));
        var server = new GatewayServer(config, logging, b => b.AddSimpleConsole().SetMinimumLevel(level));
        using var stop = new SignalWait();
        try
        {
            await server.StartAsync().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            stderr.WriteLine($"exchange serve: cannot listen on {config.Address}:{config.Port}: {e.Message}");
            await server.StopAsync().ConfigureAwait(false);
            return 1;
        }
        stdout.WriteLine($"exchange: listening on {server.EndPoint} (market data: port {server.MarketDataPort}), session {server.SessionId}; " +
                         $"{config.Instruments.Count} instruments, {config.Users.Count} users. Ctrl-C stops.");
        if (server.MetricsUrl is not null) stdout.WriteLine($"exchange: metrics at {server.MetricsUrl}");
        stdout.Flush();
        // A failed pipeline stage (say, the journal's disk) stops all progress: better to stop than to refuse forever.
        while (!stop.Task.IsCompleted && server.Fault is null)
            await Task.WhenAny(stop.Task, Task.Delay(1000)).ConfigureAwait(false);
        var fault = server.Fault;
        if (fault is not null) stderr.WriteLine($"exchange: the pipeline failed: {fault.Message}");
        stdout.WriteLine("exchange: shutting down");
        await server.StopAsync().ConfigureAwait(false);
        stdout.WriteLine("exchange: stopped");
        return fault is null ? 0 : 1;
    }
}

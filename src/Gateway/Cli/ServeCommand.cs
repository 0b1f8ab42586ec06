using System.CommandLine;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Hosting;
using Exchange.Gateway.Security;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Cli;

/// <summary>
/// <c>exchange serve</c>: the exchange behind its TCP gateway (docs/protocol.md), until SIGINT or SIGTERM; also
/// <c>--print-config</c> and <c>--hash-password</c>, which start nothing.
/// </summary>
internal static class ServeCommand
{
    public static Command Build()
    {
        var config = CommonOptions.Config("A JSON configuration replacing the embedded default as a whole (--print-config shows it).");
        var port = CommonOptions.Port("--port", "The order-entry port (market data and drop copy follow on port + 1 and + 2 unless configured); 0 = any free port.");
        var address = new Option<string?>("--address")
        {
            Description = "The IP address to listen on (default 127.0.0.1; anything else opens the exchange to the network).",
            HelpName = "ip",
        };
        address.Validators.Add(r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (!System.Net.IPAddress.TryParse(text, out _)) r.AddError($"--address '{text}' is not an IP address.");
        });
        var cluster = new Option<string?>("--cluster")
        {
            Description = "Run as one node of a cluster described in this file (docs/cluster.md); needs --node.",
            HelpName = "file",
        };
        var node = CommonOptions.Number("--node", "This node's id in the cluster section (of --config, or of --cluster).", "id", 0, -1);
        var journal = new Option<string?>("--journal") { Description = "The journal directory (created if missing; \"\" = no journal).", HelpName = "dir" };
        var printConfig = new Option<bool>("--print-config") { Description = "Print the configuration (with the overrides) as JSON, and exit." };
        var hashPassword = new Option<string?>("--hash-password")
        {
            Description = "Print a PBKDF2 hash of a password for a configuration file's users, and exit.",
            HelpName = "password",
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log every login and close with its reason (--log-level information)." };
        var level = CommonOptions.OneOf(new Option<string?>("--log-level")
        {
            Description = "The least severe log entry written to stderr (default warning).",
        }, "trace", "debug", "information", "warning", "error", "critical", "none");
        var format = CommonOptions.OneOf(new Option<string>("--log-format")
        {
            Description = "simple: one line per entry; json: one JSON object per line, for a log collector.",
            DefaultValueFactory = _ => "simple",
        }, "simple", "json");
        var command = new Command("serve", "Run the exchange server: order entry, market data and drop copy over TCP (docs/protocol.md). Ctrl-C stops it.")
        {
            config, port, address, journal, cluster, node, printConfig, hashPassword, verbose, level, format,
        };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            if (parse.GetValue(hashPassword) is { } password)
            {
                stdout.WriteLine(PasswordHash.Create(password));
                return ExitCode.Ok;
            }
            var settings = Configure(parse.GetValue(config), parse.GetValue(port), parse.GetValue(address), parse.GetValue(journal),
                parse.GetValue(cluster), parse.GetValue(node));
            if (parse.GetValue(printConfig))
            {
                stdout.WriteLine(ConfigLoader.ToJson(settings));
                return ExitCode.Ok;
            }
            var minimum = parse.GetValue(level) is { } name ? Enum.Parse<LogLevel>(name, ignoreCase: true)
                : parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning;
            return ServerRunner.Run(settings, ServerLogging.Configure(minimum, parse.GetValue(format) == "json"), stdout);
        });
        return command;
    }

    private static GatewayConfig Configure(string? path, int? port, string? address, string? journal, string? cluster, long node)
    {
        try
        {
            var config = path is null ? ConfigLoader.Default() : ConfigLoader.Load(path);
            config = config with
            {
                Port = port ?? config.Port,
                Address = address ?? config.Address,
                Journal = journal ?? config.Journal,
            };
            if (cluster is not null) config = config with { Cluster = ConfigLoader.LoadCluster(cluster) };
            if (node >= 0)
                config = config with
                {
                    Cluster = (config.Cluster ?? throw new InvalidDataException("--node needs a cluster section (--cluster FILE)"))
                        with { NodeId = (int)Math.Min(node, int.MaxValue) },
                };
            config.Validate();
            return config;
        }
        catch (InvalidDataException e)
        {
            throw CommandLineException.Usage(path is null || e.Message.Contains(path, StringComparison.Ordinal) ? e.Message : $"{path}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CommandLineException.Unavailable($"cannot read the configuration: {e.Message}");
        }
    }
}

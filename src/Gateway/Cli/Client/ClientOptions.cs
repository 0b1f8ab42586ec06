using System.CommandLine;
using Exchange.Gateway.Configuration;

namespace Exchange.Gateway.Cli.Client;

/// <summary>
/// The options every <c>exchange client</c> subcommand takes (before or after the subcommand's name), and the
/// <see cref="ClientContext"/> they resolve to.
/// </summary>
internal sealed class ClientOptions
{
    public Option<string> Host { get; } = new("--host")
    {
        Description = "The server's address.",
        DefaultValueFactory = _ => "127.0.0.1",
        Recursive = true,
    };

    public Option<int?> Port { get; } = Recursive(CommonOptions.Port("--port", "The server's order-entry port (default: the configuration's, 9000)."));

    public Option<string> User { get; } = new("--user")
    {
        Description = "Who logs in (the demo users: alice, bob, carol, feed, admin, desk).",
        Required = true,
        Recursive = true,
    };

    public Option<string> Password { get; } = new("--password")
    {
        Description = "The user's password (the demo users': USER-pw).",
        Required = true,
        Recursive = true,
    };

    public Option<string?> Config { get; } = Recursive(CommonOptions.Config(
        "The server's configuration, when it is not the embedded default: instrument names, tick and lot sizes, users' accounts."));

    public Option<long?> Account { get; } = new("--account")
    {
        Description = "The account to act on (default: the user's account in the configuration).",
        HelpName = "id",
        Recursive = true,
    };

    public Option<long> Wait { get; } = Recursive(CommonOptions.Number("--wait", "How long to keep printing messages after the outcome.", "ms", 0, 300));

    /// <summary>Adds the options to the <c>client</c> command (and so to every subcommand).</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Host);
        command.Options.Add(Port);
        command.Options.Add(User);
        command.Options.Add(Password);
        command.Options.Add(Config);
        command.Options.Add(Account);
        command.Options.Add(Wait);
    }

    /// <summary>The options' values, the configuration loaded.</summary>
    public ClientContext Resolve(ParseResult parse)
    {
        var path = parse.GetValue(Config);
        GatewayConfig config;
        try
        {
            config = path is null ? ConfigLoader.Default() : ConfigLoader.Load(path);
        }
        catch (InvalidDataException e)
        {
            throw CommandLineException.Usage($"{path}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CommandLineException.Unavailable($"cannot read the configuration {path}: {e.Message}");
        }
        var user = parse.GetValue(User)!;
        var account = parse.GetValue(Account)
                      ?? config.Users.Find(u => string.Equals(u.Username, user, StringComparison.OrdinalIgnoreCase))?.Account ?? 0;
        if (account is < 0 or > uint.MaxValue) throw CommandLineException.Usage($"--account {account} is not an account id");
        return new ClientContext(config, parse.GetValue(Host)!, parse.GetValue(Port), user, parse.GetValue(Password)!, (uint)account,
            TimeSpan.FromMilliseconds(parse.GetValue(Wait)), parse.InvocationConfiguration.Output, ExchangeCommandLine.CommandPath(parse));
    }

    /// <summary>The instrument argument of a command: a name from the configuration (any case) or an id.</summary>
    public static Argument<string> Instrument()
    {
        var names = string.Join(", ", ConfigLoader.Default().Instruments.Select(i => i.Name));
        return new Argument<string>("instrument")
        {
            Description = $"An instrument by name or id (default configuration: {names}).",
        };
    }

    private static Option<T> Recursive<T>(Option<T> option)
    {
        option.Recursive = true;
        return option;
    }
}

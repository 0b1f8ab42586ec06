using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Exchange.Gateway.Cli;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.Cli;

/// <summary>
/// The <c>exchange</c> command line: help everywhere, usage errors that name the bad value, and one exit code per kind
/// of outcome (docs/protocol.md section 10), run in process against real sockets.
/// </summary>
public sealed class CommandLineTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = ExchangeCommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static IEnumerable<string[]> Paths(Command command, string[] prefix)
    {
        yield return prefix;
        foreach (var sub in command.Subcommands)
            foreach (var path in Paths(sub, [.. prefix, sub.Name]))
                yield return path;
    }

    [Fact]
    public void EveryCommandAndSubcommand_AnswersHelp()
    {
        var paths = Paths(ExchangeCommandLine.Build(), []).ToList();
        Assert.Contains(paths, p => p.SequenceEqual(["client", "dropcopy"]));
        foreach (var path in paths)
        {
            var (code, stdout, stderr) = Run([.. path, "--help"]);
            Assert.True(code == ExitCode.Ok, $"{string.Join(' ', path)} --help: {code} {stderr}");
            Assert.Equal("", stderr);
            Assert.Contains(string.Join(' ', ["exchange", .. path]), stdout);
            Assert.Contains("Usage:", stdout);
        }
    }

    [Theory]
    [InlineData("unknown instrument 'BTC' (instruments: BTC-PERP, ETH-PERP, SOL-PERP", "client", "--user", "alice", "--password", "x", "place", "BTC", "buy", "1")]
    [InlineData("exchange serve: --port 'abc' is not a port number (0 to 65535)", "serve", "--port", "abc")]
    [InlineData("exchange client place: side 'hold' is not one of: buy, sell.", "client", "--user", "a", "--password", "b", "place", "BTC-PERP", "hold", "1")]
    [InlineData("quantity '0.0005' is not a positive whole number of lots (BTC-PERP: lot 0.001)",
        "client", "--user", "a", "--password", "b", "place", "BTC-PERP", "buy", "0.0005", "60000")]
    [InlineData("price '60000.25' is not a positive whole number of ticks (BTC-PERP: tick 0.5)",
        "client", "--user", "a", "--password", "b", "place", "BTC-PERP", "buy", "1", "60000.25")]
    [InlineData("exchange client place: Option '--user' is required.", "client", "place", "BTC-PERP", "buy", "1", "--password", "b")]
    [InlineData("exchange: unknown command 'trade' (commands: scenario, serve, client, stress)", "trade")]
    [InlineData("exchange client: unknown command 'plac' (commands: login, place,", "client", "--user", "a", "--password", "b", "plac")]
    [InlineData("exchange client place: --tif 'day' is not one of: gtc, ioc, fok.", "client", "--user", "a", "--password", "b", "place", "BTC-PERP", "buy", "1", "--tif", "day")]
    [InlineData("cancel needs --order ID or --token T", "client", "--user", "a", "--password", "b", "cancel")]
    [InlineData("--wait '-5' is not a whole number of at least 0", "client", "--user", "a", "--password", "b", "--wait", "-5", "login")]
    public void UsageError_NamesTheBadValue_ExitsWithUsage_SendsNothing(string expected, params string[] args)
    {
        var (code, stdout, stderr) = Run(args);

        Assert.Equal(ExitCode.Usage, code);
        Assert.Equal("", stdout);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void BareGroup_PrintsItsHelp_AsAUsageError()
    {
        var (code, stdout, stderr) = Run();

        Assert.Equal(ExitCode.Usage, code);
        Assert.Equal("", stdout);
        Assert.Contains("scenario", stderr);
        Assert.Contains("client", stderr);
    }

    [Fact]
    public void ServerUnreachable_OneLineNamingHostAndPort_ExitsUnavailable()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (code, stdout, stderr) = Run("client", "--port", port.ToString(), "--user", "alice", "--password", "alice-pw", "query");

        Assert.Equal(ExitCode.Unavailable, code);
        Assert.Equal("", stdout);
        Assert.StartsWith($"exchange client query: cannot reach the order entry port 127.0.0.1:{port}: ", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Rejections_ExitWithRejected_LoginRejectionToo()
    {
        await using var server = await StartAsync(inProcess: true);
        var port = server.Port.ToString();

        var login = Run("client", "--port", port, "--user", "t1", "--password", "wrong", "--account", "1", "login");
        Assert.Equal(ExitCode.Rejected, login.Code);
        Assert.StartsWith("exchange client login: login rejected (A)", login.Err);
        Assert.Single(login.Err.TrimEnd().Split('\n'));

        var unknown = Run("client", "--port", port, "--user", "t1", "--password", Password("t1"), "--account", "1", "--wait", "0",
            "place", "BTC-PERP", "buy", "1", "60000");
        Assert.Equal(ExitCode.Rejected, unknown.Code);
        Assert.True(unknown.Out.Contains("rejected   token 1 enter order: UNKNOWN_ACCOUNT (1)", StringComparison.Ordinal), unknown.Out + unknown.Err);

        var ok = Run("client", "--port", port, "--user", "t1", "--password", Password("t1"), "--account", "1", "login");
        Assert.Equal(ExitCode.Ok, ok.Code);
        Assert.StartsWith($"logged in as t1 at 127.0.0.1:{port}: session {server.Server.SessionId}", ok.Out);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task Output_SaysWhatTheFirstColumnIs()
    {
        await using var server = await StartAsync(inProcess: true);

        var (code, stdout, _) = Run("client", "--port", server.Port.ToString(), "--user", "admin", "--password", Password("admin"),
            "--wait", "0", "deposit", "1", "5");

        Assert.Equal(ExitCode.Ok, code);
        var lines = stdout.Split('\n');
        Assert.StartsWith("   seq  message    (seq: its number in admin's stream; 'watch --from SEQ' replays from there)", lines[0]);
        Assert.Matches(@"^\s+\d+  transfer   token 1 deposit account 1 5$", lines[1].TrimEnd());
        await server.StopAndCheckAsync();
    }
}

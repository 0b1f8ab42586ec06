using Exchange.Gateway.Cli;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.Cli;

/// <summary><c>exchange client</c> as a person would use it, against a running server, in human units.</summary>
public sealed class ClientCommandTests
{
    private static (int Code, string Out, string Err) Run(int port, string user, params string[] command)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] args = ["client", "--port", port.ToString(), "--user", user, "--password", Password(user), "--wait", "100",
            .. user.StartsWith('t') ? new[] { "--account", user[1..] } : [], .. command];
        var code = ExchangeCommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task ShellSession_DepositMarkTradeQuery_PrintsHumanUnits()
    {
        await using var server = await StartAsync();
        Assert.Contains("transfer   token 1 deposit account 1 100000", Run(server.Port, "admin", "deposit", "1", "100000").Out);
        Run(server.Port, "admin", "deposit", "2", "100000");
        Assert.Contains("mark       token 1 BTC-PERP 60000", Run(server.Port, "feed", "mark", "BTC-PERP", "60000").Out);
        Assert.Contains("accepted   token 1 order 1 BTC-PERP sell 0.5 @ 60000", Run(server.Port, "t2", "place", "btc-perp", "sell", "0.5", "60000").Out);
        var buy = Run(server.Port, "t1", "place", "BTC-PERP", "buy", "0.2", "60000", "--tif", "ioc");
        Assert.Equal(0, buy.Code);
        Assert.Contains("executed   order 2 trade 1 BTC-PERP buy 0.2 @ 60000 taker fee 6", buy.Out);
        var query = Run(server.Port, "t1", "query");
        Assert.Contains("account    1: balance 99994", query.Out);
        Assert.Contains("BTC-PERP 0.2 cost 12000", query.Out);
        var rejected = Run(server.Port, "t1", "place", "BTC-PERP", "buy", "0.0005", "60000");
        Assert.Equal(2, rejected.Code); // half a lot: refused before sending
        var cancel = Run(server.Port, "t2", "cancel", "--order", "1");
        Assert.Contains("canceled   token 2 order 1 BTC-PERP sell 0.3 @ 60000 (user)", cancel.Out);
        Assert.Equal(1, Run(server.Port, "t2", "cancel", "--order", "1").Code); // UNKNOWN_ORDER
        await server.StopAndCheckAsync();
    }
}

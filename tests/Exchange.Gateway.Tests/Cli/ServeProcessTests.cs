using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Exchange.Gateway.Cli;
using Exchange.Gateway.Tests.Support;

namespace Exchange.Gateway.Tests.Cli;

/// <summary><c>exchange serve</c> as a real process (exchange.dll beside the tests): its banner, its exit codes, its one-line failures.</summary>
public sealed partial class ServeProcessTests : IDisposable
{
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "exchange-serve-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_journal)) Directory.Delete(_journal, recursive: true);
    }

    private static async Task<(int Code, string Out, string Err)> EndAsync(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("exchange serve did not exit within a minute");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task PortInUse_OneLineNamingThePort_ExitsUnavailable()
    {
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var port = ((IPEndPoint)taken.LocalEndpoint).Port;
            using var process = ExchangeProcess.Start("serve", "--port", port.ToString(), "--journal", _journal);

            var (code, stdout, stderr) = await EndAsync(process);

            Assert.Equal(ExitCode.Unavailable, code);
            Assert.Equal("", stdout);
            Assert.Equal($"exchange serve: cannot listen on 127.0.0.1:{port} (order entry): address already in use", stderr.TrimEnd());
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public async Task Banner_NamesEveryPort_TheDefaultDropCopyUserReadsItsGroup_SigtermStopsWithOk()
    {
        using var process = ExchangeProcess.Start("serve", "--port", "0", "--journal", _journal);
        var banner = new List<string>();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            banner.Add(line);
            if (line.Contains("Ctrl-C stops", StringComparison.Ordinal)) break;
        }
        var text = string.Join('\n', banner);
        var ports = Listening().Matches(text).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.True(ports.Count == 4, text);
        var (orderEntry, dropCopy) = (ports["order entry"], ports["drop copy  "]);

        // The README's walk-through, against the embedded default configuration.
        string[] Login(string user) => ["--port", orderEntry, "--user", user, "--password", user + "-pw", "--wait", "0"];
        Assert.Equal(ExitCode.Ok, Client([.. Login("admin"), "deposit", "1", "100000"]).Code);
        Assert.Equal(ExitCode.Ok, Client([.. Login("admin"), "deposit", "2", "100000"]).Code);
        Assert.Equal(ExitCode.Ok, Client([.. Login("feed"), "mark", "BTC-PERP", "60000"]).Code);
        Assert.Equal(ExitCode.Ok, Client([.. Login("bob"), "place", "BTC-PERP", "sell", "0.5", "60000"]).Code);
        Assert.Equal(ExitCode.Ok, Client([.. Login("alice"), "place", "BTC-PERP", "buy", "0.2", "60000", "--tif", "ioc"]).Code);

        var bob = Client([.. Login("bob"), "watch", "--from", "1", "--count", "7", "--for", "60000"]);
        Assert.True(bob.Code == ExitCode.Ok, bob.Err);
        Assert.Contains("executed   order 1 trade 1 BTC-PERP sell 0.2 @ 60000 maker fee 2.4", bob.Out);
        var desk = Client([.. Login("desk"), "dropcopy", "--dc-port", dropCopy, "--from", "1", "--count", "2", "--for", "60000"]);
        Assert.True(desk.Code == ExitCode.Ok, desk.Err);
        Assert.StartsWith($"drop copy: desk at 127.0.0.1:{dropCopy}", desk.Out);
        Assert.Contains("executed   account 1 order 2 trade 1 BTC-PERP buy 0.2 @ 60000 taker fee 6", desk.Out);
        Assert.Contains("executed   account 2 order 1 trade 1 BTC-PERP sell 0.2 @ 60000 maker fee 2.4", desk.Out);

        Assert.Equal(0, Kill(process.Id, 15)); // SIGTERM
        var (code, stdout, stderr) = await EndAsync(process);
        Assert.Equal(ExitCode.Ok, code);
        Assert.Contains("exchange: stopped", stdout);
        Assert.Equal("", stderr);
    }

    private static (int Code, string Out, string Err) Client(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = ExchangeCommandLine.Run(["client", .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [GeneratedRegex(@"exchange: (order entry|market data|drop copy  |snapshots  ) listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

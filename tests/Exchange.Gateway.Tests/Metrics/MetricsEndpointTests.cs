using System.Globalization;
using System.Text.RegularExpressions;
using Exchange.Client.Protocol;
using Exchange.Gateway.Configuration;
using Exchange.Gateway.Tests.Support;
using static Exchange.Gateway.Tests.Support.TestServer;

namespace Exchange.Gateway.Tests.Metrics;

/// <summary>Prometheus scrapes <c>/metrics</c> over a real socket and reads what the exchange went through.</summary>
public sealed partial class MetricsEndpointTests
{
    [Fact]
    public async Task Scrape_AfterALiquidation_ShowsCommandsRejectsLedgersAndTheWaterfall()
    {
        await using var server = await StartAsync(metrics: true);
        Assert.True(server.Server.MetricsPort > 0);
        Assert.Equal($"http://127.0.0.1:{server.Server.MetricsPort}/metrics", server.Server.MetricsUrl);
        await using var admin = await server.LoginAsync("admin");
        await using var feed = await server.LoginAsync("feed");
        await admin.DepositAsync(1, 5_000_000_000);
        await admin.DepositAsync(2, 100_000_000_000);
        var insurance = await admin.InsuranceAsync(1);
        await admin.WaitForAsync(m => m.Token == insurance, Wait);
        await feed.MarkAsync(Btc, 120_000);
        await feed.WaitForAsync(m => m.Type == 'M', Wait);
        await using var longTrader = await server.LoginAsync("t1");
        await using var shortTrader = await server.LoginAsync("t2");
        var unfunded = await longTrader.PlaceAsync(1, Btc, 0, 120_000, 90_000);           // 90 BTC: far past its margin
        Assert.Equal('J', (await longTrader.WaitForAsync(m => m.Token == unfunded, Wait)).Type);
        await shortTrader.PlaceAsync(2, Btc, 1, 120_000, 1_000);
        await shortTrader.WaitForAsync(m => m.Type == 'A', Wait);
        await longTrader.PlaceAsync(1, Btc, 0, 120_000, 1_000, tif: 1);
        await longTrader.WaitForAsync(m => m.Type == 'E', Wait);
        var traded = await Scrape(server);
        Assert.Equal(1_000, traded[Key("exchange_open_interest", "instrument", "BTC-PERP")]);

        var mark = await feed.MarkAsync(Btc, 112_000);                                     // liquidates t1, ADL on t2
        await feed.WaitForAsync(m => m.Token == mark, Wait);
        await longTrader.WaitForAsync(m => m.Type == 'L' && m.Kind == Outbound.Ended, Wait);
        var after = await Scrape(server);

        Assert.Equal(2, after[Key("exchange_commands_total", "type", "deposit")]);
        Assert.Equal(1, after[Key("exchange_commands_total", "type", "deposit_insurance")]);
        Assert.Equal(2, after[Key("exchange_commands_total", "type", "set_mark")]);
        Assert.Equal(3, after[Key("exchange_commands_total", "type", "new_order")]);
        Assert.Equal(1, after[Rejects("INSUFFICIENT_MARGIN", "exchange")]);
        Assert.Equal(0, after[Rejects("INSUFFICIENT_MARGIN", "gateway")]);
        Assert.Equal(0, after[Rejects("RATE_LIMITED", "exchange")]);
        Assert.Equal(1, after[Key("exchange_liquidations_total", "outcome", "closed")]);
        Assert.Equal(1, after[Key("exchange_adl_closures_total", "instrument", "BTC-PERP")]);
        Assert.Equal(0, after[Key("exchange_open_interest", "instrument", "BTC-PERP")]);
        Assert.Equal(1, after["exchange_trades_total"]);
        // Eight commands and the four logins' token queries, which travel the pipeline too.
        Assert.Equal(12, after[Key("exchange_pipeline_sequence_total", "stage", "reported")]);
        Assert.Equal(16384 / 16, after["exchange_pipeline_ring_capacity"]);
        Assert.InRange(after["exchange_sessions"], 4, 4);
        Assert.Equal(12, after["exchange_command_latency_seconds_count"]);
        Assert.True(after["exchange_command_latency_seconds_sum"] > 0);
        // The test server journals with fsync "never": every commit only wrote.
        Assert.True(after[Key("exchange_journal_commit_duration_seconds_count", "fsync", "false")] >= 1);

        await server.StopAndCheckAsync();
        var core = server.Server.Exchange;
        Assert.Equal(core.Insurance, after[Key("exchange_ledger", "ledger", "insurance")]);
        Assert.Equal(core.Fees, after[Key("exchange_ledger", "ledger", "fees")]);
        Assert.Equal(core.ExchangeLedger, after[Key("exchange_ledger", "ledger", "exchange")]);
        Assert.Equal(core.Fees, traded[Key("exchange_ledger", "ledger", "fees")]);
    }

    [Fact]
    public async Task Scrape_CountsTheGatewaysOwnRejects_BySource_AsTheClientReceivedThem()
    {
        // A burst of 4 per connection, refilled at 1 a second: the login's token query, three messages, then the limit.
        await using var server = await StartAsync(l => l with { RatePerSecond = 1, RateBurst = 4 }, metrics: true);
        await using var trader = await server.LoginAsync("t1");
        await trader.MarkAsync(Btc, 120_000);                                   // a trader may not set marks: NOT_AUTHORIZED
        await trader.SendAsync([(byte)'O', 0, 0, 0, 1]);                        // 5 bytes of a 34-byte message: MALFORMED
        await trader.PlaceAsync(1, Btc, 0, 120_000, 1_000);                     // reaches the exchange: no collateral
        for (var i = 0; i < 3; i++) await trader.PlaceAsync(1, Btc, 0, 120_000, 1_000);   // past the burst: RATE_LIMITED
        var received = new Dictionary<string, int>();
        for (var j = 0; j < 6;)
        {
            var m = await trader.ReceiveAsync(Wait);
            if (m.Type != 'J') continue;
            var code = Exchange.Core.Events.RejectCodeNames.Name(m.RejectCode);
            received[code] = received.GetValueOrDefault(code) + 1;
            j++;
        }
        var scraped = await Scrape(server);

        Assert.Equal(1, received["NOT_AUTHORIZED"]);
        Assert.Equal(1, received["MALFORMED"]);
        Assert.True(received.GetValueOrDefault("RATE_LIMITED") >= 1, string.Join(", ", received));
        foreach (var code in new[] { "NOT_AUTHORIZED", "MALFORMED", "RATE_LIMITED" })
        {
            Assert.Equal(received.GetValueOrDefault(code), scraped[Rejects(code, "gateway")]);
            Assert.Equal(0, scraped[Rejects(code, "exchange")]);
        }
        // What the exchange itself rejected is counted once, as the exchange's.
        var fromExchange = received.Where(p => p.Key is not ("NOT_AUTHORIZED" or "MALFORMED" or "RATE_LIMITED")).ToList();
        var (core, count) = Assert.Single(fromExchange);
        Assert.Equal(count, scraped[Rejects(core, "exchange")]);
        Assert.Equal(0, scraped[Rejects(core, "gateway")]);
        await server.StopAndCheckAsync();
    }

    [Fact]
    public async Task Scrape_AfterARestart_StartsFromTheRecoveredState()
    {
        var first = await StartAsync(metrics: true, journal: Path.Combine(Path.GetTempPath(), "exchange-gateway-tests", Guid.NewGuid().ToString("N")));
        await first.SetUpAsync(100_000_000_000, (Btc, 120_000));
        await using (var buyer = await first.LoginAsync("t1"))
        await using (var seller = await first.LoginAsync("t2"))
        {
            await seller.PlaceAsync(2, Btc, 1, 120_000, 2_500);
            await seller.WaitForAsync(m => m.Type == 'A', Wait);
            await buyer.PlaceAsync(1, Btc, 0, 120_000, 2_500, tif: 1);
            await buyer.WaitForAsync(m => m.Type == 'E', Wait);
        }
        await first.StopAndCheckAsync();
        var fees = first.Server.Exchange.Fees;

        await using var second = await first.RestartAsync(metrics: true);
        var scraped = await Scrape(second);

        Assert.Equal(2_500, scraped[Key("exchange_open_interest", "instrument", "BTC-PERP")]);
        Assert.Equal(fees, scraped[Key("exchange_ledger", "ledger", "fees")]);
        Assert.True(fees > 0);
        Assert.Equal(0, scraped[Key("exchange_commands_total", "type", "new_order")]);   // counters start with the process
        await second.StopAndCheckAsync();
        await first.DisposeAsync();
    }

    [Fact]
    public async Task Get_AnotherPath_IsNotFound_AndTheTradingPortServesNoHttp()
    {
        await using var server = await StartAsync(metrics: true);
        using var http = new HttpClient();
        var missing = await http.GetAsync($"http://127.0.0.1:{server.Server.MetricsPort}/");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(() => http.GetStringAsync($"http://127.0.0.1:{server.Port}/metrics"));
        await server.StopAndCheckAsync();
    }

    [Fact]
    public void Config_MetricsPort_FollowsTheGatewayPortUnlessSet_AndMustNotCollide()
    {
        var config = Config(metrics: true) with { Port = 9000 };
        Assert.Equal(9003, config.MetricsListenPort);
        Assert.Equal(0, (config with { Port = 0 }).MetricsListenPort);
        Assert.Equal(9100, (config with { Metrics = new MetricsConfig { Port = 9100 } }).MetricsListenPort);
        Assert.Equal(-1, (config with { Metrics = new MetricsConfig { Enabled = false } }).MetricsListenPort);
        var clash = config with { Metrics = new MetricsConfig { Port = 9001 } };
        Assert.Contains("metrics.port", Assert.Throws<InvalidDataException>(clash.Validate).Message);
        var odd = config with { Metrics = new MetricsConfig { SampleBuffer = 1000 } };
        Assert.Contains("sampleBuffer", Assert.Throws<InvalidDataException>(odd.Validate).Message);
    }

    /// <summary>GET /metrics (after moving the queued latency samples in), as name{label="value"} → value.</summary>
    private static async Task<Dictionary<string, double>> Scrape(TestServer server)
    {
        server.Server.Meter!.Drain();
        using var http = new HttpClient();
        using var response = await http.GetAsync(server.Server.MetricsUrl);
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var values = new Dictionary<string, double>();
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var space = line.LastIndexOf(' ');
            values[ScopeLabels().Replace(line[..space], "").Replace("{}", "")] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        return values;
    }

    private static string Key(string name, string label, string value) => $"{name}{{{label}=\"{value}\"}}";

    private static string Rejects(string code, string source) => $"exchange_rejects_total{{code=\"{code}\",source=\"{source}\"}}";

    [GeneratedRegex("otel_scope_(name|version)=\"[^\"]*\",?")]
    private static partial Regex ScopeLabels();
}
